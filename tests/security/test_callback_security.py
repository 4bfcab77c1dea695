"""`/wechat/callback` against forged, oversized and replayed pushes (issue 10, items 3, 6 and 12).

A release waiting for WeChat's verdict ("publishing", with a publish_id from the live sandbox) is
what a forged PUBLISHJOBFINISH would settle; every test checks what happens to that release."""

from __future__ import annotations

import hashlib
import socket
import time
from datetime import timedelta

import pytest
import requests
import xmltodict
from sqlalchemy import func, select

from wxpub import create_app
from wxpub.models import CallbackEvent, Release
from wxpub.publishing import pipeline
from wxpub.wechat.callback import CallbackCrypto

from publishing_helpers import apply_and_approve, make_due, plan_file

PHISHING = "https://mp-weixin.example/phish"

# WeChat takes 3 s to publish here: the release stays "publishing" for the forged and real pushes
# of these tests even on a loaded machine (0.3 s let a busy run settle it first); the sandbox's own
# push still arrives within the 10 s the last test waits.
pytestmark = pytest.mark.sandbox(publish_delay=3)


def _signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _publish_event(publish_id: str, url: str, create_time: int) -> str:
    return ("<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName>"
            "<FromUserName><![CDATA[oSandbox_mphelper_0000000000]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[PUBLISHJOBFINISH]]></Event>"
            f"<PublishEventInfo><publish_id>{publish_id}</publish_id><publish_status>0</publish_status>"
            "<article_id><![CDATA[ARTICLE]]></article_id><article_detail><count>1</count><item><idx>1</idx>"
            f"<article_url><![CDATA[{url}]]></article_url></item></article_detail></PublishEventInfo></xml>")


def _publishing(rt, tmp_path, chapters=("法治环境",)) -> list[int]:
    """Releases submitted to the sandbox and now waiting for the verdict (confirm_wait is tiny)."""
    start = rt.clock.now() + timedelta(hours=2)
    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=chapters, start=start))
    make_due(rt, ids)
    for release_id in ids:
        assert pipeline.run_release(rt, release_id, worker="t:1") == "publishing"
    return ids


def _release(rt, release_id) -> Release:
    with rt.db.session() as s:
        return s.get(Release, release_id)


@pytest.fixture
def waiting(sandbox_runtime, tmp_path):
    """A runtime on the sandbox, one release waiting for its verdict, and a client of our app."""
    rt = sandbox_runtime(samples=True, confirm_wait=0.01, wechat_timeout=2)
    [release_id] = _publishing(rt, tmp_path)
    app = create_app(runtime=rt)
    return rt, release_id, app.test_client()


def _plain_push(token: str, xml: str) -> tuple[dict, bytes]:
    ts, nonce = str(int(time.time())), "424242"
    return {"signature": _signature(token, ts, nonce), "timestamp": ts, "nonce": nonce}, xml.encode()


def _safe_push(settings, xml: str, ts: str | None = None, nonce: str = "1357") -> tuple[dict, bytes]:
    """``xml`` sealed the way WeChat pushes it in safe mode, with the account's own keys."""
    ts = ts or str(int(time.time()))
    crypto = CallbackCrypto.from_settings(settings)
    sealed = xmltodict.parse(crypto.encrypt_reply(xml, nonce, ts))["xml"]
    body = f"<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName><Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
    query = {"signature": _signature(settings.token, ts, nonce), "timestamp": ts, "nonce": nonce,
             "openid": "oSandbox_mphelper_0000000000", "encrypt_type": "aes",
             "msg_signature": sealed["MsgSignature"]}
    return query, body.encode()


def test_a_plaintext_event_signed_with_the_token_alone_cannot_publish_a_release(waiting):
    rt, release_id, client = waiting
    publish_id = _release(rt, release_id).publish_id
    query, body = _plain_push(rt.settings.token, _publish_event(publish_id, PHISHING, int(time.time())))
    answer = client.post("/wechat/callback", query_string=query, data=body)
    assert answer.status_code == 403
    assert "安全模式" in answer.get_data(as_text=True)
    release = _release(rt, release_id)
    assert release.state == "publishing" and PHISHING not in (release.article_urls or [])
    # The genuine, safe-mode verdict still settles it.
    query, body = _safe_push(rt.settings, _publish_event(publish_id, "https://mp.weixin.qq.com/s/ok",
                                                         int(time.time())))
    assert client.post("/wechat/callback", query_string=query, data=body).get_data(as_text=True) == "success"
    release = _release(rt, release_id)
    assert release.state == "published" and release.article_urls == ["https://mp.weixin.qq.com/s/ok"]


def test_plaintext_mode_is_an_explicit_setting_and_still_needs_the_token(sandbox_runtime, tmp_path):
    rt = sandbox_runtime(samples=True, confirm_wait=0.01, wechat_timeout=2, callback_plaintext=True)
    [release_id] = _publishing(rt, tmp_path)
    client = create_app(runtime=rt).test_client()
    publish_id = _release(rt, release_id).publish_id
    xml = _publish_event(publish_id, "https://mp.weixin.qq.com/s/plain", int(time.time()))
    query, body = _plain_push("not-the-token", xml)
    assert client.post("/wechat/callback", query_string=query, data=body).status_code == 403
    assert _release(rt, release_id).state == "publishing"
    query, body = _plain_push(rt.settings.token, xml)
    assert client.post("/wechat/callback", query_string=query, data=body).status_code == 200
    assert _release(rt, release_id).state == "published"


