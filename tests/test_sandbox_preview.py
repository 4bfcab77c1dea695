"""message/mass/preview against reference §5.2 over real HTTP: to a follower's 微信号 (towxname wins
over touser), 100 a Beijing day, the documented error codes, and what the phone was shown."""
import pytest
import requests

from wxpub.sandbox.testing import SandboxClient, jpeg_bytes, png_bytes

from servers import advance_sandbox_clock, away_from_midnight

pytestmark = pytest.mark.sandbox(publish_delay=600)
REVIEWER = "likezhang2026"  # one of the sandbox's default followers


@pytest.fixture()
def client(module_sandbox):
    module_sandbox.control("reset", {})
    away_from_midnight(module_sandbox)
    return SandboxClient(module_sandbox)


def make_draft(client, titles=("市场环境篇",), body="<p>正文第一段。</p>"):
    thumb = client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                        files={"media": ("c.jpg", jpeg_bytes())})["media_id"]
    articles = [{"title": t, "author": "新政服", "content": body, "thumb_media_id": thumb} for t in titles]
    return client.json("/cgi-bin/draft/add", {"articles": articles})["media_id"]


def preview(client, media_id, **to):
    return client.json("/cgi-bin/message/mass/preview",
                       {**to, "msgtype": "mpnews", "mpnews": {"media_id": media_id}})


def sent(sandbox, **query):
    return requests.get(f"{sandbox.url}/sandbox/previews", params=query, timeout=5).json()


