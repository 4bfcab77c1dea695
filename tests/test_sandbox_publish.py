"""freepublish (reference §4) and the PUBLISHJOBFINISH event pushed in safe mode (§4.3, §7)."""
import xml.etree.ElementTree as ET

import pytest

from wxpub.sandbox.crypto import MessageCrypto, sha1_signature
from wxpub.sandbox.testing import CallbackReceiver, SandboxClient, jpeg_bytes

from servers import start_sandbox


@pytest.fixture(scope="module")
def receiver():
    with CallbackReceiver() as rx:
        yield rx


# A long delay: tests finish jobs by advancing the sandbox clock, never by sleeping (each test's
# client points the module's sandbox at the receiver).
pytestmark = pytest.mark.sandbox(publish_delay=3600)


@pytest.fixture()
def client(module_sandbox, receiver):
    module_sandbox.control("reset", {})
    module_sandbox.control("callback", {"url": receiver.url})
    receiver.received.clear()
    return SandboxClient(module_sandbox)


def make_draft(client, titles=("滨海新区优化营商环境案例",)):
    thumb = client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                        files={"media": ("c.jpg", jpeg_bytes())})["media_id"]
    articles = [{"title": t, "content": "<p>正文</p>", "thumb_media_id": thumb} for t in titles]
    return client.json("/cgi-bin/draft/add", {"articles": articles})["media_id"]


def decrypt_event(sb, request):
    crypto = MessageCrypto(sb.config.token, sb.config.aes_key, sb.config.appid)
    q = request["query"]
    assert q["signature"] == sha1_signature(sb.config.token, q["timestamp"], q["nonce"])
    assert q["encrypt_type"] == "aes" and q["openid"]
    envelope = ET.fromstring(request["body"])
    assert [child.tag for child in envelope] == ["ToUserName", "Encrypt"]
    return ET.fromstring(crypto.decrypt_message(request["body"], q["msg_signature"], q["timestamp"], q["nonce"]))


def test_submit_is_pending_until_the_delay_passes_then_succeeds(module_sandbox, client, receiver):
    media_id = make_draft(client, ("第一篇", "第二篇"))
    submitted = client.json("/cgi-bin/freepublish/submit", {"media_id": media_id})
    assert submitted["errcode"] == 0 and submitted["publish_id"] and submitted["msg_data_id"].isdigit()
    pending = client.json("/cgi-bin/freepublish/get", {"publish_id": submitted["publish_id"]})
    assert pending["publish_status"] == 1 and "article_id" not in pending
    assert client.json("/cgi-bin/draft/get", {"media_id": media_id})["errcode"] == 40007
    module_sandbox.control("clock", {"advance_seconds": 3600})
    done = client.json("/cgi-bin/freepublish/get", {"publish_id": int(submitted["publish_id"])})
    assert done["publish_status"] == 0 and done["article_id"]
    urls = [item["article_url"] for item in done["article_detail"]["item"]]
    assert len(urls) == 2 and all(u.startswith("https://mp.weixin.qq.com/s/") for u in urls)
    published = module_sandbox.control("published")
    assert [(p["msg_data_id"], p["idx"], p["notified"]) for p in published] == \
        [(submitted["msg_data_id"], 1, False), (submitted["msg_data_id"], 2, False)]

    event = decrypt_event(module_sandbox, receiver.wait(1)[0])
    assert event.findtext("Event") == "PUBLISHJOBFINISH"
    info = event.find("PublishEventInfo")
    assert info.findtext("publish_id") == submitted["publish_id"]
    assert info.findtext("publish_status") == "0"
    assert info.findtext("article_id") == done["article_id"]
    assert [i.findtext("article_url") for i in info.find("article_detail").findall("item")] == urls


def test_forced_failure_reports_status_and_fail_idx_and_returns_the_draft(module_sandbox, client, receiver):
    module_sandbox.control("outcomes", {"publish_status": 2, "fail_idx": [1]})
    media_id = make_draft(client)
    publish_id = client.json("/cgi-bin/freepublish/submit", {"media_id": media_id})["publish_id"]
    module_sandbox.control("clock", {"advance_seconds": 3600})
    failed = client.json("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert failed["publish_status"] == 2 and failed["fail_idx"] == [1] and "article_id" not in failed
    info = decrypt_event(module_sandbox, receiver.wait(1)[0]).find("PublishEventInfo")
    assert info.findtext("publish_status") == "2" and [e.text for e in info.findall("fail_idx")] == ["1"]
    assert client.json("/cgi-bin/draft/get", {"media_id": media_id})["news_item"]
    assert module_sandbox.control("published") == []


def test_getarticle_batchget_and_delete(module_sandbox, client):
    publish_id = client.json("/cgi-bin/freepublish/submit",
                             {"media_id": make_draft(client, ("甲", "乙"))})["publish_id"]
    module_sandbox.control("clock", {"advance_seconds": 3600})
    article_id = client.json("/cgi-bin/freepublish/get", {"publish_id": publish_id})["article_id"]
    items = client.json("/cgi-bin/freepublish/getarticle", {"article_id": article_id})["news_item"]
    assert [(i["title"], i["is_deleted"]) for i in items] == [("甲", False), ("乙", False)]
    listing = client.json("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 20})
    assert listing["total_count"] == 1 and listing["item"][0]["article_id"] == article_id
    assert client.json("/cgi-bin/freepublish/delete", {"article_id": article_id, "index": 2})["errcode"] == 0
    items = client.json("/cgi-bin/freepublish/getarticle", {"article_id": article_id})["news_item"]
    assert [i["is_deleted"] for i in items] == [False, True]
    assert client.json("/cgi-bin/freepublish/delete", {"article_id": article_id})["errcode"] == 0
    assert client.json("/cgi-bin/freepublish/get", {"publish_id": publish_id})["publish_status"] == 5
    assert client.json("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 20})["total_count"] == 0
    assert client.json("/cgi-bin/freepublish/getarticle", {"article_id": "nope"})["errcode"] == 53600


def test_submit_errors(module_sandbox, client):
    assert client.json("/cgi-bin/freepublish/submit", {"media_id": "no-such-draft"})["errcode"] == 40007
    media_id = make_draft(client)
    assert client.json("/cgi-bin/freepublish/submit", {"media_id": media_id})["errcode"] == 0
    assert client.json("/cgi-bin/freepublish/submit", {"media_id": media_id})["errcode"] == 40007
    assert client.json("/cgi-bin/freepublish/get", {"publish_id": "999"})["errcode"] == 40002


def test_event_is_retried_three_times_when_the_receiver_fails():
    with CallbackReceiver(status=500) as failing, \
            start_sandbox(publish_delay=0, callback_url=failing.url) as sb:
        client = SandboxClient(sb)
        client.json("/cgi-bin/freepublish/submit", {"media_id": make_draft(client)})
        received = failing.wait(3)
        assert len(received) == 3
        assert len({r["query"]["nonce"] for r in received}) == 1  # the same message each time
        events = sb.control("events")
        assert events[0]["delivered"] is False


def test_without_callback_url_events_are_only_recorded():
    with start_sandbox(publish_delay=0) as sb:
        client = SandboxClient(sb)
        client.json("/cgi-bin/freepublish/submit", {"media_id": make_draft(client)})
        events = sb.control("events")
        assert events[0]["kind"] == "PUBLISHJOBFINISH" and events[0]["attempts"] == []