def test_a_safe_mode_push_with_a_wrong_msg_signature_is_refused(waiting):
    rt, release_id, client = waiting
    publish_id = _release(rt, release_id).publish_id
    query, body = _safe_push(rt.settings, _publish_event(publish_id, PHISHING, int(time.time())))
    answer = client.post("/wechat/callback", query_string={**query, "msg_signature": "0" * 40}, data=body)
    assert answer.status_code == 403 and "msg_signature" in answer.get_data(as_text=True)
    assert _release(rt, release_id).state == "publishing"


def test_an_oversized_push_is_refused_without_being_parsed(waiting):
    rt, release_id, client = waiting
    ts, nonce = str(int(time.time())), "1"
    body = b"<xml><Encrypt><![CDATA[" + b"A" * (2 * 1024 * 1024) + b"]]></Encrypt></xml>"
    answer = client.post("/wechat/callback", data=body, query_string={
        "timestamp": ts, "nonce": nonce, "encrypt_type": "aes", "msg_signature": "0" * 40})
    assert answer.status_code == 413
    # Just over the callback's own 64 KB limit, far below the app's.
    answer = client.post("/wechat/callback", data=b"<xml>" + b" " * (65 * 1024) + b"</xml>", query_string={
        "timestamp": ts, "nonce": nonce, "encrypt_type": "aes", "msg_signature": "0" * 40})
    assert answer.status_code == 413


def test_a_huge_announced_body_is_refused_at_once(waiting):
    """The answer comes before the body is sent: nothing of the 100 MB is read."""
    from servers import serve_app

    rt, _release_id, client = waiting
    with serve_app(client.application) as served:
        ts = str(int(time.time()))
        with socket.create_connection(("127.0.0.1", served.server_port), timeout=5) as conn:
            conn.sendall((f"POST /wechat/callback?timestamp={ts}&nonce=1&encrypt_type=aes&msg_signature=x HTTP/1.1\r\n"
                          f"Host: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: {100 * 1024 * 1024}\r\n"
                          "Connection: close\r\n\r\n<xml>").encode())
            conn.settimeout(5)
            head = conn.recv(200).decode("latin-1")
    assert head.startswith("HTTP/1.1 413")


def test_a_document_type_declaration_is_refused(waiting):
    rt, release_id, client = waiting
    publish_id = _release(rt, release_id).publish_id
    xml = ('<!DOCTYPE xml [<!ENTITY u "https://mp-weixin.example/phish">]>'
           + _publish_event(publish_id, "&u;", int(time.time())))
    query, body = _safe_push(rt.settings, xml)
    assert client.post("/wechat/callback", query_string=query, data=body).status_code == 403
    assert _release(rt, release_id).state == "publishing"


def test_two_publish_events_in_the_same_second_settle_both_releases(sandbox_runtime, tmp_path):
    rt = sandbox_runtime(samples=True, confirm_wait=0.01, wechat_timeout=2)
    first, second = _publishing(rt, tmp_path, chapters=("法治环境", "人文环境"))
    client = create_app(runtime=rt).test_client()
    now = int(time.time())
    for release_id, url in ((first, "https://mp.weixin.qq.com/s/one"), (second, "https://mp.weixin.qq.com/s/two")):
        publish_id = _release(rt, release_id).publish_id
        query, body = _safe_push(rt.settings, _publish_event(publish_id, url, now), ts=str(now))
        assert client.post("/wechat/callback", query_string=query, data=body).status_code == 200
        # WeChat retries a delivery it thinks failed: the retry changes nothing.
        assert client.post("/wechat/callback", query_string=query, data=body).status_code == 200
    assert _release(rt, first).state == "published" and _release(rt, first).article_urls == [
        "https://mp.weixin.qq.com/s/one"]
    assert _release(rt, second).state == "published" and _release(rt, second).article_urls == [
        "https://mp.weixin.qq.com/s/two"]
    with rt.db.session() as s:
        assert s.scalar(select(func.count(CallbackEvent.id))) == 2


def test_a_url_check_with_an_old_timestamp_is_not_answered(client, settings):
    nonce = "8848"
    old = {"signature": _signature(settings.token, "1", nonce), "timestamp": "1", "nonce": nonce,
           "echostr": "replayed-echo"}
    answer = client.get("/wechat/callback", query_string=old)
    assert answer.status_code == 403 and "replayed-echo" not in answer.get_data(as_text=True)
    # The clock fixture is 2026-03-02 09:00 Beijing time; a check made now is answered.
    ts = str(int(client.application.extensions["wxpub"].clock.now().timestamp()))
    fresh = {**old, "timestamp": ts, "signature": _signature(settings.token, ts, nonce)}
    answer = client.get("/wechat/callback", query_string=fresh)
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "replayed-echo"


def test_the_sandbox_still_pushes_events_the_app_accepts(sandbox_runtime, sandbox, tmp_path):
    """Safe mode end to end: the sandbox's own encrypted push over real HTTP settles a release."""
    from servers import serve_app

    rt = sandbox_runtime(samples=True, confirm_wait=0.01, wechat_timeout=2)
    with serve_app(create_app(runtime=rt)) as served:
        sandbox.control("callback", {"url": f"{served.url}/wechat/callback"})
        [release_id] = _publishing(rt, tmp_path)
        deadline = time.time() + 10
        while time.time() < deadline and _release(rt, release_id).state != "published":
            requests.get(f"{sandbox.url}/sandbox/events", timeout=5)  # finishes due jobs
            time.sleep(0.2)
    assert _release(rt, release_id).state == "published"
    with rt.db.session() as s:
        assert s.scalar(select(func.count(CallbackEvent.id))) == 1
