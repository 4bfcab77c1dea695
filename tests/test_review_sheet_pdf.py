"""The 信息发布审核表 in Chromium: printed to PDF it is one A4 page for the sample chapter, its 打印
button works without inline script, nothing leaves the machine, and the page fits 375 px and
1280 px without scrolling sideways."""

from __future__ import annotations

import pytest

from conftest import login
from review_helpers import OFFICE_PASSWORD, make_office, planned_message, walk
from wxpub.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.full_chain]



def _pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


@pytest.fixture
def archived_sheet(runtime, tmp_path):
    make_office(runtime)
    message_id, _ = planned_message(runtime, tmp_path)
    walk(runtime, message_id)
    with runtime.db.session() as s:
        return s.get(Message, message_id).current_version_id


def test_the_sheet_prints_on_one_a4_page(live_server, offline_page, archived_sheet):
    page = offline_page
    login(page, live_server.url, "zhongshen", OFFICE_PASSWORD)
    page.goto(f"{live_server.url}/review/versions/{archived_sheet}/sheet")
    assert page.locator("h1").inner_text().replace(" ", "") == "信息发布审核表"
    assert page.get_by_role("button", name="打印").is_visible()  # sheet.js ran (no inline script)
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and _pages(pdf) == 1
    page.emulate_media(media="print")
    assert not page.locator(".sheet-tools").is_visible() and not page.locator("header.top").is_visible()
    assert page.external_requests == []


@pytest.mark.parametrize("width", [375, 1280])
def test_the_sheet_fits_the_screen(live_server, browser, archived_sheet, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        login(page, live_server.url, "bianji", OFFICE_PASSWORD)
        page.goto(f"{live_server.url}/review/versions/{archived_sheet}/sheet")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        label = page.locator("th", has_text="保密审查意见")
        lines = label.evaluate("th => { const r = document.createRange(); r.selectNodeContents(th); "
                               "return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }")
        assert label.is_visible() and lines == 1  # the longest label stays on one line
        assert page.get_by_role("link", name="下载 Word（.docx）").is_visible()
    finally:
        context.close()
