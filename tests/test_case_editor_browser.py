"""The case editor in a real browser (Debian's Chromium via Playwright) at phone and desk width:
open a case, fix a point, save, see v2, open the history and see the change; nothing wider than
the screen, nothing fetched from outside, a label on every field."""

from __future__ import annotations

import pytest

from conftest import EDITOR_PASSWORD, login
from publishing_helpers import import_samples
from test_case_editor import case_id
from wxpub.staff import users

# Every visible form field has a label (a <label>, aria-label or aria-labelledby): their names if not.
UNLABELLED = """() => Array.from(document.querySelectorAll('input, textarea, select'))
  .filter(e => e.type !== 'hidden')
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.name || e.id || e.outerHTML.slice(0, 80))"""


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    assert page.evaluate(UNLABELLED) == [], page.url


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(375, 812), (1280, 900)])
def test_an_editor_fixes_a_point_and_sees_the_change_in_the_history(live_server, offline_page, runtime,
                                                                     session, clock, width, height):
    import_samples(runtime)
    users.create_user(session, "zhangsan", EDITOR_PASSWORD, "editor", now=clock.now(), actor="测试")
    cid = case_id(session, "人文环境", 1)
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server.url, "zhangsan", EDITOR_PASSWORD)
    page.goto(f"{live_server.url}/library/cases/{cid}")
    assert page.inner_text("h1").startswith("编辑案例：创新“双招双引”模式")
    assert page.get_by_role("link", name="导语第1段").first.is_visible()  # the findings summary
    _fits(page, width)

    rest = page.get_by_label("要点2正文")
    text = rest.input_value()
    assert "邀请有创业经验的企业家" in text
    rest.fill(text.replace("邀请有创业经验", "邀请有丰富创业经验", 1))
    with page.expect_navigation():
        page.get_by_role("button", name="保存").first.click()
    assert "已保存为 v2" in page.inner_text(".flash-ok")
    assert "邀请有丰富创业经验" in page.get_by_label("要点2正文").input_value()
    _fits(page, width)

    with page.expect_navigation():
        page.get_by_role("link", name="历史版本与差异").click()
    assert page.inner_text("h1").startswith("历史版本")
    diff = page.locator("#diff")
    assert "v1 → v2 的差异" in diff.inner_text()
    assert diff.locator(".diff-text ins").first.inner_text().endswith("丰富")  # "［新增］丰富": a marker for readers
    assert "当前版本" in page.locator("tr.current").inner_text()
    _fits(page, width)
    assert page.external_requests == []
