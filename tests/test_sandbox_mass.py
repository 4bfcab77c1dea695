"""Mass send against reference §5: quota, clientmsgid, status, delete and MASSSENDJOBFINISH."""
import xml.etree.ElementTree as ET

import pytest

from wxpub.sandbox.crypto import MessageCrypto
from wxpub.sandbox.testing import CallbackReceiver, SandboxClient, jpeg_bytes

from servers import start_sandbox


def make_draft(client, titles=("市场环境篇",)):
    thumb = client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                        files={"media": ("c.jpg", jpeg_bytes())})["media_id"]
    articles = [{"title": t, "content": "<p>正文</p>", "thumb_media_id": thumb} for t in titles]
    return client.json("/cgi-bin/draft/add", {"articles": articles})["media_id"]


def send(client, media_id, clientmsgid=None, to_all=True, **extra):
    body = {"filter": {"is_to_all": to_all, "tag_id": 2}, "msgtype": "mpnews",
            "mpnews": {"media_id": media_id}, "send_ignore_reprint": 0, **extra}
    if clientmsgid:
        body["clientmsgid"] = clientmsgid
    return client.json("/cgi-bin/message/mass/sendall", body)


pytestmark = pytest.mark.sandbox(publish_delay=600)


@pytest.fixture()
def client(module_sandbox):
    module_sandbox.control("reset", {})
    # 10:00 Beijing time keeps "today" stable while the tests advance the clock by hours.
    now = module_sandbox.control("clock")["now_shanghai"]
    hour = int(now[11:13])
    module_sandbox.control("clock", {"advance_seconds": ((10 - hour) % 24) * 3600})
    return SandboxClient(module_sandbox)


def test_send_to_all_goes_through_sending_then_success(module_sandbox, client):
    media_id = make_draft(client, ("甲", "乙"))
    reply = send(client, media_id, "case-2023-01")
    assert reply["errcode"] == 0 and isinstance(reply["msg_id"], int) and isinstance(reply["msg_data_id"], int)
    assert client.json("/cgi-bin/message/mass/get", {"msg_id": reply["msg_id"]})["msg_status"] == "SENDING"
    assert client.json("/cgi-bin/draft/get", {"media_id": media_id})["errcode"] == 40007
    module_sandbox.control("clock", {"advance_seconds": 600})
    assert client.json("/cgi-bin/message/mass/get", {"msg_id": reply["msg_id"]})["msg_status"] == "SEND_SUCCESS"
    published = module_sandbox.control("published")
    assert [(p["msg_data_id"], p["idx"], p["notified"]) for p in published] == \
        [(str(reply["msg_data_id"]), 1, True), (str(reply["msg_data_id"]), 2, True)]
    assert client.json("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 20})["total_count"] == 0


def test_subscription_account_sends_to_all_once_per_beijing_day(module_sandbox, client):
    assert send(client, make_draft(client))["errcode"] == 0
    assert send(client, make_draft(client))["errcode"] == 45028
    assert send(client, make_draft(client), to_all=False)["errcode"] == 0  # tag sends use no quota
    module_sandbox.control("clock", {"advance_seconds": 13 * 3600})  # 23:00 Beijing, same day
    assert send(client, make_draft(client))["errcode"] == 45028
    module_sandbox.control("clock", {"advance_seconds": 2 * 3600})  # 01:00 next day
    assert send(client, make_draft(client))["errcode"] == 0


def test_failed_send_gives_the_quota_back(module_sandbox, client):
    module_sandbox.control("outcomes", {"mass_status": "err(20001)"})
    msg_id = send(client, make_draft(client))["msg_id"]
    module_sandbox.control("clock", {"advance_seconds": 600})
    assert client.json("/cgi-bin/message/mass/get", {"msg_id": msg_id})["msg_status"] == "SEND_FAIL"
    assert send(client, make_draft(client))["errcode"] == 0


def test_service_account_sends_four_times_per_month():
    with start_sandbox(publish_delay=0, account_type="service") as sb:
        client = SandboxClient(sb)
        day = int(sb.control("clock")["now_shanghai"][8:10])
        if day > 20:  # keep five sends inside one calendar month
            sb.control("clock", {"advance_days": 12})
        results = [send(client, make_draft(client))["errcode"] for _ in range(5)]
        assert results == [0, 0, 0, 0, 45028]


def test_clientmsgid_repeat_within_24_hours_returns_the_existing_msg_id(module_sandbox, client):
    first = send(client, make_draft(client, ("甲",)), "release-42")
    again = send(client, make_draft(client, ("乙",)), "release-42")
    assert again["errcode"] == 45065 and again["msg_id"] == first["msg_id"]
    module_sandbox.control("clock", {"advance_days": 1, "advance_seconds": 60})
    assert send(client, make_draft(client), "release-42")["errcode"] == 0


def test_clientmsgid_longer_than_64_bytes_is_rejected(client):
    assert send(client, make_draft(client), "x" * 65)["errcode"] == 45067
    assert send(client, make_draft(client), "案" * 22)["errcode"] == 45067  # 66 bytes in UTF-8
    assert send(client, make_draft(client), "x" * 64)["errcode"] == 0


def test_send_errors(client):
    assert send(client, "no-such-draft")["errcode"] == 40007
    assert send(client, make_draft(client), msgtype="text")["errcode"] == 40008
    assert client.json("/cgi-bin/message/mass/get", {"msg_id": 12345})["errcode"] == 40059


def test_preview_uses_no_quota_and_keeps_the_draft(client):
    media_id = make_draft(client)
    preview = client.json("/cgi-bin/message/mass/preview",
                          {"touser": "o" * 28, "msgtype": "mpnews", "mpnews": {"media_id": media_id}})
    assert preview["errcode"] == 0 and preview["msg_id"]
    assert client.json("/cgi-bin/draft/get", {"media_id": media_id})["news_item"]
    assert send(client, media_id)["errcode"] == 0


def test_delete_a_sent_message(module_sandbox, client):
    msg_id = send(client, make_draft(client))["msg_id"]
    assert client.json("/cgi-bin/message/mass/delete", {"msg_id": msg_id})["errcode"] == 40059  # still sending
    module_sandbox.control("clock", {"advance_seconds": 600})
    assert client.json("/cgi-bin/message/mass/delete", {"msg_id": msg_id, "article_idx": 0})["errcode"] == 0
    assert client.json("/cgi-bin/message/mass/get", {"msg_id": msg_id})["msg_status"] == "DELETE"


def test_masssendjobfinish_event_is_pushed_encrypted():
    with CallbackReceiver() as rx, start_sandbox(publish_delay=0, callback_url=rx.url) as sb:
        client = SandboxClient(sb)
        reply = send(client, make_draft(client))
        request = rx.wait(1)[0]
        q = request["query"]
        crypto = MessageCrypto(sb.config.token, sb.config.aes_key, sb.config.appid)
        event = ET.fromstring(crypto.decrypt_message(request["body"], q["msg_signature"], q["timestamp"],
                                                     q["nonce"]))
        assert event.findtext("Event") == "MASSSENDJOBFINISH"
        assert event.findtext("MsgID") == str(reply["msg_id"])
        assert event.findtext("Status") == "send success"
        sent, errors = int(event.findtext("SentCount")), int(event.findtext("ErrorCount"))
        assert sent + errors == int(event.findtext("FilterCount"))
        urls = [i.findtext("ArticleUrl") for i in event.find("ArticleUrlResult/ResultList")]
        assert urls == [p["url"] for p in sb.control("published")]
