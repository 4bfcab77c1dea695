"""The account pages (``/admin/users``) with the Flask test client, as an admin uses them: list,
create, disable/enable, reset a password, change a role, unlock — plain forms (POST → redirect →
flash), CSRF, a label on every field, a ticked box for destructive changes, admins only."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from auth_helpers import login
from wxpub.models import AuditEntry, User
from wxpub.staff import users

PASSWORD = "correct-horse-9"
TOKEN = re.compile(r'name="([a-z]+-)?csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def admin(app, session, clock):
    for name, role, display in (("admin1", "admin", "王管理"), ("editor1", "editor", "李编辑"),
                                ("approver1", "approver", "张主任")):
        users.create_user(session, name, PASSWORD, role, now=clock.now(), actor="测试", display_name=display)
    client, _ = login(app, "admin1", PASSWORD)
    return client


def _token(client, path: str) -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(2)


def _post(client, path: str, page: str, **fields):
    """Submit a form of ``page`` as a browser would (with the page's CSRF token)."""
    return client.post(path, data={**fields, "csrf_token": _token(client, page)})


def try_login(client, username, password):
    token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(2)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def _user(session, name) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.username == name))


def _every_field_has_a_label(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    fields = [f for f in soup.select("main input, main select, main textarea") if f.get("type") != "hidden"]
    assert fields
    for field in fields:
        labelled = field.find_parent("label") is not None or (
            field.get("id") and soup.find("label", attrs={"for": field["id"]}) is not None)
        assert labelled, f"no label for {field}"
    ids = [f["id"] for f in soup.select("[id]")]
    assert len(ids) == len(set(ids)), "an id is used twice: a label would point at the wrong field"


def test_only_admins_see_the_account_pages(app, admin):
    assert app.test_client().get("/admin/users").status_code == 302  # to the login page
    for name in ("editor1", "approver1"):
        client, _ = login(app, name, PASSWORD)
        page = client.get("/admin/users")
        assert page.status_code == 403 and "你没有权限访问这里" in page.get_data(as_text=True)
        assert client.post("/admin/users/editor1/disable", data={"disable-confirm": "y"}).status_code in (400, 403)
        assert "账号管理" not in client.get("/dashboard/").get_data(as_text=True)
    listed = admin.get("/admin/users").get_data(as_text=True)
    assert "账号管理" in listed
    for text in ("admin1", "王管理", "管理员", "editor1", "李编辑", "编辑", "approver1", "终审", "启用"):
        assert text in listed


def test_create_an_account(admin, session):
    form = admin.get("/admin/users/new").get_data(as_text=True)
    _every_field_has_a_label(form)
    assert "至少 10 位" in form  # the rules are shown before a password is refused
    weak = _post(admin, "/admin/users/new", "/admin/users/new", username="reviewer1", display_name="赵复审",
                 role="reviewer", password="qwertyuiop", confirm="qwertyuiop")
    assert weak.status_code == 400 and "常见" in weak.get_data(as_text=True)
    assert _user(session, "reviewer1") is None
    made = _post(admin, "/admin/users/new", "/admin/users/new", username="reviewer1", display_name="赵复审",
                 role="reviewer", password="review-this-9x", confirm="review-this-9x")
    assert made.status_code == 302 and made.headers["Location"].endswith("/admin/users/reviewer1")
    page = admin.get(made.headers["Location"]).get_data(as_text=True)
    assert "已创建账号 reviewer1（赵复审，复审）" in page
    assert _user(session, "reviewer1").role == "reviewer"
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create",
                                                       AuditEntry.object_id == "reviewer1"))
    assert entry.actor == "admin1" and entry.detail["address"] == "127.0.0.1"


