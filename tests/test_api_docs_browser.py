"""The API reference page in a real browser: offline (nothing fetched from elsewhere), no console
errors under the CSP, no horizontal scrolling at 375 and 1280 px; screenshots for a person to look at."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("WXPUB_SHOTS", "/work/notes/shots")


@pytest.mark.parametrize("width", [375, 1280])
def test_the_reference_page_reads_offline_at_phone_and_desk_widths(live_server, offline_page, width):
    page = offline_page
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.set_viewport_size({"width": width, "height": 900})
    answer = page.goto(f"{live_server.url}/api/docs")
    assert answer.status == 200
    assert page.locator("h1").inner_text() == "API 参考"
    assert page.locator("article.apidoc-op").count() >= 52
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.external_requests == [] and problems == []
    if os.path.isdir(SHOTS):
        page.screenshot(path=f"{SHOTS}/api-docs-{width}.png")
    page.locator("#api_releases_list_releases").scroll_into_view_if_needed()
    assert page.locator("#api_releases_list_releases .apidoc-roles").inner_text().startswith("可调用：")
    if os.path.isdir(SHOTS):
        page.locator("#api_series_update_series").screenshot(path=f"{SHOTS}/api-docs-op-{width}.png")
