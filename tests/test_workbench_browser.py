"""工作台 and the alert inbox in a real browser (Debian's Chromium via Playwright) at phone and desk
width: nothing wider than the screen, from the workbench to the inbox, acknowledge an alert, and
resolve one through its confirmation (a dialog with JavaScript, a tick box without)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from conftest import login
from publishing_helpers import apply_and_approve, import_samples, plan_file
from review_helpers import OFFICE_PASSWORD, make_office
from wxpub.models import Alert, Release
from wxpub.notify import alerts
from wxpub.releases import transitions

SHOTS = os.environ.get("SHOTS_DIR", "")  # set it to keep screenshots of each page (for a person to look at)


def _no_overflow(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page, name: str, width: int) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=True)


@pytest.fixture
def desk(runtime, tmp_path):
    """An office with a failed release (its alert), a held one, one still to go, the last
    publication 15 days ago and a lapsed verification: what a bad Monday morning may look like."""
    rt = runtime
    make_office(rt)
    import_samples(rt)
    ids = apply_and_approve(rt, plan_file(tmp_path, start=rt.clock.now() + timedelta(hours=2)))
    now = rt.clock.now()
    with rt.db.session() as s:
        transitions.failed(s, s.get(Release, ids[0]), errcode=45166, message="内容含有违规信息，微信拒绝发布",
                           actor="scheduler", now=now, settings=rt.settings)
        transitions.hold(s, s.get(Release, ids[1]), reason="错过发布时间太久，等待人工决定", actor="scheduler",
                         now=now, settings=rt.settings)
        transitions.manual(s, s.get(Release, ids[3]), urls=["https://mp.weixin.qq.com/s/x"], msg_data_id=None,
                           actor="bianji", now=now)
        s.get(Release, ids[3]).published_at = now - timedelta(days=15)  # the account is 15 days silent
        alerts.account_event(s, event="verify_expired", expired_at=now - timedelta(days=1), now=now,
                             settings=rt.settings)
        s.commit()
        by_cause = {a.cause: a.id for a in s.query(Alert)}
    return rt, ids, by_cause


def _alert(rt, alert_id) -> Alert:
    with rt.db.session() as s:
        return s.get(Alert, alert_id)


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(375, 812), (1280, 900)])
def test_from_the_workbench_to_the_inbox_acknowledge_and_resolve(live_server, offline_page, desk, width, height):
    rt, ids, by_cause = desk
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server.url, "bianji", OFFICE_PASSWORD)
    page.goto(f"{live_server.url}/")
    assert page.url.endswith("/workbench") and page.inner_text("h1") == "工作台"
    main = page.inner_text("main")
    assert "需要我处理" in main and "接下来的发布" in main and "账号状态" in main
    trouble = page.locator("#wb-trouble")
    assert trouble.get_by_role("link", name=f"发布 {ids[0]} · 市场环境").is_visible()
    assert "已暂停" in trouble.inner_text()
    assert "微信认证" in page.locator("#wb-alerts").inner_text()
    assert "15 天未发布" in page.locator(".wb-live").inner_text()
    _no_overflow(page, width)
    _shot(page, "workbench", width)

    page.get_by_role("link", name="进入告警箱").click()
    assert page.url.endswith("/alerts") and page.inner_text("h1") == "告警"
    _no_overflow(page, width)
    _shot(page, "alerts", width)

    verify = by_cause[alerts.VERIFY_CAUSE]
    item = page.locator(f"#alert-{verify}")
    assert "年审" in item.inner_text() and item.locator(".confirm-box").is_hidden()  # JS asks instead
    item.get_by_role("button", name="确认（我来处理）").click()
    assert f"已确认告警 {verify}" in page.inner_text("main")
    assert _alert(rt, verify).acknowledged_by == "bianji"
    _no_overflow(page, width)

    failed = by_cause[f"release:{ids[0]}:failed"]
    item = page.locator(f"#alert-{failed}")
    assert item.get_by_role("link", name=f"发布 {ids[0]} · 市场环境").count() == 1
    page.once("dialog", lambda dialog: dialog.dismiss())  # "not yet": nothing happens
    item.get_by_role("button", name="标为已解决").click()
    assert _alert(rt, failed).resolved_at is None
    messages = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()
    page.once("dialog", accept)
    page.locator(f"#alert-{failed}").get_by_role("button", name="标为已解决").click()
    page.wait_for_selector(".flash-ok")
    assert f"告警 {failed} 已标为已解决" in page.inner_text("main")
    assert "重新告警" in messages[0] and _alert(rt, failed).resolved_by == "bianji"
    with page.expect_navigation():
        page.get_by_role("link", name="已解决（1）").click()
    assert page.url.endswith("/alerts?state=resolved")
    assert page.locator(".alert-item").count() == 1 and page.locator(f"#alert-{failed}").is_visible()
    _no_overflow(page, width)
    _shot(page, "alerts-resolved", width)
    assert page.external_requests == []


@pytest.mark.browser
def test_without_javascript_resolving_waits_for_the_ticked_box(live_server, browser, desk):
    rt, ids, by_cause = desk
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        login(page, live_server.url, "zhongshen", OFFICE_PASSWORD)
        page.goto(f"{live_server.url}/alerts?state=open")
        held = by_cause[f"release:{ids[1]}:held"]
        item = page.locator(f"#alert-{held}")
        item.get_by_role("button", name="标为已解决").click()
        assert "请先勾选“确认问题已处理”" in page.inner_text("main")
        assert _alert(rt, held).resolved_at is None
        page.locator(f"#alert-{held}").get_by_label("确认问题已处理").check()
        page.locator(f"#alert-{held}").get_by_role("button", name="标为已解决").click()
        assert f"告警 {held} 已标为已解决" in page.inner_text("main")
        assert _alert(rt, held).resolved_by == "zhongshen"
        _no_overflow(page, 375)
    finally:
        context.close()
