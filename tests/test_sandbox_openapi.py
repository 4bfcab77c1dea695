"""openapi/quota/get (per-path daily counts, 45009 once a limit is set; per-minute limits, 45011,
mass send at 60 a minute) and openapi/rid/get (the request behind an error's rid, secrets masked,
kept 7 days) in the sandbox; the call log's media_id."""
import re
from datetime import datetime

import pytest
import requests

from wxpub.sandbox.testing import SandboxClient, jpeg_bytes

from servers import away_from_midnight

RID = re.compile(r" rid: ([0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8})$")


@pytest.fixture()
def client(module_sandbox):
    module_sandbox.control("reset", {})
    away_from_midnight(module_sandbox)  # counts are per Beijing day
    start_of_minute(module_sandbox)  # and per minute
    return SandboxClient(module_sandbox)


def start_of_minute(sandbox):
    """Move the sandbox clock to just after the start of the next minute: a test counting calls
    per minute then has the whole minute for them (no sleeping: the clock control moves it)."""
    now = datetime.fromisoformat(sandbox.control("clock")["now"])
    return sandbox.control("clock", {"advance_seconds": 60 - now.second - now.microsecond / 1e6 + 0.2})


def quota(client, path):
    return client.json("/cgi-bin/openapi/quota/get", {"cgi_path": path})


def test_quota_counts_business_calls_per_path(module_sandbox, client):
    path = "/cgi-bin/draft/count"
    answer = quota(client, path)
    assert 1 <= answer["rate_limit"].pop("refresh_second") <= 60
    assert answer == {"errcode": 0, "errmsg": "ok",
                      "quota": {"daily_limit": 1000, "used": 0, "remain": 1000},
                      "rate_limit": {"call_count": 1000}}
    for _ in range(3):
        client.json(path)
    refused = requests.get(module_sandbox.url + path, params={"access_token": "x" * 40}).json()
    assert refused["errcode"] == 40001  # refused by the token check: not counted
    assert quota(client, path)["quota"] == {"daily_limit": 1000, "used": 3, "remain": 997}
    assert quota(client, "/cgi-bin/draft/get")["quota"]["daily_limit"] == 500
    assert quota(client, "/cgi-bin/freepublish/delete")["quota"]["daily_limit"] == 10
    assert quota(client, "/cgi-bin/message/mass/sendall")["rate_limit"]["call_count"] == 60
    assert quota(client, "/cgi-bin/material/add_material")["quota"]["daily_limit"] == 100000
    assert quota(client, "/cgi-bin/comment/list")["quota"]["daily_limit"] == 1000
    assert quota(client, "/datacube/getbizsummary")["quota"]["daily_limit"] == 1000
    listed = module_sandbox.control("quota")
    assert {"cgi_path": path, "daily_limit": 1000, "used": 3, "remain": 997, "enforced": False,
            "minute_limit": 1000, "minute_used": 3, "minute_enforced": False} in listed["paths"]
    module_sandbox.control("clock", {"advance_days": 1})  # a new Beijing day
    client.forget_token()
    assert quota(client, path)["quota"]["used"] == 0


@pytest.mark.parametrize("path", ["/sns/userinfo", "/cgi-bin/nothing/here", "/datacube/getnothing", "",
                                  None, "draft/add", "/cgi-bin/draft/add?x=1"])
def test_unknown_cgi_path_is_76021(client, path):
    answer = quota(client, path)
    assert answer["errcode"] == 76021 and RID.search(answer["errmsg"])


def test_45009_only_after_a_limit_was_set_and_reset_clears_it(module_sandbox, client):
    path = "/cgi-bin/draft/count"
    module_sandbox.control("quota", {"cgi_path": path, "used": 5000})
    assert "total_count" in client.json(path)  # far past the default: not enforced
    row = module_sandbox.control("quota", {"cgi_path": path, "daily_limit": 2, "used": 0})
    assert row == {"cgi_path": path, "daily_limit": 2, "used": 0, "remain": 2, "enforced": True,
                   "minute_limit": 1000, "minute_used": 1, "minute_enforced": False}
    assert "total_count" in client.json(path) and "total_count" in client.json(path)
    refused = client.json(path)
    assert refused["errcode"] == 45009 and refused["errmsg"].startswith("reach max api daily quota limit")
    assert quota(client, path)["quota"] == {"daily_limit": 2, "used": 2, "remain": 0}
    bad = requests.post(module_sandbox.url + "/sandbox/quota", json={"cgi_path": "/nope", "daily_limit": 1})
    assert bad.status_code == 400 and "cgi_path" in bad.json()["message"]
    module_sandbox.control("reset", {})
    client.forget_token()
    assert "total_count" in client.json(path)
    assert module_sandbox.control("quota")["paths"] == [
        {"cgi_path": path, "daily_limit": 1000, "used": 1, "remain": 999, "enforced": False,
         "minute_limit": 1000, "minute_used": 1, "minute_enforced": False}]