def test_a_preview_reaches_a_follower_and_the_sandbox_shows_what_was_sent(module_sandbox, client):
    image = client.call("/cgi-bin/media/uploadimg", files={"media": ("p.png", png_bytes())}).json()["url"]
    media_id = make_draft(client, ("市场环境篇", "政务环境篇"),
                          body=f'<p>营商环境<strong>持续优化</strong>。</p><img src="{image}">')
    reply = preview(client, media_id, towxname=REVIEWER)
    assert reply["errcode"] == 0 and reply["errmsg"] == "preview success"
    assert isinstance(reply["msg_id"], int)
    # A preview uses no mass quota and leaves the draft in the box.
    assert client.json("/cgi-bin/draft/get", {"media_id": media_id})["news_item"]
    record = sent(module_sandbox)
    assert record["today"] == {"date": record["today"]["date"], "used": 1, "limit": 100}
    [shown] = record["previews"]
    assert shown["msg_id"] == reply["msg_id"] and shown["media_id"] == media_id
    assert shown["recipient"]["wxname"] == REVIEWER and shown["recipient"]["openid"].startswith("o")
    assert [a["title"] for a in shown["articles"]] == ["市场环境篇", "政务环境篇"]
    assert "持续优化" in shown["articles"][0]["content"]
    page = requests.get(f"{module_sandbox.url}/sandbox/previews.html", timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "script-src" not in page.headers["Content-Security-Policy"]  # no script may run there
    html = page.text
    assert REVIEWER in html and "市场环境篇" in html and "政务环境篇" in html and "持续优化" in html
    # The body image is served by the sandbox itself, under WeChat's path.
    local = image.split("mmbiz.qpic.cn", 1)[1]
    assert f'src="{local}"' in html
    assert requests.get(module_sandbox.url + local.split("?")[0], timeout=5).content == png_bytes()


def test_previews_by_wechat_id_stop_at_100_a_beijing_day(module_sandbox, client):
    media_id = make_draft(client)
    for _ in range(100):
        assert preview(client, media_id, towxname=REVIEWER)["errcode"] == 0
    refused = preview(client, media_id, towxname="zhangzhuren2026")  # the account's limit, any name
    assert refused["errcode"] == 45009 and "rid:" in refused["errmsg"]
    assert sent(module_sandbox)["today"]["used"] == 100
    # Previews by openid are not counted against it.
    openid = sent(module_sandbox)["previews"][0]["recipient"]["openid"]
    assert preview(client, media_id, touser=openid)["errcode"] == 0
    advance_sandbox_clock(module_sandbox, 86400)
    assert preview(client, media_id, towxname=REVIEWER)["errcode"] == 0
    assert sent(module_sandbox)["today"]["used"] == 1


def test_an_unknown_or_malformed_wechat_id_is_40132(module_sandbox, client):
    media_id = make_draft(client)
    assert preview(client, media_id, towxname="nobody_knows_me")["errcode"] == 40132
    assert preview(client, media_id, towxname="1abcdefg")["errcode"] == 40132  # must start with a letter
    assert preview(client, media_id, towxname="abc")["errcode"] == 40132       # 6–20 characters
    added = module_sandbox.control("followers", {"wxname": "Nobody_Knows_Me", "nickname": "新同事"})
    assert added["subscribed"] is True
    assert preview(client, media_id, towxname="nobody_knows_me")["errcode"] == 0  # case-insensitive
    assert sent(module_sandbox, wxname="nobody_knows_me")["previews"][0]["recipient"]["nickname"] == "新同事"


def test_a_follower_who_unfollowed_gets_43004(module_sandbox, client):
    module_sandbox.control("followers", {"wxname": REVIEWER, "subscribed": False})
    assert preview(client, make_draft(client), towxname=REVIEWER)["errcode"] == 43004
    assert sent(module_sandbox)["previews"] == []


def test_an_invalid_media_id_is_40007_and_nothing_is_sent(module_sandbox, client):
    assert preview(client, "no-such-draft", towxname=REVIEWER)["errcode"] == 40007
    deleted = make_draft(client)
    client.json("/cgi-bin/draft/delete", {"media_id": deleted})
    assert preview(client, deleted, towxname=REVIEWER)["errcode"] == 40007
    assert sent(module_sandbox)["previews"] == [] and sent(module_sandbox)["today"]["used"] == 0


def test_other_input_errors(client):
    media_id = make_draft(client)
    assert preview(client, media_id)["errcode"] == 40003                       # nobody to send to
    assert preview(client, media_id, touser="not-an-openid")["errcode"] == 40003
    text = client.json("/cgi-bin/message/mass/preview",
                       {"towxname": REVIEWER, "msgtype": "text", "text": {"content": "hi"}})
    assert text["errcode"] == 40008


def test_towxname_wins_when_both_are_given(module_sandbox, client):
    media_id = make_draft(client)
    other = next(f for f in module_sandbox.control("followers") if f["wxname"] == "zhangzhuren2026")
    assert preview(client, media_id, towxname=REVIEWER, touser=other["openid"])["errcode"] == 0
    [shown] = sent(module_sandbox)["previews"]
    assert shown["by"] == "towxname" and shown["recipient"]["wxname"] == REVIEWER
    # … also when it is the wrong one: the openid is not used instead.
    assert preview(client, media_id, towxname="nobody_knows_me", touser=other["openid"])["errcode"] == 40132


def test_reset_forgets_previews_and_added_followers(module_sandbox, client):
    module_sandbox.control("followers", {"wxname": "temp_follower"})
    preview(client, make_draft(client), towxname="temp_follower")
    module_sandbox.control("reset", {})
    assert sent(module_sandbox)["previews"] == []
    names = {f["wxname"] for f in module_sandbox.control("followers")}
    assert "temp_follower" not in names and REVIEWER in names


def test_control_pages_refuse_other_origins_and_bad_followers(module_sandbox):
    evil = {"Origin": "http://training-news.example"}
    assert requests.get(f"{module_sandbox.url}/sandbox/previews.html", headers=evil, timeout=5).status_code == 403
    assert requests.post(f"{module_sandbox.url}/sandbox/followers", json={"wxname": "evil_friend"},
                         headers=evil, timeout=5).status_code == 403
    bad = requests.post(f"{module_sandbox.url}/sandbox/followers", json={"wxname": "1x"}, timeout=5)
    assert bad.status_code == 400 and "微信号" in bad.json()["message"]
