"""个人设置 (``/profile``): a logged-in person sets, changes or clears their own 微信号 with a plain
form (CSRF, a label, the rule next to the field, a Chinese error naming it, an audit row); an admin
can set a colleague's on the account page."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from auth_helpers import login
from wxpub.models import AuditEntry, User
from wxpub.staff import users

PASSWORD = "Shenhe-2026-ok!"


@pytest.fixture
def people(session, clock):
    for name, role, display in (("fushen", "reviewer", "李科长"), ("admin1", "admin", "王管理")):
        users.create_user(session, name, PASSWORD, role, now=clock.now(), actor="测试", display_name=display)


@pytest.fixture
def reviewer(app, people):
    client, _ = login(app, "fushen", PASSWORD)
    return client


def token(client, path="/profile", prefix="") -> str:
    """The CSRF token of the page's form (``prefix``: an admin page's form, e.g. "wechat-")."""
    soup = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    return soup.find("input", attrs={"name": f"{prefix}csrf_token"})["value"]


def save(client, value):
    return client.post("/profile", data={"wechat_id": value, "csrf_token": token(client)})


def wechat_id(session, name) -> str:
    session.expire_all()
    return session.scalar(select(User).where(User.username == name)).wechat_id


def test_the_profile_page_shows_the_account_and_a_labelled_field(reviewer):
    page = reviewer.get("/profile")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert "李科长" in soup.select_one("dl.facts").get_text() and "复审" in soup.get_text()
    field = soup.select_one("input#wechat_id")
    assert soup.find("label", attrs={"for": "wechat_id"}).get_text() == "微信号"
    assert "字母开头" in soup.find(id=field["aria-describedby"].split()[0]).get_text()


def test_a_person_sets_changes_and_clears_their_wechat_id(reviewer, session):
    answer = save(reviewer, "  likezhang2026 ")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/profile")
    page = reviewer.get("/profile").get_data(as_text=True)
    assert "已保存微信号 likezhang2026" in page and 'value="likezhang2026"' in page
    assert wechat_id(session, "fushen") == "likezhang2026"
    save(reviewer, "li-kezhang_2")
    save(reviewer, "li-kezhang_2")  # the same again: nothing to record
    assert "微信号没有变化" in reviewer.get("/profile").get_data(as_text=True)
    save(reviewer, "")
    assert "已清除微信号" in reviewer.get("/profile").get_data(as_text=True)
    assert wechat_id(session, "fushen") == ""
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.wechat_id")
                           .order_by(AuditEntry.id)).all()
    assert [(r.actor, r.object_id, r.detail["before"], r.detail["after"]) for r in rows] == [
        ("fushen", "fushen", "", "likezhang2026"), ("fushen", "fushen", "likezhang2026", "li-kezhang_2"),
        ("fushen", "fushen", "li-kezhang_2", "")]
    assert all(r.address for r in rows)  # the request's address is recorded


@pytest.mark.parametrize("bad", ["1likezhang", "abc", "li kezhang", "李科长的微信", "x" * 21, "li.kezhang"])
def test_a_malformed_wechat_id_is_refused_in_chinese_next_to_the_field(reviewer, session, bad):
    answer = save(reviewer, bad)
    assert answer.status_code == 400
    soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    error = soup.find(id="wechat_id-error").get_text()
    assert "“微信号”格式不对" in error and "字母开头" in error
    assert soup.select_one("input#wechat_id")["aria-invalid"] == "true"
    assert soup.select_one("input#wechat_id")["value"] == bad  # what was typed stays to be corrected
    assert wechat_id(session, "fushen") == ""


def test_the_form_needs_login_and_its_csrf_token(app, people, client):
    assert client.get("/profile").status_code in (302, 401)
    app.config["WTF_CSRF_ENABLED"] = True
    anonymous = client.post("/profile", data={"wechat_id": "likezhang2026"})
    assert anonymous.status_code in (302, 400, 401)
    logged_in, _ = login(app, "fushen", PASSWORD)
    assert logged_in.post("/profile", data={"wechat_id": "likezhang2026"}).status_code == 400


def test_an_admin_sets_a_colleagues_wechat_id_on_the_account_page(app, people, session):
    admin, _ = login(app, "admin1", PASSWORD)
    page = admin.get("/admin/users/fushen").get_data(as_text=True)
    assert "微信号（接收手机预览）" in page
    answer = admin.post("/admin/users/fushen/wechat", data={
        "wechat-wechat_id": "likezhang2026", "wechat-csrf_token": token(admin, "/admin/users/fushen", "wechat-")})
    assert answer.status_code == 302
    assert "已把 fushen 的微信号设为 likezhang2026" in admin.get("/admin/users/fushen").get_data(as_text=True)
    assert wechat_id(session, "fushen") == "likezhang2026"
    refused = admin.post("/admin/users/fushen/wechat", data={
        "wechat-wechat_id": "9bad", "wechat-csrf_token": token(admin, "/admin/users/fushen", "wechat-")})
    assert refused.status_code == 400 and "“微信号”格式不对" in refused.get_data(as_text=True)
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.wechat_id"))
    assert (audit.actor, audit.object_id) == ("admin1", "fushen")
