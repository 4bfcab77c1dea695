"""Every kind of page at a phone's 375 px and a desk's 1280 px in Debian's Chromium: nothing scrolls
sideways, the site menu folds under 「菜单」 on a phone and opens with a tap (and is a bar of links on a
desk), dashboard tables become cards whose values carry their column's name, and chart labels stay
readable (≥ 12 px) on a phone.

``WXPUB_SHOTS=/some/dir pytest tests/test_responsive_browser.py -k crawl`` walks every page as an
admin and as an editor at both widths, saves a screenshot of each and lists what scrolls sideways."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import login
import responsive_site

PHONE = {"width": 375, "height": 740}
DESK = {"width": 1280, "height": 900}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# the elements that reach past the window's right edge (for the crawl's report)
LINES = "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length; }"
WIDE = """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right
    > window.innerWidth + 0.5).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().replace(/ +/g, '.') : '')
    + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture
def site(runtime, tmp_path, live_server):
    """The office of ``responsive_site`` behind a live server."""
    return live_server.url, responsive_site.build(runtime, tmp_path)


def _person(browser, base: str, ids: dict, username: str, viewport: dict, *, javascript: bool = True):
    context = browser.new_context(viewport=viewport, locale="zh-CN",  # as staff's browsers are
                                  java_script_enabled=javascript)
    outside = []

    def guard(route):
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    context.route("**/*", guard)
    page = context.new_page()
    login(page, base, username, ids["password"])
    return context, page, outside


def _representative(ids: dict) -> list[str]:
    return ["/dashboard/", "/dashboard/chapters", "/dashboard/report", f"/dashboard/article/{ids['msgid']}",
            "/library", f"/library/cases/{ids['case']}", "/series", f"/chapters/{ids['chapter']}/compose",
            "/preview/", "/review", f"/review/messages/{ids['message']}", "/audit", "/notices",
            "/admin/users", "/profile", "/nothing-here"]


def test_pages_at_375_px_never_scroll_sideways(browser, site):
    base, ids = site
    context, page, outside = _person(browser, base, ids, ids["admin"], PHONE)
    try:
        wide = {}
        for path in _representative(ids):
            page.goto(base + path)
            extra = page.evaluate(OVERFLOW)
            if extra > 0:
                wide[path] = extra
        assert wide == {}, f"pages wider than 375 px (extra px): {wide}"
        assert outside == []
    finally:
        context.close()


def test_the_menu_folds_on_a_phone_and_is_a_bar_on_a_desk(browser, site):
    base, ids = site
    context, page, _ = _person(browser, base, ids, ids["editor"], PHONE)
    try:
        page.goto(f"{base}/library")
        menu = page.get_by_role("navigation", name="主菜单")
        assert not menu.is_visible()  # folded: brand and 「菜单」 on one line
        header = page.locator("header.top").bounding_box()
        assert header["height"] < 70
        page.get_by_text("菜单", exact=True).click()
        assert menu.is_visible()
        links = menu.get_by_role("link")
        names = [n.strip() for n in links.all_inner_texts()]
        assert names[:6] == ["工作台", "发布日历", "发布", "排期", "案例库", "导入"]
        assert "阅读数据" in names and "个人设置" == names[-1] and "账号管理" not in names
        for link in links.all():  # never one character per line: each link on one line
            box = link.bounding_box()
            assert box["height"] < 50 and box["width"] >= 30, (link.inner_text(), box)
        current = menu.locator("[aria-current=page]")
        assert current.inner_text() == "案例库"
        with page.expect_navigation():
            menu.get_by_role("link", name="阅读数据").click()
        assert page.url.endswith("/dashboard/")
        sub = page.get_by_role("navigation", name="阅读数据")
        assert sub.is_visible() and sub.locator("[aria-current=page]").inner_text() == "概览"
        assert page.evaluate(OVERFLOW) <= 0
    finally:
        context.close()
    context, page, _ = _person(browser, base, ids, ids["admin"], DESK)
    try:
        page.goto(f"{base}/dashboard/chapters")
        menu = page.get_by_role("navigation", name="主菜单")
        assert menu.is_visible() and not page.locator("summary").first.is_visible()
        names = [n.strip() for n in menu.get_by_role("link").all_inner_texts()]
        assert {"操作日志", "账号管理"} <= set(names)
        tops = {round(b["y"]) for b in (link.bounding_box() for link in menu.get_by_role("link").all())}
        assert len(tops) == 1, "at 1280 px the menu is one bar"
        assert menu.locator("[aria-current=page]").inner_text() == "阅读数据"
        assert page.get_by_role("navigation", name="阅读数据").locator("[aria-current=page]").inner_text() == "篇章对比"
        for path in ("/dashboard/", "/dashboard/report", f"/dashboard/article/{ids['msgid']}", "/library"):
            page.goto(base + path)
            assert page.evaluate(OVERFLOW) <= 0, path
            chapter = page.locator("td.col-chapter").first  # a chapter's name on one line at a desk too
            if chapter.count():
                assert chapter.evaluate(LINES) == 1, path
    finally:
        context.close()


