"""Planning in a real browser (Debian's Chromium) at a desk and on a phone: fill the form, see the
live check, 检查, 保存并应用 with its confirmation — and the releases are there. No horizontal
scrolling, nothing fetched from outside."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import login
from publishing_helpers import SERIES, import_samples
from review_helpers import OFFICE_PASSWORD, make_office

SHOTS = os.environ.get("PLAN_SHOTS_DIR")  # set to keep screenshots of every step (for people)


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shot(page, name: str, width: int) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 375])
def test_plan_a_serial_in_the_browser(live_server, browser, runtime, width):
    make_office(runtime)
    import_samples(runtime)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    outside = []

    def guard(route):
        if route.request.url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    context.route("**/*", guard)
    page = context.new_page()
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    # (the console also reports the import refused on purpose below with HTTP 400: not a script error)
    page.on("console", lambda message: message.type == "error" and "Failed to load resource" not in message.text
            and script_errors.append(message.text))
    base = live_server.url
    login(page, base, "bianji", OFFICE_PASSWORD)

    page.goto(f"{base}/plans")
    assert _fits(page)
    _shot(page, "plans-empty", width)
    page.get_by_role("link", name="新建计划").click()
    page.get_by_label("系列", exact=True).select_option(SERIES)
    # The series' chapters fill the table by themselves.
    expect(page.locator("#ch-name-4")).to_have_value("人文环境")
    assert page.input_value("#ch-name-1") == "市场环境" and page.input_value("#ch-name-4") == "人文环境"
    page.get_by_label("公众号名称").fill("新政服")
    start = (runtime.clock.now() + timedelta(days=3)).astimezone(runtime.settings.tz)
    page.get_by_label("开始日期（第一篇）").fill(f"{start:%Y-%m-%d}")
    page.get_by_label("这些日子不发（每行一个）").fill("2026-03-12 至 2026-03-13 重要会议")
    page.get_by_label("第 4 篇 方式").select_option("mass_send")
    # The live check: the calendar appears without pressing anything.
    page.wait_for_selector("#plan-check table.plan-calendar")
    expect(page.locator("#plan-check")).to_contain_text("2026-03-16 09:00")
    check = page.inner_text("#plan-check")
    assert "2026-03-05 09:00 周四" in check and "群发" in check and "顺延" in check
    assert _fits(page)
    _shot(page, "plans-form-live", width)

    # A mistake shows up live too, with the field fixed again afterwards.
    page.get_by_label("这些日子不发（每行一个）").fill("下周一")
    expect(page.locator("#plan-check")).to_contain_text("停发日期第 1 行")
    page.get_by_label("这些日子不发（每行一个）").fill("2026-03-12 至 2026-03-13 重要会议")

    with page.expect_navigation():
        page.get_by_role("button", name="检查").click()
    assert "2026-03-16 09:00" in page.inner_text("#plan-check")
    page.get_by_label("我已核对上面的日历，确认应用").check()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="保存并应用").click()
    assert "计划已应用：新建 4" in page.inner_text(".flash")
    releases = page.inner_text("#releases")
    assert releases.count("待审批") == 4 and "2026-03-16 09:00" in releases and "群发" in releases
    assert _fits(page)
    _shot(page, "plans-stored", width)
    page.goto(f"{base}/plans")
    listing = page.inner_text("main")
    assert SERIES in listing and "新政服" in listing and "2026-03-05 09:00" in listing
    assert _fits(page)
    _shot(page, "plans-list", width)
    # Pasting a plan with a typo: the error names its line, the text stays to be fixed.
    page.get_by_label("或粘贴 YAML 文本").fill(f"series: {SERIES}\naccount: 新政服\nmode: publish\n"
                                           "workday_only: true\nchapters:\n  - 市场环境\n")
    with page.expect_navigation():
        page.get_by_role("button", name="导入").click()
    assert "第 4 行" in page.inner_text(".error-box") and "workdays_only" in page.inner_text(".error-box")
    assert _fits(page)
    _shot(page, "plans-import-error", width)
    assert outside == [] and script_errors == []
    context.close()


def test_the_form_works_without_javascript(live_server, browser, runtime):
    make_office(runtime)
    import_samples(runtime)
    context = browser.new_context(viewport={"width": 375, "height": 900}, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    base = live_server.url
    login(page, base, "zhongshen", OFFICE_PASSWORD)  # an approver
    page.goto(f"{base}/plans/new")
    page.get_by_label("先选系列，按它的篇章填写篇章表").select_option(label=SERIES)
    with page.expect_navigation():
        page.get_by_role("button", name="按此系列填写").click()
    assert page.input_value("#ch-name-4") == "人文环境"
    page.get_by_label("公众号名称").fill("新政服")
    start = (runtime.clock.now() + timedelta(days=3)).astimezone(runtime.settings.tz)
    page.get_by_label("开始日期（第一篇）").fill(f"{start:%Y-%m-%d}")
    page.locator("#mode-mass").check()
    with page.expect_navigation():
        page.get_by_role("button", name="检查").click()
    assert "2026-03-05 09:00 周四" in page.inner_text("#plan-check")
    assert _fits(page)
    _shot(page, "plans-nojs-checked", 375)
    with page.expect_navigation():
        page.get_by_role("button", name="保存并应用").click()  # not ticked: refused, nothing written
    assert "请先勾选" in page.inner_text("#apply-error")
    page.get_by_label("我已核对上面的日历，确认应用").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存并应用").click()
    assert "计划已应用：新建 4" in page.inner_text(".flash")
    assert page.inner_text("#releases").count("群发") == 4
    context.close()


def test_an_imported_file_comes_back_byte_for_byte(live_server, browser, runtime, tmp_path):
    make_office(runtime)
    import_samples(runtime)
    start = (runtime.clock.now() + timedelta(days=3)).astimezone(runtime.settings.tz)
    text = (f"# 春季连载（注释要保留）\nseries: {SERIES}\naccount: 新政服\nmode: publish   # 发布\n"
            f"start: {start:%Y-%m-%d}T09:00\ninterval: 7d\ntime_of_day: \"09:00\"\nworkdays_only: true\n"
            "blackout:\n  - {from: 2026-03-12, to: 2026-03-13, note: 重要会议}\n"
            "chapters:\n  - 市场环境\n  - 政务环境\n")
    path = tmp_path / "spring.yaml"
    path.write_bytes(text.encode("utf-8"))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    base = live_server.url
    login(page, base, "bianji", OFFICE_PASSWORD)
    page.goto(f"{base}/plans")
    page.set_input_files("#import-file", str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="导入").click()
    assert "2026-03-16 09:00 周一" in page.inner_text("#plan-check")
    page.get_by_label("我已核对上面的日历，确认应用").check()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="保存并应用").click()
    assert "计划已应用：新建 2" in page.inner_text(".flash")
    # Applied again from its own page, unchanged: still the same bytes.
    page.get_by_label("我已核对上面的日历，确认应用").check()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="保存并应用").click()
    assert "未变 2" in page.inner_text(".flash")
    download = page.request.get(page.url + ".yaml")
    assert download.body() == text.encode("utf-8")
    context.close()
