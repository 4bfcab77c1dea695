"""Readers' comments (留言) in a real browser (Debian's Chromium) at a desk and on a phone: a
release is published through the sandbox, readers' comments arrive, an editor clicks 拉取留言, sees
them unanswered with their age, tries a reply the proofreading refuses (the text stays, the
findings show next to it), sends a proper one — 已回复 — and the sandbox's own record holds that
reply exactly once. The article's page and the dashboard's 留言 block are looked at too. No
horizontal scrolling, nothing fetched from outside. ``WXPUB_SHOTS=<folder>`` keeps screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from comments_helpers import advance, make_staff, moving_runtime, publish, sandbox_comments
from conftest import login
from review_helpers import OFFICE_PASSWORD
from servers import serve_app

SHOTS = os.environ.get("WXPUB_SHOTS")
REPLY = "您好，区政务服务中心工作日 9:00–17:30 可以办理，请携带营业执照原件。"
REFUSED = "请拨打 13812345678 联系滨海新区人民攻府"


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page, name: str, selector: str | None = None) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        target = page.locator(selector) if selector else page
        target.screenshot(path=str(Path(SHOTS) / f"{name}.png"), **({} if selector else {"full_page": True}))


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_an_editor_pulls_comments_and_answers_one_from_the_browser(
        sandbox_runtime, sandbox, tmp_path, offline_page, browser, width, height):
    from wxpub import create_app

    rt = moving_runtime(sandbox_runtime)
    make_staff(rt)
    release = publish(rt, tmp_path, sandbox)
    advance(rt, sandbox, 49)  # the readers' synthetic comments have all arrived
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    page.on("dialog", lambda dialog: dialog.accept())
    with serve_app(create_app(runtime=rt)) as served:
        login(page, served.url, "bianji", OFFICE_PASSWORD)
        page.goto(f"{served.url}/comments")
        assert "没有待回复的留言" in page.inner_text("main")
        with page.expect_navigation():
            page.click("text=拉取留言")
        flash = page.inner_text(".flash-ok")
        assert "新留言" in flash and "新留言 0 条" not in flash
        cards = page.locator(".cm-card.cm-unanswered")
        assert cards.count() >= 1
        first = cards.first.inner_text()
        assert "待回复" in first and "已等" in first and "前）" in first
        assert "留言（" in page.locator("header").text_content()  # folded under 菜单 on a phone
        _fits(page, width)
        _shot(page, f"comments-inbox-{width}")

        with page.expect_navigation():
            cards.first.locator("a.button").click()
        comment_url = page.url
        page.fill("#cm-text", REFUSED)
        with page.expect_navigation():
            page.click("text=发送回复")
        assert page.input_value("#cm-text") == REFUSED
        assert "手机号码" in page.inner_text("#cm-text-error")
        _fits(page, width)
        _shot(page, f"comments-refused-{width}")

        page.fill("#cm-text", REPLY)
        with page.expect_navigation():
            page.click("text=发送回复")
        assert page.url == comment_url
        assert "已回复" in page.inner_text(".flash-ok") and REPLY in page.inner_text(".cm-card")
        _fits(page, width)
        _shot(page, f"comments-replied-{width}")
        replied = [c for c in sandbox_comments(sandbox, release.msg_data_id) if c["replies"]]
        assert len(replied) == 1 and replied[0]["reply_calls"] == 1
        assert [r["content"] for r in replied[0]["replies"]] == [REPLY]

        page.click(".crumbs a >> nth=1")
        page.wait_for_load_state()
        assert "/comments/article/" in page.url and "已打开" in page.inner_text("main")
        _fits(page, width)
        _shot(page, f"comments-article-{width}")

        page.goto(f"{served.url}/dashboard/")
        block = page.inner_text("#dash-comments")
        assert "待回复" in block and "首次回复用时" in block
        _fits(page, width)
        _shot(page, f"comments-dashboard-{width}", "#dash-comments")
        assert page.external_requests == []

        # the approver closes the article's comments: the dialog (alerts.js) stands for the tick box
        context = browser.new_context(viewport={"width": width, "height": height})
        try:
            approver = context.new_page()
            approver.on("dialog", lambda dialog: dialog.accept())
            login(approver, served.url, "zhongshen", OFFICE_PASSWORD)
            approver.goto(comment_url)
            assert approver.locator("text=删除留言").count() == 1
            _fits(approver, width)
            _shot(approver, f"comments-approver-comment-{width}")
            approver.click(".crumbs a >> nth=1")
            approver.wait_for_load_state()
            with approver.expect_navigation():
                approver.click("button:has-text('关闭留言')")
            assert "已关闭留言" in approver.inner_text(".flash-ok")
            assert "打开留言" in approver.inner_text(".cm-actions")
            _fits(approver, width)
            _shot(approver, f"comments-article-closed-{width}")
        finally:
            context.close()
