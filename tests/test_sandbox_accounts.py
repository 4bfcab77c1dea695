"""Several official accounts in one sandbox (issue 15 item 5): each with its own token, drafts,
publications, statistics, mass quota, comments, rids and callback URL; control calls by ?appid=."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from click.testing import CliRunner

from wxpub.sandbox.command import sandbox
from wxpub.sandbox.config import SandboxConfig, SandboxConfigError
from wxpub.sandbox.crypto import MessageCrypto
from wxpub.sandbox.testing import CallbackReceiver, SandboxClient, SandboxServer, jpeg_bytes

from servers import away_from_midnight

BJ = ZoneInfo("Asia/Shanghai")
NEWS = "wxdistrictnews0001"
SERVICE = "wxdeptservice00002"
ACCOUNTS = (f"news:{NEWS}:newssecret0000000000000000000a11", f"xinzhengfu:{SERVICE}:svcsecret00000000000000000000b22:service")


@pytest.fixture()
def two():
    with SandboxServer(accounts=ACCOUNTS, publish_delay=600, slow_seconds=1.5) as server:
        away_from_midnight(server, minutes=120)
        yield server, SandboxClient(server, NEWS), SandboxClient(server, SERVICE)


def make_draft(client, title="市场环境篇", open_comment=0):
    thumb = client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                        files={"media": ("c.jpg", jpeg_bytes())})["media_id"]
    return client.json("/cgi-bin/draft/add", {"articles": [{
        "title": title, "content": "<p>正文</p>", "thumb_media_id": thumb,
        "need_open_comment": open_comment}]})["media_id"]


def send_to_all(client, media_id):
    return client.json("/cgi-bin/message/mass/sendall", {
        "filter": {"is_to_all": True}, "msgtype": "mpnews", "mpnews": {"media_id": media_id}})


def test_each_account_gets_its_own_token_and_sees_only_its_drafts(two):
    server, news, service = two
    assert news.access_token != service.access_token
    wrong = requests.get(f"{server.url}/cgi-bin/token", params={
        "grant_type": "client_credential", "appid": SERVICE, "secret": "newssecret0000000000000000000a11"}).json()
    assert wrong["errcode"] == 40125  # A's secret does not open B
    media_id = make_draft(news)
    assert news.json("/cgi-bin/draft/get", {"media_id": media_id})["news_item"][0]["title"] == "市场环境篇"
    assert service.json("/cgi-bin/draft/get", {"media_id": media_id})["errcode"] == 40007
    assert service.json("/cgi-bin/draft/count")["total_count"] == 0
    assert news.json("/cgi-bin/draft/count")["total_count"] == 1
    assert news.json("/cgi-bin/material/get_materialcount")["image_count"] == 1
    assert service.json("/cgi-bin/material/get_materialcount")["image_count"] == 0


def test_publishing_on_one_account_stays_out_of_the_others_lists_and_statistics(two):
    server, news, service = two
    submitted = news.json("/cgi-bin/freepublish/submit", {"media_id": make_draft(news, "人文环境篇")})
    assert submitted["errcode"] == 0
    server.control("clock", {"advance_days": 2})
    news.forget_token(), service.forget_token()
    assert news.json("/cgi-bin/freepublish/get", {"publish_id": submitted["publish_id"]})["publish_status"] == 0
    assert service.json("/cgi-bin/freepublish/get", {"publish_id": submitted["publish_id"]})["errcode"] == 40002
    listing = {"offset": 0, "count": 20, "no_content": 1}
    assert news.json("/cgi-bin/freepublish/batchget", listing)["total_count"] == 1
    assert service.json("/cgi-bin/freepublish/batchget", listing)["total_count"] == 0

    [article] = server.control("published", appid=NEWS)
    assert server.control("published", appid=SERVICE) == [] and server.control("published") == [article]
    day = datetime.fromisoformat(article["published_at"]).astimezone(BJ).date().isoformat()
    query = {"begin_date": day, "end_date": day}
    [row] = news.json("/datacube/getarticletotaldetail", query)["list"]
    assert row["title"] == "人文环境篇"
    assert service.json("/datacube/getarticletotaldetail", query)["list"] == []


def test_mass_quota_is_per_account_and_follows_its_type(two):
    server, news, service = two
    assert send_to_all(news, make_draft(news))["errcode"] == 0
    assert send_to_all(news, make_draft(news))["errcode"] == 45028  # subscription: once a day
    for _ in range(4):  # the service account still has its 4 a month
        assert send_to_all(service, make_draft(service))["errcode"] == 0
    assert send_to_all(service, make_draft(service))["errcode"] == 45028


def test_comments_and_rids_belong_to_their_account(two):
    server, news, service = two
    sent = send_to_all(news, make_draft(news, open_comment=1))
    server.control("clock", {"advance_seconds": 600})
    news.forget_token(), service.forget_token()
    msg = {"msg_data_id": sent["msg_data_id"], "index": 0, "begin": 0, "count": 10, "type": 0}
    assert news.json("/cgi-bin/comment/list", msg)["errcode"] == 0
    assert service.json("/cgi-bin/comment/list", msg)["errcode"] == 88001
    assert server.control("comments", appid=SERVICE) == {"articles": []}
    assert len(server.control("comments", appid=NEWS)["articles"]) == 1

    error = news.json("/cgi-bin/draft/get", {"media_id": "no-such-draft"})
    rid = error["errmsg"].rsplit("rid: ", 1)[1]
    assert news.json("/cgi-bin/openapi/rid/get", {"rid": rid})["request"]["request_url"].startswith(
        "/cgi-bin/draft/get")
    assert service.json("/cgi-bin/openapi/rid/get", {"rid": rid})["errcode"] == 76002


def test_quota_counters_and_followers_per_account_by_appid(two):
    server, news, service = two
    make_draft(news)
    used = {p["cgi_path"]: p["used"] for p in server.control("quota", appid=NEWS)["paths"]}
    assert used["/cgi-bin/draft/add"] == 1
    assert "/cgi-bin/draft/add" not in {p["cgi_path"] for p in server.control("quota", appid=SERVICE)["paths"]}
    assert service.json("/cgi-bin/openapi/quota/get", {"cgi_path": "/cgi-bin/draft/add"})["quota"]["used"] == 0

    server.control("followers", {"wxname": "chenkezhang2026", "appid": SERVICE})  # appid in the body
    service_names = {f["wxname"] for f in server.control("followers", appid=SERVICE)}
    news_names = {f["wxname"] for f in server.control("followers")}  # default: the first
    assert "chenkezhang2026" in service_names and "chenkezhang2026" not in news_names
    assert server.control("", appid=SERVICE)["appid"] == SERVICE and server.control("")["appid"] == NEWS

    unknown = requests.get(f"{server.url}/sandbox/followers", params={"appid": "wxnobody0000"})
    assert unknown.status_code == 400 and "wxnobody0000" in unknown.json()["message"]
    assert "沙箱中没有" in unknown.json()["message"]


def test_accounts_listing_masks_secrets(two):
    server, _, _ = two
    listed = server.control("accounts")["accounts"]
    assert [(a["name"], a["appid"], a["account_type"]) for a in listed] == \
        [("news", NEWS, "subscription"), ("xinzhengfu", SERVICE, "service")]
    text = json.dumps(listed)
    assert "newssecret0000000000000000000a11" not in text and listed[0]["secret"].endswith("0a11")
    assert listed[0]["gh_id"] != listed[1]["gh_id"]


def test_events_go_to_each_accounts_callback_url_with_its_keys():
    with CallbackReceiver() as receiver, SandboxServer(accounts=ACCOUNTS, publish_delay=600,
                                                       callback_url=receiver.url) as server:
        news, service = SandboxClient(server, NEWS), SandboxClient(server, SERVICE)
        news.json("/cgi-bin/freepublish/submit", {"media_id": make_draft(news)})
        service.json("/cgi-bin/freepublish/submit", {"media_id": make_draft(service)})
        server.control("clock", {"advance_seconds": 600})
        pushes = receiver.wait(2)
        assert sorted(p["path"] for p in pushes) == ["/wechat/callback/news", "/wechat/callback/xinzhengfu"]
        configs = dict(server.config.account_configs())
        for push in pushes:
            account = configs[push["path"].rsplit("/", 1)[1]]
            encrypted = ET.fromstring(push["body"]).find("Encrypt").text
            xml = MessageCrypto(account.token, account.aes_key, account.appid).decrypt(encrypted)
            assert "PUBLISHJOBFINISH" in xml
        assert [e["url"] for e in server.control("events", appid=SERVICE)] == [receiver.url + "/xinzhengfu"]


def test_single_account_default_is_unchanged():
    config = SandboxConfig()
    assert config.account_configs() == [("default", config)]
    with SandboxServer() as server:
        [only] = server.control("accounts")["accounts"]
        assert only["appid"] == "wxsandbox000000001" and only["name"] == "default"


@pytest.mark.parametrize("value, expected", [
    ("news", "--account 无效"), ("news:wx12:secret1234", "AppID"), ("新闻:wxabcdef123:secret1234", "名称"),
    ("news:wxabcdef123:secret1234:enterprise", "subscription"), ("news:wxabcdef123:ab", "AppSecret"),
])
def test_bad_account_values_are_refused_in_chinese(value, expected):
    result = CliRunner().invoke(sandbox, ["--account", value])
    assert result.exit_code == 2 and expected in result.output, result.output


def test_duplicate_accounts_and_mixing_with_appid_are_refused():
    twice = CliRunner().invoke(sandbox, ["--account", "a:wxabcdef123:secret1234",
                                         "--account", "b:wxabcdef123:secret5678"])
    assert twice.exit_code == 2 and "重复" in twice.output
    mixed = CliRunner().invoke(sandbox, ["--appid", "wxabcdef999", "--account", "a:wxabcdef123:secret1234"])
    assert mixed.exit_code == 2 and "--appid" in mixed.output and "不能与" in mixed.output
    with pytest.raises(SandboxConfigError):
        SandboxConfig(accounts=({"name": "a", "appid": "bad", "secret": "secret1234"},))


def test_accounts_file_errors_name_the_line(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text("- name: news\n  appid: wxabcdef123\n  secret: secret1234\n"
                    "- name: svc\n  appid: wxabcdef456\n  secret: secret5678\n  type: enterprise\n",
                    encoding="utf-8")
    result = CliRunner().invoke(sandbox, ["--accounts", str(path)])
    assert result.exit_code == 2 and "第 4 行" in result.output and "enterprise" in result.output
    path.write_text('[{"name": "news", "appid": "wxabcdef123", "secret": "secret1234", "colour": 1}]')
    result = CliRunner().invoke(sandbox, ["--accounts", str(path)])
    assert result.exit_code == 2 and "colour" in result.output
    missing = CliRunner().invoke(sandbox, ["--accounts", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "无法读取" in missing.output


def test_banner_lists_every_account_with_masked_secrets(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps([
        {"name": "news", "appid": NEWS, "secret": "newssecretAAAA1111"},
        {"name": "xinzhengfu", "appid": SERVICE, "secret": "svcsecretBBBB2222", "type": "service",
         "callback_url": "http://127.0.0.1:5000/wechat/callback/xzf"}]), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "wxpub.sandbox", "--port", "0", "--accounts", str(path),
                             "--callback-url", "http://127.0.0.1:5000/wechat/callback"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any("控制接口" in line for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    banner = "".join(lines)
    assert NEWS in banner and SERVICE in banner and "账号 2" in banner
    assert "newssecretAAAA1111" not in banner and "1111" in banner and "2222" in banner
    assert "http://127.0.0.1:5000/wechat/callback/news" in banner
    assert "http://127.0.0.1:5000/wechat/callback/xzf" in banner


def test_verification_and_call_log_per_account(two):
    server, news, service = two
    now = int(datetime.fromisoformat(server.control("clock")["now"]).timestamp())
    server.control("account-events", {"event": "verify_expired", "expired_time": now - 10, "appid": SERVICE})
    assert service.json("/cgi-bin/freepublish/submit", {"media_id": make_draft(service)})["errcode"] == 48001
    assert news.json("/cgi-bin/freepublish/submit", {"media_id": make_draft(news)})["errcode"] == 0
    [refused] = server.control("calls?path=/cgi-bin/freepublish/submit", appid=SERVICE)
    assert refused["errcode"] == 48001 and refused["appid"] == SERVICE
    assert [a["verified"] for a in server.control("accounts")["accounts"]] == [True, False]
