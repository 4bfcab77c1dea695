"""Series and the case library in a real browser (Debian's Chromium via Playwright) at phone and desk
width: create a series with its chapters, open its library, select two cases at once, move one down
with its button, drag a row to another place and find the order kept after a reload; nothing wider
than the screen, nothing fetched from outside."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from conftest import EDITOR_PASSWORD, login
from test_library_pages import add_cases
from wxpub.models import Case
from wxpub.staff import users

NAME = "2024年度滨海新区优化营商环境创新实践案例展示"
TITLES = ["案例一 人才服务", "案例二 政务服务", "案例三 法治保障", "案例四 市场准入"]


def _no_overflow(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _submit(page, locator) -> None:
    """Click something that loads a page, and wait until it (its styles included) has loaded."""
    with page.expect_navigation():
        locator.click()


def _grab_point(row) -> dict:
    """Where a person takes hold of a row: its order number, away from its fields and buttons
    (pressing a button or a field never starts a drag)."""
    box, cell = row.bounding_box(), row.locator("td.pos").bounding_box()
    return {"x": cell["x"] - box["x"] + cell["width"] / 2, "y": cell["y"] - box["y"] + cell["height"] / 2}


def _titles(page) -> list[str]:
    return page.locator("table.cases tbody td.title").all_inner_texts()


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(375, 812), (1280, 900)])
def test_an_editor_creates_a_series_and_curates_its_library(live_server, offline_page, runtime, session,
                                                           clock, width, height):
    users.create_user(session, "zhangsan", EDITOR_PASSWORD, "editor", now=clock.now(), actor="测试")
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server.url, "zhangsan", EDITOR_PASSWORD)
    page.goto(f"{live_server.url}/series")
    _no_overflow(page, width)
    page.get_by_label("系列名称").fill(NAME)
    page.get_by_label("系列简介").fill("为全面展示滨海新区优化营商环境取得的成效。")
    assert page.get_by_label("篇章（按顺序，每行一个）").input_value().split() == \
        ["市场环境", "政务环境", "法治环境", "人文环境"]
    _submit(page, page.get_by_role("button", name="新建系列"))
    assert "已新建系列" in page.inner_text("main")
    assert page.locator("ol.chapters h3").all_inner_texts() == ["市场环境", "政务环境", "法治环境", "人文环境"]
    _no_overflow(page, width)

    add_cases(runtime, NAME, "人文环境", TITLES)  # a department's file, imported meanwhile
    page.reload()
    _submit(page, page.locator("#chapters li.chapter", has_text="人文环境").get_by_role("link", name="案例（4）"))
    assert _titles(page) == TITLES
    _no_overflow(page, width)

    # Two cases selected at once.
    page.get_by_label(f"选择“{TITLES[0]}”").check()
    page.get_by_label(f"选择“{TITLES[2]}”").check()
    _submit(page, page.get_by_role("button", name="入选", exact=True))
    assert "已将 2 个案例设为“入选”" in page.inner_text("main")
    states = page.locator("table.cases tbody td[data-label=状态]").all_inner_texts()
    assert states == ["入选", "待定", "入选", "待定"]
    _no_overflow(page, width)

    # Moved down with the button (no script needed).
    _submit(page, page.get_by_role("button", name=f"下移“{TITLES[0]}”"))
    assert "下移到第 2 位" in page.inner_text("main")
    assert _titles(page) == [TITLES[1], TITLES[0], TITLES[2], TITLES[3]]

    # Dragged: the third row dropped on the first takes its place; kept after a reload. (Both rows
    # in view first: a page scrolled between mouse down and move would start the drag elsewhere.)
    rows = page.locator("table.cases tbody tr")
    rows.nth(1).evaluate("row => row.scrollIntoView({block: 'center'})")
    rows.nth(2).drag_to(rows.nth(0), source_position=_grab_point(rows.nth(2)))
    expect(page.locator("#order-status")).to_contain_text("已保存新的顺序")
    expected = [TITLES[2], TITLES[1], TITLES[0], TITLES[3]]
    assert _titles(page) == expected
    assert page.locator("table.cases tbody td.pos").all_inner_texts() == ["1", "2", "3", "4"]
    page.reload()
    assert _titles(page) == expected
    session.expire_all()
    assert [c.title for c in session.scalars(select(Case).order_by(Case.position))] == expected
    _no_overflow(page, width)
    assert page.external_requests == []