def rid_of(answer):
    return RID.search(answer["errmsg"]).group(1)


def test_rid_get_returns_the_forced_error_request_with_the_token_masked(module_sandbox, client):
    module_sandbox.control("errors", {"path": "/cgi-bin/draft/add", "errcode": 48001})
    failed = client.json("/cgi-bin/draft/add", {"articles": [{"title": "营商环境", "content": "<p>正文</p>"}]})
    assert failed["errcode"] == 48001
    answer = client.json("/cgi-bin/openapi/rid/get", {"rid": rid_of(failed)})
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    kept = answer["request"]
    assert set(kept) == {"invoke_time", "cost_in_ms", "request_url", "request_body", "response_body",
                         "client_ip"}
    assert kept["request_url"] == "/cgi-bin/draft/add?access_token=ACCESS_TOKEN"
    assert "营商环境" in kept["request_body"] and rid_of(failed) in kept["response_body"]
    assert kept["client_ip"] == "127.0.0.1" and isinstance(kept["cost_in_ms"], int)
    assert isinstance(kept["invoke_time"], int)
    everything = requests.get(module_sandbox.url + "/sandbox/rids").text
    assert client.access_token not in everything


def test_every_error_keeps_its_rid_and_secrets_are_masked(module_sandbox, client):
    wire = client.json("/cgi-bin/draft/get", {"media_id": "nope"})
    datacube = client.json("/datacube/getusershare", {"begin_date": "2026-01-01", "end_date": "2026-01-01"})
    token = requests.post(module_sandbox.url + "/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": module_sandbox.config.appid, "secret": "wrong-secret"}).json()
    assert (wire["errcode"], datacube["errcode"]) == (40007, 47009) and token["errcode"] != 0
    for failed in (wire, datacube, token):
        assert client.json("/cgi-bin/openapi/rid/get", {"rid": rid_of(failed)})["errcode"] == 0
    kept = client.json("/cgi-bin/openapi/rid/get", {"rid": rid_of(token)})["request"]
    assert "wrong-secret" not in str(kept) and '"secret": "APPSECRET"' in kept["request_body"]
    everything = requests.get(module_sandbox.url + "/sandbox/rids").text
    assert module_sandbox.config.secret not in everything and "wrong-secret" not in everything


def test_unknown_foreign_and_expired_rids(module_sandbox, client):
    unknown = client.json("/cgi-bin/openapi/rid/get", {"rid": "00000000-00000000-00000000"})
    assert unknown["errcode"] == 76001 and unknown["errmsg"].startswith("rid not found")
    module_sandbox.control("rids", {"rid": "11111111-22222222-33333333", "foreign": True})
    foreign = client.json("/cgi-bin/openapi/rid/get", {"rid": "11111111-22222222-33333333"})
    assert foreign["errcode"] == 76002 and foreign["errmsg"].startswith("rid belongs to another account")
    failed = client.json("/cgi-bin/draft/get", {"media_id": "nope"})
    module_sandbox.control("clock", {"advance_days": 6})
    client.forget_token()
    assert client.json("/cgi-bin/openapi/rid/get", {"rid": rid_of(failed)})["errcode"] == 0
    module_sandbox.control("clock", {"advance_days": 2})
    client.forget_token()
    expired = client.json("/cgi-bin/openapi/rid/get", {"rid": rid_of(failed)})
    assert expired["errcode"] == 76003 and expired["errmsg"].startswith("rid expired")


# ----- per-minute limits (45011) --------------------------------------------------------------

