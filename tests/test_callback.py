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
from wxpub.publishing import pipeline as publish
from wxpub.models import CallbackEvent, Release
from wxpub.sandbox.config import SandboxConfig

from publishing_helpers import apply_and_approve, import_samples, make_due, plan_file
from servers import advance_sandbox_clock, serve_app

CFG = SandboxConfig()
PUBLISH_DELAY = 60  # within the callback's replay window: the event is stamped with the job's end


def _signature(token, timestamp, nonce):
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


@pytest.fixture
def stack(make_sandbox, sandbox_runtime):
    """Our app on a loopback port, and a sandbox that pushes events to it; its publish jobs take a
    minute of sandbox time, so they finish only when a test moves the sandbox's clock on."""
    sandbox = make_sandbox(publish_delay=PUBLISH_DELAY)
    settings = {"wechat_timeout": 2, "confirm_wait": 0.01}
    app_rt = sandbox_runtime(sandbox, **settings)  # the web process's runtime
    with serve_app(create_app(runtime=app_rt)) as served:
        sandbox.control("callback", {"url": f"{served.url}/wechat/callback"})
        yield sandbox_runtime(sandbox, **settings), served.url, sandbox  # the publisher's runtime


def _settled(rt, release_id, timeout: float = 10) -> Release:
    """The release once it left "publishing" (the event arrives over HTTP from another thread)."""
    deadline = time.monotonic() + timeout
    while True:
        with rt.db.session() as s:
            release = s.get(Release, release_id)
        if release.state != "publishing" or time.monotonic() > deadline:
            return release
        time.sleep(0.02)


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
    advance_sandbox_clock(sandbox, PUBLISH_DELAY)  # WeChat finishes the job and pushes its event
    release = _settled(rt, release_id)
    assert release.state == "published" and release.article_urls
    events = requests.get(f"{sandbox.url}/sandbox/events", timeout=5).json()
    assert events, "the sandbox pushed no event"
    # Replaying the same delivery changes nothing.
    with rt.db.session() as s:
        assert s.scalar(select(func.count(CallbackEvent.id))) == 1
