"""The account pages in a real browser (Debian's Chromium via Playwright) at phone and desk width:
nothing wider than the screen, create an account, and a disable that waits for its ticked box."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import login
from wxpub.models import User
from wxpub.staff import users

PASSWORD = "correct-horse-9"


def _no_overflow(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(375, 812), (1280, 900)])
def test_an_admin_creates_and_disables_an_account(live_server, offline_page, session, clock, width, height):
    users.create_user(session, "admin1", PASSWORD, "admin", now=clock.now(), actor="测试", display_name="王管理")
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server.url, "admin1", PASSWORD)
    page.goto(f"{live_server.url}/admin/users")
    assert page.inner_text("h1") == "账号管理"
    _no_overflow(page, width)
    page.get_by_role("link", name="新建账号").click()
    _no_overflow(page, width)
    page.get_by_label("用户名").fill("reviewer1")
    page.get_by_label("显示名称").fill("赵复审")
    page.get_by_label("角色").select_option("reviewer")
    page.get_by_label("初始密码").fill("review-this-9x")
    page.get_by_label("再次输入密码").fill("review-this-9x")
    page.get_by_role("button", name="新建账号").click()
    assert "已创建账号 reviewer1（赵复审，复审）" in page.inner_text("main")
    _no_overflow(page, width)
    # Disabling waits for the box: the browser does not send the form without it.
    page.get_by_role("button", name="停用 reviewer1").click()
    assert "已停用账号" not in page.inner_text("main")
    page.get_by_label("我确认停用这个账号").check()
    page.get_by_role("button", name="停用 reviewer1").click()
    assert "已停用账号 reviewer1" in page.inner_text("main")
    session.expire_all()
    assert session.scalar(select(User.active).where(User.username == "reviewer1")) is False
    page.goto(f"{live_server.url}/admin/users")
    row = page.locator("tr", has_text="reviewer1")
    assert "已停用" in row.inner_text()
    _no_overflow(page, width)
    assert page.external_requests == []