SENDALL = "/cgi-bin/message/mass/sendall"
MINUTE_ERRMSG = "api minute-quota reach limit  mustslower  retry next minute rid: "


def make_draft(client, title="营商环境篇"):
    thumb = client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                        files={"media": ("c.jpg", jpeg_bytes())})["media_id"]
    return client.json("/cgi-bin/draft/add", {"articles": [
        {"title": title, "content": "<p>正文</p>", "thumb_media_id": thumb}]})["media_id"]


def tag_send(client, media_id):
    """A mass send to a tag (uses none of the account's daily send-to-all quota)."""
    return client.json(SENDALL, {"filter": {"is_to_all": False, "tag_id": 2}, "msgtype": "mpnews",
                                 "mpnews": {"media_id": media_id}})


def row(sandbox, path, appid=None):
    return next(r for r in sandbox.control("quota", appid=appid)["paths"] if r["cgi_path"] == path)


def test_the_61st_mass_send_in_a_minute_is_45011_until_the_clock_passes_the_minute(module_sandbox, client):
    first, later = make_draft(client, "甲"), make_draft(client, "乙")
    start_of_minute(module_sandbox)
    assert tag_send(client, first)["errcode"] == 0
    # Calls count once their token was accepted, whatever the handler answers.
    assert {tag_send(client, "no-such-draft")["errcode"] for _ in range(59)} == {40007}
    refused = tag_send(client, later)
    assert refused["errcode"] == 45011 and refused["errmsg"].startswith(MINUTE_ERRMSG)
    assert RID.search(refused["errmsg"]) and \
        client.json("/cgi-bin/openapi/rid/get", {"rid": rid_of(refused)})["errcode"] == 0
    answer = quota(client, SENDALL)
    assert answer["quota"] == {"daily_limit": 100, "used": 60, "remain": 40}  # the refused one is not counted
    assert answer["rate_limit"]["call_count"] == 60 and 1 <= answer["rate_limit"]["refresh_second"] <= 60
    assert row(module_sandbox, SENDALL) == {
        "cgi_path": SENDALL, "daily_limit": 100, "used": 60, "remain": 40, "enforced": False,
        "minute_limit": 60, "minute_used": 60, "minute_enforced": True}
    assert client.json("/cgi-bin/draft/get", {"media_id": later})["news_item"][0]["title"] == "乙"  # still in the box
    module_sandbox.control("clock", {"advance_seconds": answer["rate_limit"]["refresh_second"]})
    sent = tag_send(client, later)
    assert sent["errcode"] == 0 and isinstance(sent["msg_id"], int)
    assert (row(module_sandbox, SENDALL)["used"], row(module_sandbox, SENDALL)["minute_used"]) == (61, 1)


def test_quota_get_reports_the_minute_limit_in_force_and_the_seconds_left(module_sandbox, client):
    # The fixture put the clock just after the start of a minute.
    answer = quota(client, SENDALL)["rate_limit"]
    assert answer["call_count"] == 60 and answer["refresh_second"] in (59, 60)
    module_sandbox.control("clock", {"advance_seconds": 45})
    assert quota(client, SENDALL)["rate_limit"]["refresh_second"] in (14, 15)
    module_sandbox.control("clock", {"advance_seconds": 14.5})
    assert quota(client, SENDALL)["rate_limit"]["refresh_second"] >= 1
    module_sandbox.control("quota", {"cgi_path": SENDALL, "minute_limit": 5})
    assert quota(client, SENDALL)["rate_limit"]["call_count"] == 5
    assert quota(client, "/cgi-bin/draft/get")["rate_limit"]["call_count"] == 500  # reported, not enforced


def test_a_minute_limit_set_through_the_control_endpoint_is_enforced_until_removed(module_sandbox, client):
    path = "/cgi-bin/draft/count"
    row_set = module_sandbox.control("quota", {"cgi_path": path, "minute_limit": 2})
    assert row_set == {"cgi_path": path, "daily_limit": 1000, "used": 0, "remain": 1000, "enforced": False,
                       "minute_limit": 2, "minute_used": 0, "minute_enforced": True}
    assert "total_count" in client.json(path) and "total_count" in client.json(path)
    refused = client.json(path)
    assert refused["errcode"] == 45011 and refused["errmsg"].startswith(MINUTE_ERRMSG)
    assert quota(client, path)["rate_limit"]["call_count"] == 2
    assert row(module_sandbox, path)["used"] == 2
    back = module_sandbox.control("quota", {"cgi_path": path, "minute_limit": None})
    assert (back["minute_limit"], back["minute_used"], back["minute_enforced"]) == (1000, 2, False)
    assert "total_count" in client.json(path)
    for bad in (-1, "5", True, 1.5):
        reply = requests.post(module_sandbox.url + "/sandbox/quota", json={"cgi_path": path, "minute_limit": bad})
        assert reply.status_code == 400 and "minute_limit" in reply.json()["message"]
        assert "整数" in reply.json()["message"]


