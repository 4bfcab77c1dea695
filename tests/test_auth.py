"""Staff login: hashed passwords, CSRF on the form, protected pages and API."""

import re
import subprocess
import sys
import os

import pytest
from sqlalchemy import select

from wxpub.staff import users
from wxpub.core.errors import Conflict, ValidationError
from wxpub.models import User


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_password_is_stored_hashed(session, clock):
    from datetime import timedelta

    from wxpub.staff import login

    users.create_user(session, "zhangsan", "correct horse", "editor", now=clock.now(), actor="测试")
    row = session.scalar(select(User).where(User.username == "zhangsan"))
    assert "correct horse" not in row.password_hash
    assert login.log_in(session, "zhangsan", "correct horse", now=clock.now(), address="10.0.0.1",
                        lifetime=timedelta(hours=8)).user.username == "zhangsan"
    with pytest.raises(login.LoginFailed):
        login.log_in(session, "zhangsan", "wrong", now=clock.now(), address="10.0.0.1",
                     lifetime=timedelta(hours=8))


@pytest.mark.parametrize("name,password,role,error", [
    ("a", "long-enough-pw", "editor", ValidationError),
    ("lisi", "short", "editor", ValidationError),
    ("lisi", "long-enough-pw", "boss", ValidationError),
])
def test_bad_accounts_are_refused(session, clock, name, password, role, error):
    with pytest.raises(error):
        users.create_user(session, name, password, role, now=clock.now(), actor="测试")


def test_duplicate_user_is_a_conflict(session, clock):
    users.create_user(session, "wangwu", "correct-horse-9", "admin", now=clock.now(), actor="测试")
    with pytest.raises(Conflict):
        users.create_user(session, "wangwu", "correct-horse-8", "admin", now=clock.now(), actor="测试")


def test_dashboard_requires_login_and_form_requires_csrf(app, session, clock):
    users.create_user(session, "editor1", "correct-horse-9", "editor", now=clock.now(), actor="测试")
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    assert client.get("/dashboard/").status_code == 302
    assert client.get("/api/v1/cases").status_code == 401
    # Without the CSRF token the login is refused even with the right password.
    refused = client.post("/login", data={"username": "editor1", "password": "correct-horse-9"})
    assert refused.status_code != 302
    token = _csrf(client.get("/login").get_data(as_text=True))
    wrong = client.post("/login", data={"username": "editor1", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.get_data(as_text=True)
    ok = client.post("/login?next=/dashboard/", data={"username": "editor1", "password": "correct-horse-9",
                                                      "csrf_token": token})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/dashboard/")
    assert "工作台" in client.get("/dashboard/").get_data(as_text=True)
    assert client.get("/api/v1/cases").status_code == 200


def test_open_redirect_is_refused(app, session, clock):
    users.create_user(session, "editor2", "correct-horse-9", "editor", now=clock.now(), actor="测试")
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/login?next=//evil.example/", data={"username": "editor2", "password": "correct-horse-9"})
    assert "evil.example" not in response.headers["Location"]


def test_user_create_command_reads_password_from_stdin(runtime):
    env = {**os.environ, "WXPUB_DATABASE_URL": runtime.settings.database_url, "WXPUB_ENV": "test",
           "WXPUB_INSTANCE_PATH": str(runtime.settings.instance_path)}
    result = subprocess.run([sys.executable, "-m", "wxpub", "user", "create", "reviewer1",
                             "--role", "reviewer"], input="s3cret-pass\n", env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "reviewer1" in result.stdout and "s3cret-pass" not in result.stdout
    short = subprocess.run([sys.executable, "-m", "wxpub", "user", "create", "reviewer2",
                            "--role", "reviewer"], input="x\n", env=env, capture_output=True, text=True)
    assert short.returncode != 0 and "密码至少" in short.stderr