def test_dashboard_tables_are_cards_with_labels_and_charts_readable_on_a_phone(browser, site):
    base, ids = site
    context, page, _ = _person(browser, base, ids, ids["editor"], PHONE)
    try:
        page.goto(f"{base}/dashboard/")
        table = page.locator("#table-chapters table")
        assert page.locator("#table-chapters thead").bounding_box()["height"] <= 1  # headers only for readers
        cell = table.locator("td.col-read_user").first
        label = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert label == '"阅读人数"'
        chapter = table.locator("td.col-chapter").first
        assert chapter.inner_text() == "市场环境" and chapter.evaluate(LINES) == 1  # one line
        sizes = page.evaluate("""() => [...document.querySelectorAll('svg.chart text')]
            .filter(t => t.getBBox().width > 0).map(t => t.getBoundingClientRect().height)""")
        assert sizes and min(sizes) >= 12, sizes
        page.goto(f"{base}/dashboard/chapters")
        bars = page.locator("svg.bar-chart text").first
        assert bars.evaluate("t => t.getBoundingClientRect().height") >= 12
        page.goto(f"{base}/dashboard/report")
        assert page.locator("input[type=month]").count() == 0
        chooser = page.get_by_label("月份")
        assert chooser.evaluate("s => s.options[s.selectedIndex].text").endswith("月")
        assert page.evaluate(OVERFLOW) <= 0
        assert "2247490098" not in page.inner_text("main")  # no msgid for staff
    finally:
        context.close()


def test_without_javascript_the_phone_menu_stays_open_and_usable(browser, site):
    base, ids = site
    context, page, _ = _person(browser, base, ids, ids["editor"], PHONE, javascript=False)
    try:
        page.goto(f"{base}/dashboard/report")
        menu = page.get_by_role("navigation", name="主菜单")
        assert menu.is_visible() and menu.get_by_role("link", name="案例库").is_visible()
        assert page.evaluate(OVERFLOW) <= 0
        page.get_by_label("月份").select_option(label="2026年2月")  # the chooser works as a plain form
        with page.expect_navigation():
            page.get_by_role("button", name="查看").click()
        assert page.url.endswith("month=2026-02") and "2026年2月阅读月报" in page.inner_text("h1")
        with page.expect_navigation():
            menu.get_by_role("link", name="案例库").click()
        assert page.url.endswith("/library")
    finally:
        context.close()


@pytest.mark.skipif(not os.environ.get("WXPUB_SHOTS"), reason="set WXPUB_SHOTS=<folder> to crawl")
def test_crawl_every_page_and_save_screenshots(browser, site):
    base, ids = site
    folder = Path(os.environ["WXPUB_SHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    report = []
    for who in (ids["admin"], ids["editor"]):
        for viewport in (PHONE, DESK):
            context, page, _ = _person(browser, base, ids, who, viewport)
            try:
                for path in responsive_site.pages(ids):
                    answer = page.goto(base + path)
                    extra = page.evaluate(OVERFLOW)
                    name = f"{who}-{viewport['width']}-{path.strip('/').replace('/', '_') or 'home'}.png"
                    page.screenshot(path=str(folder / name), full_page=True)
                    if path == "/dashboard/report" and viewport is DESK:  # as it prints
                        page.emulate_media(media="print")
                        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
                        page.screenshot(path=str(folder / f"{who}-print-report.png"), full_page=True)
                        page.emulate_media(media="screen")
                        page.set_viewport_size(DESK)
                    if path == "/library" and viewport is PHONE:
                        page.get_by_text("菜单", exact=True).click()
                        page.screenshot(path=str(folder / f"{who}-375-menu-open.png"))
                        page.get_by_text("菜单", exact=True).click()
                    report.append(f"{who}\t{viewport['width']}\t{answer.status if answer else '-'}\t"
                                  f"{extra}\t{path}\t{' | '.join(page.evaluate(WIDE)) if extra > 0 else ''}")
            finally:
                context.close()
    (folder / "crawl.tsv").write_text("who\twidth\tstatus\textra_px\tpath\n" + "\n".join(report) + "\n",
                                      encoding="utf-8")
