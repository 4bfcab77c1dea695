"""`/wechat/callback`: URL check, signatures, safe mode, replay window, idempotent events —
with the sandbox pushing real encrypted events to the live app."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from wxpub import create_app

from wxpub.infra import migrate

from wxpub.publishing import pipeline as publish
from wxpub.infra.clock import Clock
from wxpub.infra.config import Settings
from wxpub.models import CallbackEvent, Release
from wxpub.infra.runtime import Runtime
from wxpub.sandbox.config import SandboxConfig
from wxpub.sandbox.testing import SandboxServer

from publishing_helpers import apply_and_approve, import_samples, make_due, plan_file

CFG = SandboxConfig()


def _signature(token, timestamp, nonce):
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


@pytest.fixture
def stack(database_url, tmp_path):
    """Our app on a loopback port, and a sandbox that pushes events to it."""
    from werkzeug.serving import make_server
    import threading

    base = {"env": "test", "database_url": database_url, "instance_path": str(tmp_path / "i"),
            "appid": CFG.appid, "appsecret": CFG.secret, "token": CFG.token,
            "encoding_aes_key": CFG.aes_key, "wechat_timeout": 2, "confirm_wait": 0.01}
    app_rt = Runtime.from_settings(Settings.from_mapping(base), clock=Clock())
    migrate.upgrade(app_rt.db)
    app = create_app(runtime=app_rt)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app_url = f"http://127.0.0.1:{server.server_port}"
    with SandboxServer(publish_delay=1.5, callback_url=f"{app_url}/wechat/callback") as sandbox:
        rt = Runtime.from_settings(Settings.from_mapping({**base, "wechat_api_url": sandbox.url}),
                                   clock=Clock())
        yield rt, app_url, sandbox
        rt.db.dispose()
    server.shutdown()
    app_rt.db.dispose()


def test_url_verification_echoes_only_with_a_valid_signature(stack):
    _rt, url, _sb = stack
    ts, nonce = str(int(time.time())), "12345"
    ok = requests.get(f"{url}/wechat/callback", params={
        "signature": _signature(CFG.token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "hello123"})
    assert ok.status_code == 200 and ok.text == "hello123"
    bad = requests.get(f"{url}/wechat/callback", params={
        "signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": "hello123"})
    assert bad.status_code == 403 and "hello123" not in bad.text


def test_plaintext_event_with_a_stale_timestamp_is_refused(stack):
    _rt, url, _sb = stack
    ts, nonce = str(int(time.time()) - 3600), "1"
    body = "<xml><ToUserName>gh_x</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>" \
           "<MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event></xml>"
    response = requests.post(f"{url}/wechat/callback", data=body.encode(), params={
        "signature": _signature(CFG.token, ts, nonce), "timestamp": ts, "nonce": nonce})
    assert response.status_code == 403


def test_events_from_the_sandbox_publish_the_release_once(stack, tmp_path):
    rt, _url, sandbox = stack
    import_samples(rt)
    start = rt.clock.now() + timedelta(hours=2)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("法治环境",), start=start))
    make_due(rt, [release_id])
    # confirm_wait is tiny: the publisher hands over at once; the event must settle the release.
    assert publish.run_release(rt, release_id, worker="t:1") == "publishing"
    deadline = time.time() + 10
    while time.time() < deadline:
        with rt.db.session() as s:
            release = s.get(Release, release_id)
            if release.state == "published":
                break
        time.sleep(0.1)
    assert release.state == "published" and release.article_urls
    events = requests.get(f"{sandbox.url}/sandbox/events", timeout=5).json()
    assert events, "the sandbox pushed no event"
    # Replaying the same delivery changes nothing.
    with rt.db.session() as s:
        assert s.scalar(select(func.count(CallbackEvent.id))) == 1
