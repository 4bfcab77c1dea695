"""三审三校 in a real browser (Debian's Chromium): the editor signs 初审, the reviewer signs 复审 with
the secrecy review and comments on a paragraph clicked in the phone preview, the editor resolves the
thread, three people record 校对, the approver signs 终审 — and the release is approved. Each person
in their own browser, through the pages only; no horizontal scrolling, nothing fetched from outside."""

from __future__ import annotations

import pytest

from conftest import login
from review_helpers import OFFICE_PASSWORD, make_office, planned_message, release_state


pytestmark = pytest.mark.full_chain


@pytest.fixture
def office(runtime, tmp_path):
    make_office(runtime)
    return planned_message(runtime, tmp_path)


class Desk:
    """One person's browser on the review page (a context of their own: their own cookie)."""

    def __init__(self, browser, base_url: str, message_id: int, username: str, width: int = 1280):
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.outside = []
        self.context.route("**/*", self._guard)
        self.page = self.context.new_page()
        login(self.page, base_url, username, OFFICE_PASSWORD)
        self.url = f"{base_url}/review/messages/{message_id}"
        self.page.goto(self.url)

    def _guard(self, route):
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def submit(self, button: str) -> str:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button).click()
        return self.page.inner_text(".flash")

    def close(self) -> None:
        assert self.outside == []
        assert self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        self.context.close()


def test_three_people_walk_the_chain_in_the_browser(live_server, browser, runtime, office):
    message_id, release_id = office
    base = live_server.url

    bianji = Desk(browser, base, message_id, "bianji")
    bianji.page.get_by_label("通过").check()
    bianji.page.get_by_label("意见", exact=True).last.fill("文字、格式已核")
    assert bianji.submit("提交初审意见") == "已签署初审：通过。"

    fushen = Desk(browser, base, message_id, "fushen", width=375)
    page = fushen.page
    page.get_by_label("通过").check()
    page.get_by_label("否，不涉及国家秘密和工作秘密").check()
    page.locator("#sign-comment").fill("数据已与统计部门核对")
    assert fushen.submit("提交复审意见") == "已签署复审：通过。"
    # A click on a paragraph of the phone preview chooses it in the comment form.
    paragraph = page.locator('#a1 [data-case="1"][data-paragraph="2"]').first
    paragraph.scroll_into_view_if_needed()
    paragraph.click()
    assert page.locator("#where").input_value() == "a1-c1-p2"
    assert "rv-hit" in paragraph.get_attribute("class")
    page.locator("#body").fill("“一证准营”的办理时限请再核实")
    assert fushen.submit("添加意见") == "已添加意见（第1篇 · 案例01 · 第2段）。"
    badge = page.locator('#a1-c1-p2 a.rv-badge')
    assert badge.inner_text() == "意见 1"
    fushen.close()

    bianji.page.goto(bianji.url)
    assert "一证准营" in bianji.page.inner_text(".thread")
    assert bianji.submit("标为已解决") == "已把这条意见标为已解决。"
    assert bianji.submit("记录第 1 轮校对完成") == "已记录第 1 轮校对。"
    bianji.close()
    for n, username in enumerate(("jiaodui", "jiaodui2"), start=2):
        desk = Desk(browser, base, message_id, username)
        assert desk.submit(f"记录第 {n} 轮校对完成") == f"已记录第 {n} 轮校对。"
        desk.close()

    zhongshen = Desk(browser, base, message_id, "zhongshen")
    zhongshen.page.get_by_label("通过").check()
    flash = zhongshen.submit("提交终审意见")
    assert flash.startswith("已签署终审：通过。审核已完成，发布已进入待发")
    assert "审核已完成。" in zhongshen.page.inner_text(".banner")
    zhongshen.close()
    assert release_state(runtime, release_id) == "approved"
