"""The composer in a real browser (Debian's Chromium) at desk and phone width: 生成, the 375-px
phone preview beside the findings, a finding scrolled into view and highlighted, a paragraph that
opens its case in the editor; no horizontal scrolling, nothing fetched from outside."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from wxpub.core.content import ImportResult
from wxpub.core.render.samples import INTRO, sample_chapter
from wxpub.library import service as library
from wxpub.models import Chapter
from wxpub.staff import users

from conftest import login
from library_helpers import make_series

PASSWORD = "Zh4ngsan-2026!"


@pytest.fixture
def chapter(runtime):
    """人文环境篇 with its ten cases (two articles: （上）（下）) and an editor."""
    make_series(runtime, intro=INTRO)
    with runtime.db.session() as session:
        users.create_user(session, "zhangsan", PASSWORD, "editor", now=runtime.clock.now(), actor="测试")
        library.apply_import(session, [ImportResult(cases=sample_chapter(10).cases)],
                             now=runtime.clock.now(), actor="测试")
        row = session.scalar(select(Chapter).where(Chapter.name == "人文环境"))
        return row.id, [c.id for c in sorted(row.cases, key=lambda c: c.position)]


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def _in_view(page, locator) -> None:
    assert locator.is_visible()
    box = locator.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box is not None and 0 <= box["y"] and box["y"] + min(box["height"], 60) <= height, box


def test_compose_preview_findings_and_editor_links(live_server, offline_page, chapter):
    chapter_id, case_ids = chapter
    page = offline_page
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server.url, "zhangsan", PASSWORD)
    page.goto(f"{live_server.url}/chapters/{chapter_id}/compose")
    _no_horizontal_scroll(page)
    with page.expect_navigation():
        page.get_by_role("button", name="生成").click()
    assert "已生成消息的新版本 v1" in page.inner_text(".flash")
    assert "（上）（下）" in page.inner_text("#result .summary")

    # The phone preview is a phone's width at a desk, beside its findings.
    screen = page.locator("#m1-a1")
    assert screen.evaluate("e => e.getBoundingClientRect().width") == 375
    side = page.locator(".pair").first.locator(".side").bounding_box()
    assert side["x"] > screen.bounding_box()["x"] + 375
    _no_horizontal_scroll(page)

    # A finding deep in the article: its paragraph is scrolled into view and highlighted.
    link = page.locator('a.finding-link[data-anchor^="m1-a1-c5-p"]').first
    target = link.get_attribute("data-anchor")
    link.click()
    hit = page.locator(f"#{target}")
    assert "pv-hit" in hit.get_attribute("class")
    _in_view(page, hit)
    assert page.url.endswith(f"#{target}")

    # A paragraph of case 03 in the preview opens that case in the editor.
    paragraph = page.locator('#m1-a1 section[data-case="3"] > p[data-paragraph="1"]').first
    paragraph.scroll_into_view_if_needed()
    with page.expect_navigation():
        paragraph.click()
    assert re.search(rf"/library/cases/{case_ids[2]}$", page.url), page.url

    # At phone width: the preview is the phone's own width, the findings below it.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/chapters/{chapter_id}/compose")
    _no_horizontal_scroll(page)
    assert page.locator("#m1-a2").evaluate("e => e.getBoundingClientRect().width") == 375
    link = page.locator('a.finding-link[data-anchor^="m1-a1-c4-p"]').first
    target = link.get_attribute("data-anchor")
    link.scroll_into_view_if_needed()
    link.click()
    _in_view(page, page.locator(f"#{target}"))
    _no_horizontal_scroll(page)
    assert page.external_requests == []
