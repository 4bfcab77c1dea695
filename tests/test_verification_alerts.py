"""A lapsed WeChat verification (微信认证) reaches staff before — and when — releases fail: the
sandbox pushes ``annual_renew`` / ``verify_expired`` (signed, encrypted, over real HTTP) to the live
app's /wechat/callback, a 48001 at pre-flight or at publishing says the same thing, and all of it is
one alert (one message) per root cause, in Chinese, with the expiry date in Beijing time and what to
do."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import func, select, update

from publishing_helpers import apply_and_approve, make_due, plan_file
from servers import serve_app
from wxpub import create_app
from wxpub.models import Alert, CallbackEvent, OutboxMessage, Release
from wxpub.notify import alerts
from wxpub.publishing import pipeline, preflight

HOOK = "http://127.0.0.1:9/hook"  # outbox rows are written (one per first alert), not delivered here
EXPIRED = datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)  # 2026-12-01 00:00 Beijing time


@pytest.fixture
def stack(sandbox, sandbox_runtime):
    """The web app on a loopback port receiving the sandbox's pushes, and a publisher's runtime."""
    settings = {"wechat_timeout": 2, "confirm_wait": 10, "alert_webhook_url": HOOK}
    with serve_app(create_app(runtime=sandbox_runtime(sandbox, **settings))) as served:
        sandbox.control("callback", {"url": f"{served.url}/wechat/callback"})
        yield sandbox_runtime(sandbox, samples=True, **settings), served.url, sandbox


def _push(sandbox, event: str, expired: datetime | None = EXPIRED) -> dict:
    body = {"event": event} | ({"expired_time": int(expired.timestamp())} if expired else {})
    return sandbox.control("account-events", body)


def _alerts(rt, cause: str | None = None, *, wait_for: int = 0, timeout: float = 10) -> list[Alert]:
    """The alerts (of ``cause``), waiting until there are ``wait_for`` of them: the push arrives
    from the sandbox's delivery thread."""
    deadline = time.monotonic() + timeout
    while True:
        with rt.db.session() as s:
            query = select(Alert).order_by(Alert.id)
            found = list(s.scalars(query.where(Alert.cause == cause) if cause else query))
        if len(found) >= wait_for or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _count(rt, model) -> int:
    with rt.db.session() as s:
        return s.scalar(select(func.count(model.id)))


def test_verify_expired_becomes_one_alert_that_explains_the_lapse(stack):
    rt, url, sandbox = stack
    record = _push(sandbox, "verify_expired")
    assert "<Event><![CDATA[verify_expired]]></Event>" in record["xml"]
    [alert] = _alerts(rt, alerts.VERIFY_CAUSE, wait_for=1)
    assert alert.severity == "error"
    text = alert.message
    assert "微信认证已于 2026-12-01 00:00（北京时间）过期" in text
    assert "每年须年审" in text and "“发布”和“群发”接口权限" in text and "48001" in text
    assert "mp.weixin.qq.com → 设置与开发 → 账号设置 → 微信认证" in text
    assert _count(rt, OutboxMessage) == 1
    # WeChat retries a delivery it thinks failed: the very same signed request changes nothing.
    again = requests.post(f"{url}/wechat/callback", params=record["params"], data=record["body"].encode(),
                          headers={"Content-Type": "text/xml"}, timeout=5)
    assert again.status_code == 200 and again.text == "success"
    [alert] = _alerts(rt, alerts.VERIFY_CAUSE)
    assert alert.count == 1 and _count(rt, CallbackEvent) == 1 and _count(rt, OutboxMessage) == 1


def test_an_unsigned_account_event_is_refused(stack):
    rt, url, _sandbox = stack
    ts = str(int(time.time()))
    body = ("<xml><ToUserName>gh_x</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
            "<MsgType>event</MsgType><Event>verify_expired</Event><ExpiredTime>1</ExpiredTime></xml>")
    answer = requests.post(f"{url}/wechat/callback", data=body.encode(), timeout=5,
                           params={"signature": "0" * 40, "timestamp": ts, "nonce": "1"})
    assert answer.status_code == 403 and _alerts(rt) == []


