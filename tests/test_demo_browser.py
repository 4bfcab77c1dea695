"""The whole demo story, then the dashboard in a real browser (Debian's Chromium via Playwright):
log in, see the four chapters with their figures and a chart, and nothing leaves 127.0.0.1."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from wxpub.cli.demo_story import CHAPTERS, DEMO_PASSWORD, DEMO_USER, Demo
from conftest import login
from procs import free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture
def demo(tmp_path):
    shutil.copytree(ROOT / "articles", tmp_path / "articles")
    # The chapters 1 s apart, the first 3 s after the plan (the scheduler is started right after it).
    story = Demo(tmp_path, host="127.0.0.1", web_port=free_port(), sandbox_port=free_port(), gap=1, lead=3)
    try:
        rt = story.prepare()
        ids = story.plan(rt)
        story.publish(rt, ids, timeout=90)
        later, offset = story.statistics()
        story.comments(later)
        story.serve_with_offset(offset)
        yield story
    finally:
        story.close()


def test_demo_dashboard_shows_four_chapters_with_figures_and_a_chart(demo, offline_page):
    page = offline_page
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, demo.web_url, DEMO_USER, DEMO_PASSWORD)
    page.goto(f"{demo.web_url}/dashboard/")
    text = page.inner_text("body")
    for chapter in CHAPTERS:
        assert chapter in text
        row = page.locator("tr", has_text=chapter).first
        assert row.is_visible()
        assert re.search(r"[1-9]\d*", row.inner_text()), f"no figures for {chapter}"
    chart = page.locator("svg").first
    assert chart.is_visible()
    assert page.external_requests == []
    page.screenshot(path=str(demo.instance / "dashboard.png"), full_page=True)
