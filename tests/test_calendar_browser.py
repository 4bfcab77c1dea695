"""发布日历 in a real browser (Debian's Chromium) at desk width (1280 px) and on a phone (375 px):
the month grid with holidays, releases and silence marks; the month chooser and the week view
without JavaScript; no sideways scrolling; nothing fetched from outside. Screenshots of each view
go to $CALENDAR_SHOTS (when set) for a person to look at."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import login
from test_calendar_grid import SERIES, Office
from wxpub.infra.clock import FrozenClock
from wxpub.releases import plan_store
from wxpub.staff import users

PASSWORD = "Rili-kan-2026!"


@pytest.fixture
def clock() -> FrozenClock:
    """2026-10-20 09:00 Beijing time."""
    return FrozenClock(datetime(2026, 10, 20, 1, 0, tzinfo=timezone.utc))


@pytest.fixture
def desk(runtime, clock):
    """An editor and an account with a month of releases: published, failed, planned, a 群发,
    a 14-day silence in September–October, a blackout from the stored plan."""
    with runtime.db.session() as s:
        users.create_user(s, "wangbian", PASSWORD, "editor", now=clock.now(), actor="测试",
                          display_name="王编辑")
    office = Office(runtime)
    office.account()
    office.release("2026-09-24 09:00")
    office.release("2026-10-09 09:00", chapter="政务环境")
    office.release("2026-10-13 09:00", state="failed", chapter="法治环境")
    office.release("2026-10-15 09:00", state="manual", chapter="法治环境")
    office.release("2026-10-22 09:00", state="approved", mode="mass_send", chapter="人文环境")
    office.release("2026-10-22 15:30", state="planned", chapter="市场环境")
    office.release("2026-10-29 09:00", state="planned", chapter="政务环境")
    text = (f"series: {SERIES}\naccount: 新政服\nmode: publish\nstart: 2026-10-09T09:00\ninterval: 7d\n"
            "blackout:\n  - {from: 2026-10-27, to: 2026-10-28, note: 重要会议}\nchapters:\n  - 市场环境\n")
    with runtime.db.session() as s:
        plan_store.store(s, series_name=SERIES, account_id=office.accounts["新政服"], text=text,
                         sha256="0" * 64, filename="schedules/binhai.yaml", actor="测试", now=clock.now())
        s.commit()
    return office


def _shot(page, name: str) -> None:
    folder = os.environ.get("CALENDAR_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_the_month_and_the_week_at_desk_width(live_server, browser, desk):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, live_server.url, "wangbian", PASSWORD)
    page.goto(f"{live_server.url}/calendar")
    assert page.locator("h1").inner_text() == "发布日历 · 2026年10月"
    _no_sideways_scroll(page)
    assert page.locator("#d-2026-10-01 .tag.holiday").inner_text() == "国庆节"
    assert page.locator("#d-2026-10-10 .tag.adjusted").inner_text() == "调休上班"
    assert page.locator("#d-2026-10-20").get_attribute("aria-current") == "date"
    failed = page.locator("#d-2026-10-13 .rel")
    assert "失败" in failed.inner_text() and "09:00" in failed.inner_text()
    assert "群发额度：已用 1 / 1，剩余 0" in page.locator("#d-2026-10-22").inner_text()
    assert "告警" in page.locator("#d-2026-10-08").inner_text()
    assert "停发：重要会议" in page.locator("#d-2026-10-28").inner_text()
    # seven equal columns: every day of a week on one row
    tops = {round(page.locator(f"#d-2026-10-{d:02d}").bounding_box()["y"]) for d in range(12, 19)}
    assert len(tops) == 1
    _shot(page, "calendar-month-1280")
    # the month chooser without JavaScript: two selects and a button
    page.select_option("#cal-year", "2026")
    page.select_option("#cal-mon", "9")
    with page.expect_navigation():
        page.click("form[aria-label=选择月份] button")
    assert page.locator("h1").inner_text() == "发布日历 · 2026年9月"
    assert "中秋节" in page.locator("#d-2026-09-25").inner_text()
    page.click("text=下个月 →")
    assert page.locator("h1").inner_text() == "发布日历 · 2026年10月"
    page.click("text=周视图")
    assert "2026年10月19日至10月25日" in page.locator("h1").inner_text()
    assert page.locator("td.day").count() == 7
    _no_sideways_scroll(page)
    _shot(page, "calendar-week-1280")
    release = page.locator("#d-2026-10-22 .rel a").first
    href = release.get_attribute("href")
    assert href.startswith("/releases/")
    release.focus()  # keyboard reachable: Enter opens the release's page
    assert page.evaluate("document.activeElement.getAttribute('href')") == href
    with page.expect_navigation() as opened:
        page.keyboard.press("Enter")
    assert page.url.endswith(href) and opened.value.status == 200
    context.close()


def test_the_month_is_a_list_of_days_on_a_phone(live_server, browser, desk):
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None)
    login(page, live_server.url, "wangbian", PASSWORD)
    page.goto(f"{live_server.url}/calendar?month=2026-10")
    _no_sideways_scroll(page)
    # days with something on them are listed with their full date; quiet ones are left out
    assert page.locator("#d-2026-10-01").is_visible() and "10月1日 周四" in page.locator("#d-2026-10-01").inner_text()
    assert page.locator("#d-2026-10-22").is_visible()
    assert not page.locator("#d-2026-10-26").is_visible()
    assert "停发：重要会议" in page.locator("#d-2026-10-27").inner_text()
    assert not page.locator("#d-2026-09-28").is_visible()  # the previous month's days of the first week
    # the silence reaches the alarm on 10-08: that day is listed with its mark
    assert page.locator("#d-2026-10-08").is_visible() and "告警" in page.locator("#d-2026-10-08").inner_text()
    boxes = [page.locator(f"#d-2026-10-{d}").bounding_box() for d in ("01", "09", "22")]
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 375 for b in boxes)
    _shot(page, "calendar-month-375")
    page.goto(f"{live_server.url}/calendar?view=week&week=2026-10-19")
    _no_sideways_scroll(page)
    days = page.locator("td.day")
    assert days.count() == 7 and all(days.nth(i).is_visible() for i in range(7))
    ys = [days.nth(i).bounding_box()["y"] for i in range(7)]
    assert ys == sorted(ys) and len(set(ys)) == 7  # stacked, Monday first
    assert "10月22日 周四" in days.nth(3).inner_text() and "15:30" in days.nth(3).inner_text()
    _shot(page, "calendar-week-375")
    answer = page.goto(f"{live_server.url}/calendar?month=2026-13")
    assert answer.status == 400 and "month（月份）应写成 YYYY-MM" in page.locator("main").inner_text()
    _no_sideways_scroll(page)
    _shot(page, "calendar-400-375")
    assert external == []
    context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_switching_to_a_service_account_shows_its_monthly_quota(live_server, browser, desk, width):
    desk.account("滨海服务", "service", appid="wx0000000000000002")
    for day in ("2026-10-12", "2026-10-26"):
        desk.release(f"{day} 10:00", state="approved", mode="mass_send", account="滨海服务")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    login(page, live_server.url, "wangbian", PASSWORD)
    page.goto(f"{live_server.url}/calendar?month=2026-10")
    page.select_option("#cal-account", "滨海服务")
    with page.expect_navigation():
        page.click("form[aria-label=选择公众号] button")
    assert "滨海服务（服务号）" in page.locator(".cal-account").inner_text()
    assert "2026年10月群发：已用 2 / 4 次，剩余 2 次" in page.locator(".cal-quota").inner_text()
    assert "本日群发 1 次" in page.locator("#d-2026-10-26").inner_text()
    _no_sideways_scroll(page)
    # the next month keeps the account
    page.click("text=下个月 →")
    assert "滨海服务" in page.locator(".cal-account").inner_text()
    assert "2026年11月群发：已用 0 / 4 次，剩余 4 次" in page.locator(".cal-quota").inner_text()
    page.click("text=上个月")
    _shot(page, f"calendar-service-{width}")
    context.close()
