"""Each API group's happy path against a live sandbox, answers as WeChat sends them."""

from datetime import date, datetime, timedelta

import pytest
import requests

from wxpub.sandbox.testing import jpeg_bytes, png_bytes
from wxpub.wechat import WeChat
from wxpub.wechat.callback import CallbackCrypto, parse_event
from wxpub.wechat.errors import PermanentWeChatError


pytestmark = pytest.mark.sandbox(publish_delay=2.0)


@pytest.fixture
def settings(wechat_settings):
    return wechat_settings(wechat_timeout=5)


@pytest.fixture
def wx(settings, database):
    return WeChat(settings, database)


@pytest.fixture
def cover(wx):
    return wx.material.add_image(jpeg_bytes(90, 50))["media_id"]


def article(cover, title="人文环境篇丨创新实践案例", **extra):
    return {"title": title, "author": "新政服", "digest": "案例展示",
            "content": "<section style=\"color:#333\"><p>一是……二是……</p></section>",
            "content_source_url": "https://www.example.gov.cn/a", "thumb_media_id": cover,
            "need_open_comment": 0, "only_fans_can_comment": 0, **extra}


def finish_jobs(sandbox):
    """Move WeChat's clock past the publish delay (the sandbox finishes due jobs then)."""
    sandbox.control("clock", {"advance_seconds": 3})


def test_construction_is_cheap_and_offline(settings, database, sandbox):
    wx = WeChat(settings, database)
    assert sandbox.control("calls") == []
    assert {wx.media, wx.material, wx.draft, wx.freepublish, wx.mass, wx.datacube}
    assert "secret" not in repr(wx).lower()


def test_media_upload_image_returns_a_wechat_url(wx, sandbox):
    url = wx.media.upload_image(("cover.png", png_bytes()))
    assert url.startswith("http://mmbiz.qpic.cn/")


def test_permanent_material_lifecycle(wx):
    image = jpeg_bytes(60, 40)
    added = wx.material.add_image(image)
    assert added["media_id"] and added["url"].startswith("http://mmbiz.qpic.cn/")
    thumb = wx.material.add_thumb(jpeg_bytes(20, 20))
    assert thumb["media_id"]
    assert wx.material.get(added["media_id"]) == image
    assert wx.material.get_count()["image_count"] >= 1
    listing = wx.material.batchget("image", 0, 20)
    assert added["media_id"] in [item["media_id"] for item in listing["item"]]
    assert wx.material.delete(added["media_id"])["errcode"] == 0
    with pytest.raises(PermanentWeChatError) as caught:
        wx.material.get(added["media_id"])
    assert caught.value.errcode == 40007


def test_draft_lifecycle_keeps_every_article_field(wx, cover):
    crops = {"pic_crop_235_1": "0.1945_0_1_0.5236", "pic_crop_1_1": "0.166454_0_0.833545_1"}
    media_id = wx.draft.add([article(cover, **crops), article(cover, "市场环境篇")])["media_id"]
    got = wx.draft.get(media_id)["news_item"]
    assert [a["title"] for a in got] == ["人文环境篇丨创新实践案例", "市场环境篇"]
    assert got[0]["pic_crop_235_1"] == crops["pic_crop_235_1"]
    assert got[0]["pic_crop_1_1"] == crops["pic_crop_1_1"]
    assert got[0]["content_source_url"] == "https://www.example.gov.cn/a"
    assert wx.draft.update(media_id, 1, article(cover, "法治环境篇"))["errcode"] == 0
    assert wx.draft.get(media_id)["news_item"][1]["title"] == "法治环境篇"
    assert wx.draft.count() == {"total_count": 1}
    listing = wx.draft.batchget(0, 20, no_content=True)
    assert listing["total_count"] == 1 and listing["item"][0]["media_id"] == media_id
    assert "content" not in listing["item"][0]["content"]["news_item"][0]
    assert wx.draft.delete(media_id)["errcode"] == 0
    assert wx.draft.count() == {"total_count": 0}


