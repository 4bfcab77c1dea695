"""The phone preview in a real browser (Debian's Chromium via Playwright) at phone width."""

from __future__ import annotations

from pathlib import Path

import pytest

from wxpub.editorial import compose

from wxpub.library import service as library

from wxpub.library import sources

from wxpub.staff import users
from conftest import login

ARTICLES = Path(__file__).resolve().parents[1] / "articles"


@pytest.fixture
def composed(session, clock):
    users.create_user(session, "editor", "correct-horse-9", "editor", now=clock.now(), actor="测试")
    units = sources.discover([str(ARTICLES)])
    library.apply_import(session, [sources.load(u) for u in units], now=clock.now())
    chapter = compose.find_chapter(session, "市场环境")  # the chapter with an image
    return compose.compose_chapter(session, chapter, options=compose.ComposeOptions(), now=clock.now(),
                                   actor="编辑")


def test_preview_at_phone_width_shows_every_case_without_overflow(live_server, offline_page, composed):
    page = offline_page
    page.set_viewport_size({"width": 375, "height": 812})
    login(page, live_server.url, "editor", "correct-horse-9")
    page.goto(f"{live_server.url}/preview/messages/{composed[0].message.id}")
    for article in composed[0].rendered.articles:
        for section in article.sections:
            heading = page.get_by_text(section.title, exact=False).first
            assert heading.is_visible(), section.title
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    # The case image is served locally and actually loads.
    loaded = page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert loaded
    assert page.external_requests == []
