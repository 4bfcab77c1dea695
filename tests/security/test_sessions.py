"""Sessions end on the server: logout, a password change, a role change or disabling the account
refuses a cookie saved before it; a login lasts 8 hours from the login however busy; the cookie is
HttpOnly, SameSite=Lax, and Secure in production."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from auth_helpers import login
from security_helpers import PASSWORD, audit, csrf_of, staff  # noqa: F401  (staff: a fixture)
from wxpub.infra.runtime import Runtime
from wxpub.staff import users


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A second browser that only has the saved cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def _refused(client) -> bool:
    page = client.get("/dashboard/")
    api = client.get("/api/v1/cases")
    assert (page.status_code == 302) == (api.status_code == 401), (page.status_code, api.status_code)
    return page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_cookie_saved_before_logout_is_refused_after_it(app, staff, session):
    client, headers = login(app, "editor1", PASSWORD)
    saved = _cookie(client)
    assert not _refused(_replay(app, saved))
    assert client.post("/logout", headers=headers).status_code == 302
    assert _refused(client)
    assert _refused(_replay(app, saved))
    [entry] = audit(session, "user.logout")
    assert entry.actor == "editor1" and entry.detail["address"] == "127.0.0.1"


def test_logout_in_one_browser_leaves_the_other_logged_in(app, staff):
    office, office_headers = login(app, "editor1", PASSWORD)
    phone, _ = login(app, "editor1", PASSWORD)
    office.post("/logout", headers=office_headers)
    assert _refused(office) and not _refused(phone)


def test_changing_ones_password_ends_every_other_session(app, staff):
    office, _ = login(app, "editor1", PASSWORD)
    phone, _ = login(app, "editor1", PASSWORD)
    saved = _cookie(office)
    form = {"current": PASSWORD, "new": "new-horse-battery-7", "confirm": "new-horse-battery-7",
            "csrf_token": csrf_of(office, "/password")}
    changed = office.post("/password", data=form)
    assert changed.status_code == 302
    assert "密码已修改" in office.get("/password").get_data(as_text=True)
    assert not _refused(office)  # this browser goes on with a fresh session
    assert _refused(phone) and _refused(_replay(app, saved))
    login(app, "editor1", "new-horse-battery-7")
    refused = app.test_client()
    answer = refused.post("/login", data={"username": "editor1", "password": PASSWORD,
                                          "csrf_token": csrf_of(refused)})
    assert answer.status_code == 401


@pytest.mark.parametrize("change", ["reset_password", "set_role", "disable"])
def test_an_admins_change_ends_the_users_sessions(app, staff, session, clock, change):
    client, _ = login(app, "editor1", PASSWORD)
    assert not _refused(client)
    if change == "reset_password":
        users.reset_password(session, "editor1", "fresh-start-2026", actor="admin1", now=clock.now())
    elif change == "set_role":
        users.set_role(session, "editor1", "reviewer", actor="admin1", now=clock.now())
    else:
        users.disable(session, "editor1", actor="admin1", now=clock.now())
    assert _refused(client)


def test_a_login_ends_eight_hours_after_it_however_busy(app, staff, clock):
    client, _ = login(app, "editor1", PASSWORD)
    started = clock.now()
    while clock.now() - started < timedelta(hours=8) - timedelta(minutes=5):
        clock.advance(minutes=5)
        assert client.get("/api/v1/cases").status_code == 200, clock.now() - started
    clock.advance(minutes=5)
    assert clock.now() - started == timedelta(hours=8)
    assert _refused(client)
    client2, _ = login(app, "editor1", PASSWORD)  # a new login starts a new 8 hours
    assert not _refused(client2)


def test_the_lifetime_follows_the_setting(runtime, staff, clock):
    from wxpub import create_app

    short = Runtime(settings=replace(runtime.settings, session_hours=1.5), db=runtime.db, clock=clock)
    app = create_app(runtime=short)
    client, _ = login(app, "editor1", PASSWORD)
    clock.advance(minutes=89)
    assert not _refused(client)
    clock.advance(minutes=1)
    assert _refused(client)


def _login_cookie_header(app) -> str:
    client = app.test_client()
    answer = client.post("/login", data={"username": "editor1", "password": PASSWORD,
                                         "csrf_token": csrf_of(client)})
    assert answer.status_code == 302
    [cookie] = [v for k, v in answer.headers.items() if k == "Set-Cookie" and v.startswith("session=")]
    return cookie


def test_the_cookie_is_httponly_samesite_lax_and_expires_with_the_login(app, staff):
    app.config["WTF_CSRF_ENABLED"] = True
    cookie = _login_cookie_header(app)
    flags = [part.strip() for part in cookie.split(";")]
    assert "HttpOnly" in flags and "SameSite=Lax" in flags and "Secure" not in flags
    expires = parsedate_to_datetime(next(f for f in flags if f.startswith("Expires="))[len("Expires="):])
    assert expires - datetime.now(timezone.utc) < timedelta(hours=8, minutes=1)  # not 31 days


def test_the_cookie_is_secure_in_production(runtime, staff, clock):
    from wxpub import create_app

    production = replace(runtime.settings, env="production", secret_key="p" * 40)
    app = create_app(runtime=Runtime(settings=production, db=runtime.db, clock=clock))
    app.config["WTF_CSRF_ENABLED"] = True
    flags = [part.strip() for part in _login_cookie_header(app).split(";")]
    assert "Secure" in flags and "HttpOnly" in flags and "SameSite=Lax" in flags


def test_using_the_session_does_not_re_date_the_cookie(app, staff):
    client, _ = login(app, "editor1", PASSWORD)
    answer = client.get("/api/v1/cases")
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