def test_freepublish_lifecycle_and_its_callback_event(wx, cover, sandbox, settings):
    media_id = wx.draft.add([article(cover)])["media_id"]
    job = wx.freepublish.submit(media_id)
    assert isinstance(job["publish_id"], str) and job["publish_id"].isdigit()
    assert isinstance(job["msg_data_id"], str)
    assert wx.freepublish.get(int(job["publish_id"]))["publish_status"] == 1  # still publishing
    finish_jobs(sandbox)
    status = wx.freepublish.get(job["publish_id"])
    assert status["publish_status"] == 0 and status["publish_id"] == job["publish_id"]
    article_id = status["article_id"]
    urls = [item["article_url"] for item in status["article_detail"]["item"]]
    assert wx.freepublish.getarticle(article_id)["news_item"][0]["title"] == "人文环境篇丨创新实践案例"
    assert article_id in [item["article_id"] for item in wx.freepublish.batchget(0, 20)["item"]]

    pushed = [e for e in sandbox.control("events") if e["kind"] == "PUBLISHJOBFINISH"]
    event = parse_event(CallbackCrypto.from_settings(settings).open(pushed[0]["body"], pushed[0]["params"]))
    assert event["event"] == "PUBLISHJOBFINISH" and event["publish_id"] == job["publish_id"]
    assert event["publish_status"] == 0 and event["article_id"] == article_id
    assert event["article_urls"] == urls

    assert wx.freepublish.delete(article_id, 1)["errcode"] == 0
    assert wx.freepublish.getarticle(article_id)["news_item"][0]["is_deleted"] is True


def test_mass_send_lifecycle_is_idempotent_by_clientmsgid(wx, cover, sandbox, settings):
    media_id = wx.draft.add([article(cover)])["media_id"]
    assert wx.mass.preview(media_id, touser="oSandbox_preview_user_000000")["errcode"] == 0
    sent = wx.mass.sendall(media_id, clientmsgid="release-7-v3")
    assert sent["msg_id"].isdigit() and sent["msg_data_id"].isdigit()
    with pytest.raises(PermanentWeChatError) as caught:
        wx.mass.sendall(media_id, clientmsgid="release-7-v3")
    assert caught.value.errcode == 45065 and caught.value.body["msg_id"] == sent["msg_id"]
    finish_jobs(sandbox)
    status = wx.mass.get(int(sent["msg_id"]))
    assert status == {**status, "msg_id": sent["msg_id"], "msg_status": "SEND_SUCCESS"}
    pushed = [e for e in sandbox.control("events") if e["kind"] == "MASSSENDJOBFINISH"]
    event = parse_event(CallbackCrypto.from_settings(settings).open(pushed[0]["body"], pushed[0]["params"]))
    assert event["event"] == "MASSSENDJOBFINISH" and event["msg_id"] == sent["msg_id"]
    assert event["status"] == "send success" and len(event["article_urls"]) == 1
    assert wx.mass.delete(sent["msg_id"])["errcode"] == 0
    assert wx.mass.get(sent["msg_id"])["msg_status"] == "DELETE"


def test_mass_send_needs_an_idempotency_key(wx):
    with pytest.raises(ValueError, match="clientmsgid"):
        wx.mass.sendall("media", clientmsgid="")


def sandbox_today(sandbox) -> date:
    return datetime.fromisoformat(sandbox.control("clock")["now_shanghai"]).date()


def test_datacube_new_family_answers_and_the_offline_legacy_family_is_not_offered(wx, cover, sandbox):
    media_id = wx.draft.add([article(cover)])["media_id"]
    sent = wx.mass.sendall(media_id, clientmsgid="stats-1")
    finish_jobs(sandbox)
    published_on = sandbox_today(sandbox)
    sandbox.control("clock", {"advance_days": 2})
    yesterday = sandbox_today(sandbox) - timedelta(days=1)

    detail = wx.datacube.getarticletotaldetail(published_on, published_on.isoformat())
    assert set(detail) >= {"list", "is_delay"}
    assert any(row["msgid"].startswith(sent["msg_data_id"] + "_") for row in detail["list"])
    for name in ("getarticleread", "getarticleshare", "getbizsummary"):
        answer = getattr(wx.datacube, name)(yesterday, yesterday)
        assert isinstance(answer["list"], list) and isinstance(answer["is_delay"], bool), name
    # The legacy 图文分析 endpoints answer 47009 since 2026 (§0a.1): the adapter no longer offers them.
    for name in ("getarticlesummary", "getarticletotal", "getuserread", "getusershare"):
        assert not hasattr(wx.datacube, name), name
    assert [c["path"] for c in sandbox.control("calls")].count("/datacube/getbizsummary") == 1


def test_datacube_date_range_errors_are_permanent(wx, sandbox):
    today = sandbox_today(sandbox)
    with pytest.raises(PermanentWeChatError) as caught:
        wx.datacube.getarticleread(today, today)
    assert caught.value.errcode == 61501 and "日期范围" in caught.value.explanation
    with pytest.raises(ValueError):
        wx.datacube.getbizsummary("2026/03/01", "2026-03-01")


def test_draft_images_served_from_uploadimg_urls(wx, sandbox):
    image = png_bytes(12, 12)
    url = wx.media.upload_image(image)
    assert requests.get(sandbox.url + url.split("qpic.cn", 1)[1].split("?")[0], timeout=5).content == image
