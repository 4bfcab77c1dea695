"""The official-account pages (``/admin/accounts``) as an admin uses them with the Flask test client:
the list (the environment's account imported on first view), registering one, rotating its
AppSecret, disabling (only with the box ticked) and enabling it, and limiting a staff member to some
accounts on the user's page. Secrets go in and never come out: not in any column in clear, not in
the audit log, not in any page."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from auth_helpers import login
from wxpub.accounts import credentials
from wxpub.models import Account, AuditEntry
from wxpub.staff import users

PASSWORD = "correct-horse-9"
TOKEN = re.compile(r'name="([a-z]+-)?csrf_token" type="hidden" value="([^"]+)"')
SECRET = "Zq8SecretOfThePolicyDesk0000042"
NEW_SECRET = "Yx7RotatedSecretForThePolicyDesk1"
WX_TOKEN = "policyToken2026"
AES_KEY = "A" * 20 + "b" * 23
FORM = {"name": "政策速递", "code": "zcsd", "appid": "wxb2c3d4e5f6a7b8c9", "account_type": "service"}


@pytest.fixture
def admin(app, session, clock):
    for name, role in (("admin1", "admin"), ("editor1", "editor")):
        users.create_user(session, name, PASSWORD, role, now=clock.now(), actor="测试")
    client, _ = login(app, "admin1", PASSWORD)
    return client


def _token(client, path: str) -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(2)


def _add(client, **fields):
    return client.post("/admin/accounts/new", data={
        **FORM, "appsecret": SECRET, "token": WX_TOKEN, "aes_key": AES_KEY, **fields,
        "csrf_token": _token(client, "/admin/accounts/new")})


def _account(session, code) -> Account:
    session.expire_all()
    return session.scalar(select(Account).where(Account.code == code))


def _html(answer) -> str:
    return answer.get_data(as_text=True)


def _labelled(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    fields = [f for f in soup.select("main input, main select") if f.get("type") != "hidden"]
    assert fields
    for field in fields:
        assert field.find_parent("label") is not None or soup.find("label", attrs={"for": field.get("id")}), field


def _no_secret_anywhere(session, *texts) -> None:
    """Neither any column of any account nor any audit entry holds one of ``texts`` in clear."""
    session.expire_all()
    for account in session.scalars(select(Account)):
        for column in Account.__table__.columns:
            value = str(getattr(account, column.key))
            assert not any(text in value for text in texts), column.key
    for entry in session.scalars(select(AuditEntry)):
        assert not any(text in repr(entry.detail) for text in texts), entry.action


def test_only_admins_reach_the_account_pages(app, admin):
    assert app.test_client().get("/admin/accounts").status_code == 302  # to the login page
    editor, _ = login(app, "editor1", PASSWORD)
    for path in ("/admin/accounts", "/admin/accounts/new", "/admin/accounts/xzf"):
        answer = editor.get(path)
        assert answer.status_code == 403 and "你没有权限访问这里" in _html(answer)
    assert editor.post("/admin/accounts/xzf/disable", data={"disable-confirm": "y"}).status_code in (400, 403)
    assert 'href="/admin/accounts"' not in _html(editor.get("/profile"))
    assert '<a href="/admin/accounts">公众号</a>' in _html(admin.get("/profile"))


def test_the_list_shows_the_environments_account_without_secrets(admin, session, runtime):
    page = _html(admin.get("/admin/accounts"))
    settings = runtime.settings
    for text in ("新政服", "xzf", settings.appid, "订阅号", "环境变量", "使用中",
                 "http://localhost/wechat/callback/xzf", 'data-copy="cb-xzf"', "/static/copy.js"):
        assert text in page, text
    assert _account(session, "xzf").credentials_source == "env"  # imported (and committed) on first view
    for secret in (settings.appsecret, settings.encoding_aes_key):
        assert secret not in page
    detail = _html(admin.get("/admin/accounts/xzf"))
    assert "已填写" in detail and settings.appsecret not in detail


def test_register_an_account_through_the_page(admin, session, runtime):
    form = _html(admin.get("/admin/accounts/new"))
    _labelled(form)
    assert form.count('type="password"') == 3 and 'autocomplete="off"' in form
    done = _add(admin)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/accounts/zcsd")
    page = _html(admin.get(done.headers["Location"]))
    assert "已登记公众号“政策速递”（代号 zcsd，服务号）" in page
    assert "已加密保存" in page and "/wechat/callback/zcsd" in page
    row = _account(session, "zcsd")
    assert row.appid == FORM["appid"] and row.account_type == "service" and row.credentials_source == "db"
    assert row.secret_encrypted and SECRET not in row.secret_encrypted
    sealed = credentials.of(row, runtime.settings)
    assert (sealed.appsecret, sealed.token, sealed.encoding_aes_key) == (SECRET, WX_TOKEN, AES_KEY)
    _no_secret_anywhere(session, SECRET, WX_TOKEN, AES_KEY)
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "wechat_account.add"))
    assert entry.actor == "admin1" and entry.object_id == "zcsd"
    listed = _html(admin.get("/admin/accounts"))
    assert "政策速递" in listed and "服务号" in listed
    for html in (page, listed):
        assert not any(text in html for text in (SECRET, WX_TOKEN, AES_KEY))


@pytest.mark.parametrize("fields, named", [
    ({"name": ""}, "请填写名称"),
    ({"code": "政策"}, "代号“政策”无效"),
    ({"appid": "12345"}, "AppID“12345”格式不对"),
    ({"appsecret": ""}, "请填写 AppSecret"),
    ({"aes_key": "short"}, "EncodingAESKey 格式不对"),
    ({"code": "xzf"}, "已有公众号使用代号“xzf”"),
])
def test_a_refusal_names_the_field_keeps_the_plain_fields_and_drops_the_secrets(admin, session, fields, named):
    admin.get("/admin/accounts")  # the environment's account, so that 代号 xzf is taken
    refused = _add(admin, **fields)
    html = _html(refused)
    assert refused.status_code in (400, 409) and named in html
    soup = BeautifulSoup(html, "html.parser")
    field = next(name for name in ("name", "code", "appid", "appsecret", "aes_key") if name in fields)
    # the message sits next to the field it names
    assert named in soup.find(id=field).find_parent(class_="field").get_text()
    for name in ("name", "appid"):
        if name not in fields:
            assert soup.find(id=name)["value"] == FORM[name]
    for name in ("appsecret", "token", "aes_key"):
        assert not soup.find(id=name).get("value")
    assert SECRET not in html and WX_TOKEN not in html
    assert _account(session, "zcsd") is None


def test_rotate_the_secret(admin, session, runtime):
    _add(admin)
    page = "/admin/accounts/zcsd"
    detail = _html(admin.get(page))
    _labelled(detail)
    assert "下一次调用微信接口时即用新的 AppSecret 换取新的 access token" in detail
    before = _account(session, "zcsd").secret_encrypted
    unticked = admin.post(f"{page}/rotate-secret", data={"rotate-appsecret": NEW_SECRET,
                                                          "rotate-csrf_token": _token(admin, page)})
    assert unticked.status_code == 400 and "请勾选确认框" in _html(unticked)
    assert NEW_SECRET not in _html(unticked)
    assert _account(session, "zcsd").secret_encrypted == before
    done = admin.post(f"{page}/rotate-secret", data={"rotate-appsecret": NEW_SECRET, "rotate-confirm": "y",
                                                     "rotate-csrf_token": _token(admin, page)})
    assert done.status_code == 302
    shown = _html(admin.get(page))
    assert "已更换公众号“政策速递”的 AppSecret" in shown and NEW_SECRET not in shown
    row = _account(session, "zcsd")
    assert row.secret_encrypted != before
    sealed = credentials.of(row, runtime.settings)
    assert sealed.appsecret == NEW_SECRET and sealed.token == WX_TOKEN  # the Token was kept
    _no_secret_anywhere(session, SECRET, NEW_SECRET)


def test_rotating_the_environments_account_moves_it_into_the_database(admin, session, runtime):
    admin.get("/admin/accounts")
    page = "/admin/accounts/xzf"
    done = admin.post(f"{page}/rotate-secret", data={"rotate-appsecret": NEW_SECRET, "rotate-confirm": "y",
                                                     "rotate-csrf_token": _token(admin, page)})
    assert done.status_code == 302
    row = _account(session, "xzf")
    assert row.credentials_source == "db" and credentials.of(row, runtime.settings).appsecret == NEW_SECRET
    assert "已加密保存" in _html(admin.get(page))


def test_disable_needs_the_box_ticked_and_enable_brings_it_back(admin, session):
    _add(admin)
    page = "/admin/accounts/zcsd"
    detail = _html(admin.get(page))
    assert "我确认停用这个公众号" in detail and "不会发出" in detail
    unticked = admin.post(f"{page}/disable", data={"disable-csrf_token": _token(admin, page)})
    assert unticked.status_code == 400 and "请勾选确认框" in _html(unticked)
    assert _account(session, "zcsd").enabled
    done = admin.post(f"{page}/disable", data={"disable-confirm": "y", "disable-csrf_token": _token(admin, page)})
    assert done.status_code == 302
    assert "已停用公众号“政策速递”" in _html(admin.get(page))
    row = _account(session, "zcsd")
    assert not row.enabled and row.disabled_by == "admin1"
    listed = _html(admin.get("/admin/accounts"))
    assert "已停用" in listed and "admin1，2026-03-02 09:00" in listed
    enabled = admin.post(f"{page}/enable", data={"enable-csrf_token": _token(admin, page)})
    assert enabled.status_code == 302 and _account(session, "zcsd").enabled
    assert "已重新启用公众号“政策速递”" in _html(admin.get(page))
    again = admin.post(f"{page}/enable", data={"enable-csrf_token": _token(admin, page)})
    assert again.status_code == 409 and "没有停用" in _html(again)
    assert admin.get("/admin/accounts/nosuch").status_code == 404


def test_limit_a_staff_member_to_some_accounts(admin, session):
    _add(admin)
    page = "/admin/users/editor1"
    form = _html(admin.get(page))
    _labelled(form)
    assert "可见公众号" in form and "全部公众号" in form
    assert 'value="xzf"' in form and 'value="zcsd"' in form
    done = admin.post(f"{page}/accounts", data={"accounts": ["zcsd"],
                                                "accounts-csrf_token": _token(admin, page)})
    assert done.status_code == 302
    shown = _html(admin.get(page))
    assert "editor1 现在只能看到这些公众号：政策速递" in shown
    soup = BeautifulSoup(shown, "html.parser")
    assert soup.find(id="visible-zcsd").has_attr("checked") and not soup.find(id="visible-xzf").has_attr("checked")
    assert "仅 政策速递" in _html(admin.get("/admin/users"))
    assert "1 人" in _html(admin.get("/admin/accounts/zcsd"))
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.accounts"))
    assert entry.actor == "admin1" and entry.detail["accounts"] == ["zcsd"]
    lifted = admin.post(f"{page}/accounts", data={"accounts-csrf_token": _token(admin, page)})
    assert lifted.status_code == 302
    assert "editor1 现在可以看到全部公众号" in _html(admin.get(page))
    assert "仅 政策速递" not in _html(admin.get("/admin/users"))
    unknown = admin.post(f"{page}/accounts", data={"accounts": ["nosuch"], "accounts-csrf_token": _token(admin, page)})
    assert unknown.status_code == 404 and "没有公众号“nosuch”" in _html(unknown)
    own = _html(admin.get("/admin/users/admin1"))
    assert "管理员可以看到全部公众号" in own and 'name="accounts"' not in own
