"""openapi/quota/get (per-path daily counts, 45009 once a limit is set) and openapi/rid/get (the
request behind an error's rid, secrets masked, kept 7 days) in the sandbox."""
import re

import pytest
import requests

from wxpub.sandbox.testing import SandboxClient

from servers import away_from_midnight

RID = re.compile(r" rid: ([0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8})$")


@pytest.fixture()
def client(module_sandbox):
    module_sandbox.control("reset", {})
    away_from_midnight(module_sandbox)  # counts are per Beijing day
    return SandboxClient(module_sandbox)


def quota(client, path):
    return client.json("/cgi-bin/openapi/quota/get", {"cgi_path": path})


def test_quota_counts_business_calls_per_path(module_sandbox, client):
    path = "/cgi-bin/draft/count"
    assert quota(client, path) == {"errcode": 0, "errmsg": "ok",
                                   "quota": {"daily_limit": 1000, "used": 0, "remain": 1000},
                                   "rate_limit": {"call_count": 1000, "refresh_second": 60}}
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
    assert {"cgi_path": path, "daily_limit": 1000, "used": 3, "remain": 997, "enforced": False} in listed["paths"]
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
    assert row == {"cgi_path": path, "daily_limit": 2, "used": 0, "remain": 2, "enforced": True}
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
        {"cgi_path": path, "daily_limit": 1000, "used": 1, "remain": 999, "enforced": False}]


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
