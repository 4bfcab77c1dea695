"""Fault injection, forced errors/outcomes, the sandbox clock and the datacube route."""
import importlib.util

import pytest
import requests

from wxpub.sandbox.testing import SandboxClient, jpeg_bytes

from servers import start_sandbox

ARTICLE = {"title": "法治环境篇", "content": "<p>正文</p>"}


pytestmark = pytest.mark.sandbox(slow_seconds=1.0)


@pytest.fixture()
def client(module_sandbox):
    module_sandbox.control("reset", {})
    return SandboxClient(module_sandbox)


def add_draft(client, **kwargs):
    thumb = client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                        files={"media": ("c.jpg", jpeg_bytes())})["media_id"]
    return client.call("/cgi-bin/draft/add", {"articles": [{**ARTICLE, "thumb_media_id": thumb}]}, **kwargs)


def draft_count(client):
    return client.json("/cgi-bin/draft/count")["total_count"]


def test_busy_fault_happens_before_processing(module_sandbox, client):
    module_sandbox.control("faults", {"force": "busy", "path": "/cgi-bin/draft/add"})
    assert add_draft(client).json()["errcode"] == -1
    assert draft_count(client) == 0


def test_http_502_happens_before_processing(module_sandbox, client):
    module_sandbox.control("faults", {"force": "http502", "path": "/cgi-bin/draft/add"})
    assert add_draft(client).status_code == 502
    assert draft_count(client) == 0


def test_connection_reset_happens_after_processing(module_sandbox, client):
    module_sandbox.control("faults", {"force": "reset", "path": "/cgi-bin/draft/add"})
    with pytest.raises(requests.ConnectionError):
        add_draft(client)
    assert draft_count(client) == 1
    logged = [c for c in module_sandbox.control("calls") if c["path"] == "/cgi-bin/draft/add"]
    assert logged[-1]["fault"] == "reset" and logged[-1]["errcode"] == 0


def test_slow_answer_happens_after_processing(module_sandbox, client):
    module_sandbox.control("faults", {"force": "slow", "path": "/cgi-bin/draft/add"})
    with pytest.raises(requests.Timeout):
        add_draft(client, timeout=0.2)
    assert draft_count(client) == 1


def test_random_faults_follow_the_seed():
    def fault_sequence():
        with start_sandbox(fault_rate=0.5, seed=7) as sb:
            sb.control("faults", {"kinds": ["busy", "http502"]})
            for _ in range(30):
                requests.get(sb.url + "/cgi-bin/token", params={"grant_type": "client_credential"}, timeout=5)
            return [c["fault"] for c in sb.control("calls")]

    first, second = fault_sequence(), fault_sequence()
    assert first == second
    assert {"busy", "http502", None} == set(first)


def test_fault_rate_can_be_changed_and_control_endpoints_are_never_faulted(module_sandbox, client):
    module_sandbox.control("faults", {"rate": 1.0, "kinds": ["busy"]})
    try:
        for _ in range(5):
            assert module_sandbox.control("clock")["now"]
        reply = requests.get(module_sandbox.url + "/cgi-bin/token", timeout=5).json()
        assert reply["errcode"] == -1
    finally:
        module_sandbox.control("faults", {"rate": 0.0, "kinds": ["busy", "http502", "slow", "reset"]})
    assert all(c["path"].startswith("/cgi-bin/") for c in module_sandbox.control("calls"))


def test_forced_errors_hit_the_next_calls_to_a_path(module_sandbox, client):
    module_sandbox.control("errors", {"path": "/cgi-bin/freepublish/submit", "errcode": 48001, "count": 2})
    for _ in range(2):
        reply = client.json("/cgi-bin/freepublish/submit", {"media_id": "whatever"})
        assert reply["errcode"] == 48001 and "api unauthorized" in reply["errmsg"]
    assert client.json("/cgi-bin/freepublish/submit", {"media_id": "whatever"})["errcode"] == 40007


def test_forced_ip_whitelist_error_on_token(module_sandbox):
    module_sandbox.control("errors", {"path": "/cgi-bin/token", "errcode": 40164})
    reply = requests.get(module_sandbox.url + "/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": module_sandbox.config.appid,
        "secret": module_sandbox.config.secret}, timeout=5).json()
    assert reply["errcode"] == 40164


def test_call_log_hides_the_access_token(module_sandbox, client):
    client.json("/cgi-bin/draft/count")
    entry = module_sandbox.control("calls")[-1]
    assert entry["path"] == "/cgi-bin/draft/count" and entry["method"] == "GET" and entry["errcode"] == 0
    assert "access_token" not in entry["query"] and entry["time"]


def test_clock_moves_forward_only(module_sandbox, client):
    before = module_sandbox.control("clock")
    after = module_sandbox.control("clock", {"advance_days": 2})
    assert after["offset_seconds"] - before["offset_seconds"] == 2 * 86400
    reply = requests.post(module_sandbox.url + "/sandbox/clock", json={"advance_seconds": -5}, timeout=5)
    assert reply.status_code == 400 and "advance_seconds" in reply.json()["message"]


def test_bad_control_input_is_explained_in_chinese(module_sandbox):
    reply = requests.post(module_sandbox.url + "/sandbox/outcomes", json={"publish_status": 9}, timeout=5)
    assert reply.status_code == 400 and "publish_status" in reply.json()["message"]


def test_datacube_route_checks_token_faults_and_logs(module_sandbox, client):
    reply = requests.post(module_sandbox.url + "/datacube/getarticleread", json={}, timeout=5).json()
    assert reply["errcode"] == 41001
    module_sandbox.control("faults", {"force": "busy", "path": "/datacube/getarticleread"})
    assert client.json("/datacube/getarticleread", {"begin_date": "2026-01-01"})["errcode"] == -1
    assert module_sandbox.control("calls")[-1]["path"] == "/datacube/getarticleread"


@pytest.mark.skipif(importlib.util.find_spec("wxpub.sandbox.datacube") is not None,
                    reason="the datacube module exists; its own tests cover the answers")
def test_datacube_without_its_module_answers_48001(client):
    assert client.json("/datacube/getarticleread", {"begin_date": "2026-01-01"})["errcode"] == 48001


def test_unknown_endpoint_is_a_plain_404(module_sandbox):
    assert requests.get(module_sandbox.url + "/cgi-bin/no/such/api", timeout=5).status_code == 404