def test_annual_renew_warns_ahead_and_the_lapse_takes_over(stack):
    rt, _url, sandbox = stack
    _push(sandbox, "annual_renew", EXPIRED + timedelta(days=30))
    [renew] = _alerts(rt, alerts.RENEW_CAUSE, wait_for=1)
    assert renew.severity == "warning" and renew.resolved_at is None
    assert "需要年审" in renew.message and "2026-12-31 00:00（北京时间）到期" in renew.message
    assert "mp.weixin.qq.com → 设置与开发 → 账号设置 → 微信认证" in renew.message
    _push(sandbox, "verify_expired")
    _alerts(rt, alerts.VERIFY_CAUSE, wait_for=1)
    [renew] = _alerts(rt, alerts.RENEW_CAUSE)
    assert renew.resolved_at is not None and renew.resolved_by == "系统"  # the reminder is overtaken


def test_the_sandbox_refuses_an_unknown_account_event(sandbox):
    answer = requests.post(f"{sandbox.url}/sandbox/account-events", json={"event": "verify_soon"}, timeout=5)
    assert answer.status_code == 400 and "verify_expired" in answer.json()["message"]
    answer = requests.post(f"{sandbox.url}/sandbox/account-events",
                           json={"event": "verify_expired", "expired_time": "tomorrow"}, timeout=5)
    assert answer.status_code == 400 and "expired_time" in answer.json()["message"]


def test_a_48001_at_pre_flight_and_the_event_share_one_alert(stack, tmp_path):
    rt, _url, sandbox = stack
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("政务环境",),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    with rt.db.session() as s:  # due in half an hour: the 1-hour check runs now
        s.execute(update(Release).where(Release.id == release_id)
                  .values(scheduled_at=rt.clock.now() + timedelta(minutes=30)))
        s.commit()
    sandbox.control("errors", {"path": "/cgi-bin/draft/add", "errcode": 48001, "count": 1})
    assert preflight.run_due_checks(rt) == 2  # the 24-hour and the 1-hour check (one refused)
    [alert] = _alerts(rt, alerts.VERIFY_CAUSE)
    assert release_id in alert.release_ids and f"发布 {release_id} 预检" in alert.message
    assert "微信认证已过期或未完成年审" in alert.message and "账号设置 → 微信认证" in alert.message
    with rt.db.session() as s:  # the lapse is the account's one alert, not one more per release
        assert [a.cause for a in s.scalars(select(Alert))] == [alerts.VERIFY_CAUSE]
    sent = _count(rt, OutboxMessage)
    _push(sandbox, "verify_expired")  # WeChat's own word on it comes later: the same root cause
    deadline = time.monotonic() + 10
    while _alerts(rt, alerts.VERIFY_CAUSE)[0].count < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    [alert] = _alerts(rt, alerts.VERIFY_CAUSE)
    assert alert.count == 2 and "2026-12-01 00:00（北京时间）过期" in alert.message  # the precise text
    assert _count(rt, OutboxMessage) == sent  # nothing sent twice


def test_releases_failing_with_48001_after_the_lapse_only_count(stack, tmp_path, sandbox_sleep):
    rt, _url, sandbox = stack
    _push(sandbox, "verify_expired")
    _alerts(rt, alerts.VERIFY_CAUSE, wait_for=1)
    sent = _count(rt, OutboxMessage)
    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境", "政务环境"),
                                          start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, ids)
    sandbox.control("errors", {"path": "/cgi-bin/freepublish/submit", "errcode": 48001, "count": 2})
    for release_id in ids:
        assert pipeline.run_release(rt, release_id, worker="t:1", sleep=sandbox_sleep) == "failed"
    [alert] = _alerts(rt, alerts.VERIFY_CAUSE)
    assert alert.count == 3 and sorted(alert.release_ids) == ids
    assert "过期" in alert.message and _count(rt, OutboxMessage) == sent


def test_a_48001_failure_alone_carries_the_explanation(rt, tmp_path, sandbox, sandbox_sleep):
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("法治环境",),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, [release_id])
    sandbox.control("errors", {"path": "/cgi-bin/freepublish/submit", "errcode": 48001, "count": 1})
    assert pipeline.run_release(rt, release_id, worker="t:1", sleep=sandbox_sleep) == "failed"
    [alert] = _alerts(rt, alerts.VERIFY_CAUSE)
    assert "48001" in alert.message and "每年须年审" in alert.message
    assert "账号设置 → 微信认证" in alert.message and alert.release_ids == [release_id]