def test_a_daily_limit_reached_answers_45009_before_the_minute_limit(module_sandbox, client):
    path = "/cgi-bin/draft/count"
    module_sandbox.control("quota", {"cgi_path": path, "daily_limit": 1, "minute_limit": 1})
    assert "total_count" in client.json(path)
    assert client.json(path)["errcode"] == 45009
    assert (row(module_sandbox, path)["used"], row(module_sandbox, path)["minute_used"]) == (1, 1)


def test_reset_forgets_minute_limits_and_counters(module_sandbox, client):
    path = "/cgi-bin/draft/count"
    module_sandbox.control("quota", {"cgi_path": path, "minute_limit": 1})
    client.json(path)
    assert client.json(path)["errcode"] == 45011
    module_sandbox.control("reset", {})
    client.forget_token()
    assert module_sandbox.control("quota")["paths"] == []
    assert "total_count" in client.json(path)
    module_sandbox.state.reset()
    account = next(iter(module_sandbox.state.accounts.values()))
    assert account.minute_used == {} and account.minute_limits == {}


NEWS, SERVICE = "wxdistrictnews0001", "wxdeptservice00002"
ACCOUNTS = (f"news:{NEWS}:newssecret0000000000000000000a11",
            f"xinzhengfu:{SERVICE}:svcsecret00000000000000000000b22:service")


def test_minute_limits_are_counted_per_account(make_sandbox):
    server = make_sandbox(accounts=ACCOUNTS)
    away_from_midnight(server)
    start_of_minute(server)
    news, service = SandboxClient(server, NEWS), SandboxClient(server, SERVICE)
    assert {tag_send(news, "no-such-draft")["errcode"] for _ in range(60)} == {40007}
    assert tag_send(news, "no-such-draft")["errcode"] == 45011  # news has used its minute
    assert tag_send(service, make_draft(service))["errcode"] == 0  # the other account has not
    assert row(server, SENDALL, appid=NEWS)["minute_used"] == 60
    assert row(server, SENDALL, appid=SERVICE)["minute_used"] == 1
    # A limit set for one account (the control call's appid) leaves the other alone.
    server.control("quota", {"cgi_path": "/cgi-bin/draft/count", "minute_limit": 0, "appid": SERVICE})
    assert service.json("/cgi-bin/draft/count")["errcode"] == 45011
    assert "total_count" in news.json("/cgi-bin/draft/count")
    assert not row(server, "/cgi-bin/draft/count", appid=NEWS)["minute_enforced"]


def test_the_call_log_carries_the_request_media_id(module_sandbox, client):
    draft = make_draft(client)
    client.json("/cgi-bin/draft/get", {"media_id": draft})
    client.json("/cgi-bin/draft/count")
    client.json("/cgi-bin/draft/get", {"media_id": 12345})  # not a string: not logged
    tag_send(client, draft)
    module_sandbox.control("errors", {"path": "/cgi-bin/freepublish/submit", "errcode": 48001})
    client.json("/cgi-bin/freepublish/submit", {"media_id": "forced-away"})  # refused before its handler
    logged = [(c["path"], c.get("media_id")) for c in module_sandbox.control("calls")]
    assert logged[-7:] == [
        ("/cgi-bin/material/add_material", None), ("/cgi-bin/draft/add", None),
        ("/cgi-bin/draft/get", draft), ("/cgi-bin/draft/count", None), ("/cgi-bin/draft/get", None),
        (SENDALL, draft), ("/cgi-bin/freepublish/submit", "forced-away")]
    assert "media_id" not in module_sandbox.control("calls")[-4]  # absent, not null