def test_disable_needs_the_box_ticked_and_ends_the_users_sessions(app, admin, session):
    editor, _ = login(app, "editor1", PASSWORD)
    page = "/admin/users/editor1"
    html = admin.get(page).get_data(as_text=True)
    _every_field_has_a_label(html)
    # the confirmation is the form's own tick box, not a script (the page's only script is the
    # site menu's nav.js, a file)
    assert "我确认停用这个账号" in html and "onclick" not in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/nav.js"></script>'[:-9]]
    unticked = _post(admin, "/admin/users/editor1/disable", page)
    assert unticked.status_code == 400 and "请勾选确认框" in unticked.get_data(as_text=True)
    assert _user(session, "editor1").active
    done = admin.post("/admin/users/editor1/disable",
                      data={"disable-confirm": "y", "disable-csrf_token": _token(admin, page)})
    assert done.status_code == 302
    assert "已停用账号 editor1" in admin.get(page).get_data(as_text=True)
    assert not _user(session, "editor1").active
    assert editor.get("/api/v1/cases").status_code == 401
    enabled = admin.post("/admin/users/editor1/enable", data={"enable-csrf_token": _token(admin, page)})
    assert enabled.status_code == 302 and _user(session, "editor1").active
    login(app, "editor1", PASSWORD)


def test_reset_a_password(app, admin, session):
    page = "/admin/users/editor1"
    token = _token(admin, page)
    done = admin.post("/admin/users/editor1/password", data={
        "reset-password": "given-by-phone-7", "reset-again": "given-by-phone-7", "reset-confirm": "y",
        "reset-csrf_token": token})
    assert done.status_code == 302
    assert "已重置 editor1 的密码" in admin.get(page).get_data(as_text=True)
    login(app, "editor1", "given-by-phone-7")
    mismatch = admin.post("/admin/users/editor1/password", data={
        "reset-password": "given-by-phone-8", "reset-again": "given-by-phone-9", "reset-confirm": "y",
        "reset-csrf_token": _token(admin, page)})
    assert mismatch.status_code == 400 and "两次输入的密码不一致" in mismatch.get_data(as_text=True)


def test_change_a_role(app, admin, session):
    page = "/admin/users/editor1"
    done = admin.post("/admin/users/editor1/role", data={"role-role": "approver", "role-confirm": "y",
                                                         "role-csrf_token": _token(admin, page)})
    assert done.status_code == 302
    assert "角色改为“终审”" in admin.get(page).get_data(as_text=True)
    assert _user(session, "editor1").role == "approver"
    last = admin.post("/admin/users/admin1/role", data={"role-role": "editor", "role-confirm": "y",
                                                        "role-csrf_token": _token(admin, "/admin/users/admin1")})
    assert last.status_code == 409 and "唯一启用的管理员" in last.get_data(as_text=True)
    assert _user(session, "admin1").role == "admin"


def test_unlock_an_account_and_an_address(app, admin, session):
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "10.7.7.7"
    for i in range(20):
        try_login(guesser, "editor1" if i < 5 else f"name{i % 5}", "wrong-guess")
    page = "/admin/users/editor1"
    html = admin.get(page).get_data(as_text=True)
    assert "已锁定" in html and "解锁 editor1" in html
    assert "10.7.7.7" in admin.get("/admin/users").get_data(as_text=True)
    done = admin.post("/admin/users/editor1/unlock", data={"unlock-csrf_token": _token(admin, page)})
    assert done.status_code == 302 and "已解锁账号 editor1" in admin.get(page).get_data(as_text=True)
    assert try_login(guesser, "editor1", PASSWORD).status_code == 429  # the address is still locked
    lifted = admin.post("/admin/addresses/unlock", data={"address": "10.7.7.7",
                                                         "csrf_token": _token(admin, "/admin/users")})
    assert lifted.status_code == 302 and "已解锁地址 10.7.7.7" in admin.get("/admin/users").get_data(as_text=True)
    assert try_login(guesser, "editor1", PASSWORD).status_code == 302
    actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.actor == "admin1"))]
    assert "user.unlock" in actions and "login.unlock_address" in actions


def test_forms_without_the_csrf_token_are_refused(admin, session):
    refused = admin.post("/admin/users/editor1/disable", data={"disable-confirm": "y"})
    assert refused.status_code == 400 and "安全令牌" in refused.get_data(as_text=True)
    assert _user(session, "editor1").active


def test_an_unknown_account_is_404(admin):
    assert admin.get("/admin/users/nobody").status_code == 404
