"""API tokens for integrations: an admin creates one per user (web page or CLI), it is shown once and
kept only as a hash, and another system uses it as ``Authorization: Bearer`` on ``/api/v1/…`` without
CSRF — read tokens only read, revoked / expired tokens and disabled users are refused at once, each
token is rate-limited, creation and revocation are audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from auth_helpers import login
from wxpub.models import ApiToken, AuditEntry
from wxpub.staff import api_tokens, users

PASSWORD = "correct-horse-9"
CSRF = re.compile(r'name="((?:[a-z0-9]+-)*csrf_token)" type="hidden" value="([^"]+)"')


@pytest.fixture
def people(session, clock):
    for name, role in (("admin1", "admin"), ("editor1", "editor")):
        users.create_user(session, name, PASSWORD, role, now=clock.now(), actor="测试")


def _bearer(token_text: str) -> dict:
    return {"Authorization": f"Bearer {token_text}"}


def test_a_token_is_stored_hashed_and_refused_once_revoked_expired_or_its_user_disabled(
        session, clock, people):
    row, token = api_tokens.create(session, user="editor1", name="区数据平台", scope="read",
                                   actor="admin1", now=clock.now())
    assert token.startswith("wxp_") and len(token) > 40 and row.prefix == token[:8]
    dump = "\n".join(str(r) for r in session.execute(text("SELECT * FROM api_tokens")))
    assert token not in dump and api_tokens.digest(token) in dump
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.create")).one()
    assert audit.actor == "admin1" and token not in str(audit.detail)

    found = api_tokens.authenticate(session, token, clock.now())
    assert found.user.username == "editor1" and found.scope == "read"
    assert session.get(ApiToken, row.id).last_used_at == clock.now()
    assert api_tokens.authenticate(session, token + "x", clock.now()) is None

    api_tokens.revoke(session, row.id, actor="admin1", now=clock.now())
    assert api_tokens.authenticate(session, token, clock.now()) is None
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.revoke")).one()

    soon, soon_text = api_tokens.create(session, user="editor1", name="临时", scope="write", actor="admin1",
                                        now=clock.now(), expires_at=clock.now() + timedelta(hours=1))
    assert api_tokens.authenticate(session, soon_text, clock.now()) is not None
    assert api_tokens.authenticate(session, soon_text, clock.now() + timedelta(hours=1)) is None

    _other, other_text = api_tokens.create(session, user="editor1", name="另一个", scope="read",
                                           actor="admin1", now=clock.now())
    users.disable(session, "editor1", actor="admin1", now=clock.now())
    assert api_tokens.authenticate(session, other_text, clock.now()) is None


@pytest.mark.parametrize("name, scope, error", [("", "read", "用途"), ("x" * 81, "read", "80"),
                                                ("平台", "admin", "read（只读）或 write（读写）")])
def test_bad_tokens_are_refused_in_chinese(session, clock, people, name, scope, error):
    with pytest.raises(Exception) as refused:
        api_tokens.create(session, user="editor1", name=name, scope=scope, actor="admin1", now=clock.now())
    assert error in refused.value.message
    assert session.scalar(select(ApiToken)) is None


def test_bearer_requests_skip_csrf_respect_scope_and_never_fall_back_to_the_cookie(app, session, clock,
                                                                                    people):
    app.config["WTF_CSRF_ENABLED"] = True
    _r, read = api_tokens.create(session, user="editor1", name="读", scope="read", actor="a", now=clock.now())
    _w, write = api_tokens.create(session, user="editor1", name="写", scope="write", actor="a", now=clock.now())
    client = app.test_client()

    answer = client.get("/api/v1/cases", headers=_bearer(read))
    assert answer.status_code == 200 and answer.get_json()["total"] == 0
    assert "Set-Cookie" not in answer.headers  # authenticated for this request only

    refused = client.patch("/api/v1/cases/1", json={"status": "selected"}, headers=_bearer(read))
    assert refused.status_code == 403 and "只读" in refused.get_json()["message"]
    # A write token writes without any CSRF token (the case does not exist: the API's own 404).
    assert client.patch("/api/v1/cases/1", json={"status": "selected"},
                        headers=_bearer(write)).get_json()["error"] == "not_found"

    # A cookie session still needs X-CSRFToken, and a bad Bearer token is refused even with a cookie.
    browser, csrf_headers = login(app, "editor1", PASSWORD)
    assert browser.patch("/api/v1/cases/1", json={"status": "selected"}).status_code == 400
    assert browser.patch("/api/v1/cases/1", json={"status": "selected"},
                         headers=csrf_headers).get_json()["error"] == "not_found"
    bad = browser.get("/api/v1/cases", headers=_bearer("wxp_not-a-token"))
    assert bad.status_code == 401
    assert bad.get_json() == {"error": "unauthorized", "message": "API 令牌无效或已撤销"}


def test_each_token_is_rate_limited_per_minute(app, session, clock, people):
    app.config["WXPUB_API_TOKEN_RATE_LIMIT"] = 3
    _row, token = api_tokens.create(session, user="editor1", name="读", scope="read", actor="a",
                                    now=clock.now())
    _row2, other = api_tokens.create(session, user="editor1", name="另一个", scope="read", actor="a",
                                     now=clock.now())
    client = app.test_client()
    clock.advance(seconds=15)
    assert [client.get("/api/v1/cases", headers=_bearer(token)).status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/cases", headers=_bearer(token))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "45"
    assert limited.get_json()["error"] == "rate_limited" and "每分钟最多 3 次" in limited.get_json()["message"]
    assert client.get("/api/v1/cases", headers=_bearer(other)).status_code == 200  # per token
    clock.advance(seconds=45)
    assert client.get("/api/v1/cases", headers=_bearer(token)).status_code == 200


def test_admin_creates_a_token_seen_once_and_revokes_it_with_a_ticked_box(app, session, clock, people):
    admin, _ = login(app, "admin1", PASSWORD)
    page = admin.get("/admin/users/editor1/tokens/new").get_data(as_text=True)
    for label in ("用途（令牌名称）", "权限", "有效期"):
        assert label in page
    created = admin.post("/admin/users/editor1/tokens/new", data={
        "name": "区数据平台", "scope": "read", "days": "30", "csrf_token": CSRF.search(page).group(2)})
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    assert "只显示这一次" in html and 'data-copy="new-token"' in html
    assert app.test_client().get("/api/v1/cases", headers=_bearer(token)).status_code == 200

    detail = admin.get("/admin/users/editor1").get_data(as_text=True)
    assert token[:8] in detail and token not in detail and "区数据平台" in detail and "只读" in detail
    row = session.scalar(select(ApiToken))
    field, value = next((n, v) for n, v in CSRF.findall(detail) if n == f"revoke-{row.id}-csrf_token")
    path = f"/admin/users/editor1/tokens/{row.id}/revoke"
    unticked = admin.post(path, data={field: value})
    assert unticked.status_code == 400 and "请勾选确认框" in unticked.get_data(as_text=True)
    done = admin.post(path, data={field: value, f"revoke-{row.id}-confirm": "y"}, follow_redirects=True)
    assert "已撤销 API 令牌" in done.get_data(as_text=True)
    assert app.test_client().get("/api/v1/cases", headers=_bearer(token)).status_code == 401

    editor, _ = login(app, "editor1", PASSWORD)
    assert editor.get("/admin/users/editor1/tokens/new").status_code == 403


def test_token_commands(cli, session, clock, people):
    made = cli("user", "token", "create", "editor1", "--name", "区数据平台", "--scope", "write",
               "--as", "admin1")
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("wxp_") and "只显示这一次" in made.output
    listed = cli("user", "token", "list", "editor1")
    assert token[:8] in listed.output and token not in listed.output and "有效" in listed.output
    row_id = session.scalar(select(ApiToken.id))
    assert cli("user", "token", "revoke", str(row_id), "--as", "editor1").exit_code != 0  # admins only
    assert cli("user", "token", "revoke", str(row_id), "--as", "admin1").exit_code == 0
    assert "已撤销" in cli("user", "token", "list").output
    again = cli("user", "token", "revoke", str(row_id), "--as", "admin1")
    assert again.exit_code != 0 and "已经撤销" in again.output
    bad = cli("user", "token", "create", "nobody", "--name", "x", "--scope", "read", "--as", "admin1")
    assert bad.exit_code != 0 and "nobody" in bad.output
