"""Access tokens against reference §1 and the wire rules of §0 (raw HTTP, no wechatpy)."""
import pytest
import requests

from wxpub.sandbox.testing import SandboxClient


pytestmark = pytest.mark.sandbox(publish_delay=0.2)


@pytest.fixture()
def sb(module_sandbox):
    module_sandbox.control("reset", {})
    return module_sandbox


def fetch(sb, **params):
    base = {"grant_type": "client_credential", "appid": sb.config.appid, "secret": sb.config.secret}
    base.update(params)
    return requests.get(sb.url + "/cgi-bin/token", params={k: v for k, v in base.items() if v is not None},
                        timeout=10).json()


def stable(sb, **body):
    base = {"grant_type": "client_credential", "appid": sb.config.appid, "secret": sb.config.secret}
    base.update(body)
    return requests.post(sb.url + "/cgi-bin/stable_token", json=base, timeout=10).json()


def count(sb, token):
    return requests.get(sb.url + "/cgi-bin/draft/count", params={"access_token": token}, timeout=10).json()


def test_token_is_issued_for_7200_seconds_and_works(sb):
    reply = fetch(sb)
    assert reply["expires_in"] == 7200
    assert len(reply["access_token"]) >= 32
    assert count(sb, reply["access_token"]) == {"total_count": 0}


def test_each_fetch_issues_a_new_token_and_old_one_lives_five_more_minutes(sb):
    first = fetch(sb)["access_token"]
    second = fetch(sb)["access_token"]
    assert first != second
    sb.control("clock", {"advance_seconds": 290})
    assert count(sb, first) == {"total_count": 0}
    sb.control("clock", {"advance_seconds": 20})
    old = count(sb, first)
    assert old["errcode"] == 40001
    assert " rid: " in old["errmsg"]
    assert count(sb, second) == {"total_count": 0}


def test_token_past_its_lifetime_answers_42001(sb):
    token = fetch(sb)["access_token"]
    sb.control("clock", {"advance_seconds": 7201})
    assert count(sb, token)["errcode"] == 42001


@pytest.mark.parametrize("params, errcode", [
    ({"appid": "wxsomeoneelse00001"}, 40013),
    ({"secret": "wrong-secret"}, 40125),
    ({"grant_type": "password"}, 40002),
    ({"grant_type": None}, 40002),
    ({"appid": None}, 41002),
    ({"secret": None}, 41004),
])
def test_token_errors(sb, params, errcode):
    reply = fetch(sb, **params)
    assert reply["errcode"] == errcode
    assert "access_token" not in reply


@pytest.mark.parametrize("token, errcode", [(None, 41001), ("not a token!", 40014),
                                            ("A" * 40, 40001)])
def test_business_calls_check_the_token(sb, token, errcode):
    params = {} if token is None else {"access_token": token}
    reply = requests.get(sb.url + "/cgi-bin/draft/count", params=params, timeout=10)
    assert reply.status_code == 200
    assert reply.json()["errcode"] == errcode


def test_stable_token_normal_mode_returns_the_same_token_with_remaining_lifetime(sb):
    first = stable(sb)
    assert first["expires_in"] == 7200
    sb.control("clock", {"advance_seconds": 1000})
    again = stable(sb)
    assert again["access_token"] == first["access_token"]
    assert 6195 <= again["expires_in"] <= 6200


def test_stable_token_rotates_five_minutes_before_expiry_and_old_one_runs_out(sb):
    first = stable(sb)["access_token"]
    sb.control("clock", {"advance_seconds": 7200 - 299})
    rotated = stable(sb)
    assert rotated["access_token"] != first and rotated["expires_in"] == 7200
    assert count(sb, first) == {"total_count": 0}
    sb.control("clock", {"advance_seconds": 300})
    assert count(sb, first)["errcode"] == 42001
    assert count(sb, rotated["access_token"]) == {"total_count": 0}


def test_stable_token_is_isolated_from_cgi_bin_token(sb):
    stable_value = stable(sb)["access_token"]
    fetch(sb)
    fetch(sb)
    sb.control("clock", {"advance_seconds": 600})
    assert count(sb, stable_value) == {"total_count": 0}
    assert stable(sb)["access_token"] == stable_value


def test_force_refresh_issues_a_new_token_at_most_every_30_seconds(sb):
    first = stable(sb)["access_token"]
    forced = stable(sb, force_refresh=True)
    assert forced["access_token"] != first
    assert count(sb, first)["errcode"] == 40001
    too_soon = stable(sb, force_refresh=True)
    assert too_soon["errcode"] == 45011
    sb.control("clock", {"advance_seconds": 31})
    assert stable(sb, force_refresh=True)["access_token"] != forced["access_token"]


def test_force_refresh_is_limited_to_20_per_day(sb):
    from servers import away_from_midnight
    away_from_midnight(sb)  # the 21 calls span about 11 minutes of one day
    results = []
    for _ in range(21):
        results.append(stable(sb, force_refresh=True))
        sb.control("clock", {"advance_seconds": 31})
    assert all("access_token" in r for r in results[:20])
    assert results[20]["errcode"] == 45009


def test_stable_token_needs_post_and_checks_credentials(sb):
    reply = requests.get(sb.url + "/cgi-bin/stable_token", timeout=10).json()
    assert reply["errcode"] == 43002
    assert stable(sb, secret="bad")["errcode"] == 40125
    assert stable(sb, appid="wxnotthisone00001")["errcode"] == 40013


def test_bad_json_and_empty_body(sb):
    client = SandboxClient(sb)
    assert client.json("/cgi-bin/draft/get", data=b"{not json")["errcode"] == 47001
    assert client.json("/cgi-bin/draft/get", data=b"")["errcode"] in (44002, 43002)
    assert client.json("/cgi-bin/draft/get", data=b"\xff\xfe")["errcode"] == 40033


def test_json_body_is_parsed_without_content_type(sb):
    client = SandboxClient(sb)
    reply = client.call("/cgi-bin/draft/get", {"media_id": "nope"})
    assert "Content-Type" not in reply.request.headers
    assert reply.json()["errcode"] == 40007
