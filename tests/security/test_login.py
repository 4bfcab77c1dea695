"""Login throttling (per account and per address, in the database, unlockable by an admin), the same
hashing work for unknown names, and the password policy."""

from __future__ import annotations

import hashlib
import statistics
import time
from datetime import datetime, timezone

import pytest

from auth_helpers import login
from security_helpers import PASSWORD, audit, csrf_of, staff, try_login  # noqa: F401  (staff: a fixture)
from wxpub.core.errors import ValidationError
from wxpub.staff import users

LOCKED = "登录失败次数过多"


def _from(app, address: str):
    """A browser at another address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_fifty_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(app, staff, session):
    client = app.test_client()
    token = csrf_of(client)
    answers = [client.post("/login", data={"username": "editor1", "password": f"guess-{i}",
                                           "csrf_token": token}) for i in range(50)]
    assert all(a.status_code in (401, 429) for a in answers)
    right = client.post("/login", data={"username": "editor1", "password": PASSWORD, "csrf_token": token})
    text = right.get_data(as_text=True)
    assert right.status_code == 429
    assert LOCKED in text and "15 分钟后" in text and "联系管理员解锁" in text
    assert client.get("/dashboard/").status_code == 302  # not logged in
    [lockout] = [e for e in audit(session, "login.lockout") if e.object_type == "user"]
    assert lockout.object_id == "editor1" and lockout.detail["address"] == "127.0.0.1"


def test_the_fifth_wrong_password_locks_and_the_ones_before_warn(app, staff):
    client = app.test_client()
    texts = [try_login(client, "editor1", "wrong-guess").get_data(as_text=True) for _ in range(5)]
    assert "用户名或密码不正确" in texts[0] and "再错" not in texts[0]
    assert "再错 1 次" in texts[3]
    assert LOCKED in texts[4]


def test_the_lock_holds_in_every_worker_and_ends_by_itself(runtime, staff, clock):
    """Two apps on one database stand for two gunicorn workers."""
    from wxpub import create_app

    worker_a, worker_b = create_app(runtime=runtime), create_app(runtime=runtime)
    for _ in range(5):
        try_login(worker_a.test_client(), "editor1", "wrong-guess")
    assert try_login(worker_b.test_client(), "editor1", PASSWORD).status_code == 429
    clock.advance(minutes=14)
    assert try_login(worker_b.test_client(), "editor1", PASSWORD).status_code == 429
    clock.advance(minutes=2)
    assert try_login(worker_b.test_client(), "editor1", PASSWORD).status_code == 302


def test_unknown_names_are_locked_like_real_ones(app, staff):
    client = app.test_client()
    known = [try_login(client, "editor1", "wrong-guess").status_code for _ in range(5)]
    unknown = [try_login(client, "nobody-here", "wrong-guess").status_code for _ in range(5)]
    assert known == unknown == [401, 401, 401, 401, 429]


def test_too_many_failures_from_one_address_lock_that_address(app, staff, session):
    guesser = _from(app, "10.9.9.9")
    for i in range(20):  # four tries on each of five names: no single account reaches its limit
        try_login(guesser, f"name{i % 5}", "wrong-guess")
    refused = try_login(guesser, "approver1", PASSWORD)
    assert refused.status_code == 429
    assert LOCKED in refused.get_data(as_text=True) and "10.9.9.9" in refused.get_data(as_text=True)
    assert try_login(_from(app, "10.1.1.1"), "approver1", PASSWORD).status_code == 302
    assert [e.object_id for e in audit(session, "login.lockout")] == ["10.9.9.9"]


def _now_for_real(clock):
    """Commands run on the real clock: set the app's clock to it so both see the same locks."""
    clock.advance(seconds=(datetime.now(timezone.utc) - clock.now()).total_seconds())


def test_an_admin_unlocks_from_the_command_line(app, staff, cli, clock):
    _now_for_real(clock)
    client = app.test_client()
    for _ in range(5):
        try_login(client, "editor1", "wrong-guess")
    listed = cli("user", "list")
    assert "已锁定" in listed.output
    done = cli("user", "unlock", "editor1", "--as", "admin1")
    assert done.exit_code == 0 and "已解锁账号 editor1" in done.output
    assert try_login(client, "editor1", PASSWORD).status_code == 302
    again = cli("user", "unlock", "editor1")
    assert again.exit_code == 2 and "没有被锁定" in again.stderr


def test_an_admin_unlocks_an_address_from_the_command_line(app, staff, cli, clock):
    _now_for_real(clock)
    guesser = _from(app, "10.9.9.8")
    for i in range(20):
        try_login(guesser, f"name{i % 5}", "wrong-guess")
    assert try_login(guesser, "editor1", PASSWORD).status_code == 429
    assert cli("user", "unlock", "--address", "10.9.9.8").exit_code == 0
    assert try_login(guesser, "editor1", PASSWORD).status_code == 302


def _timed_login(client, username):
    token = csrf_of(client)
    started = time.perf_counter()
    answer = client.post("/login", data={"username": username, "password": "wrong-guess",
                                         "csrf_token": token})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 401
    return elapsed


def test_unknown_and_known_names_do_the_same_hashing_work(app, staff, monkeypatch):
    calls = []
    real_scrypt = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)  # the standard library's, not our code
    known, unknown = [], []
    for i in range(3):  # fewer than the account limit; one address for each try keeps clear of it
        known.append(_timed_login(_from(app, f"10.0.1.{i}"), "editor1"))
        before = len(calls)
        unknown.append(_timed_login(_from(app, f"10.0.2.{i}"), f"no-such-user-{i}"))
        assert len(calls) - before == 1  # an unknown name is checked against a dummy hash
    assert len(calls) == 6
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (known, unknown)


@pytest.mark.parametrize("password,rule", [
    ("password", "至少 10 位"),
    ("12345678", "至少 10 位"),
    ("a123456789", "常见"),
    ("qwertyuiop", "常见"),
    ("1qaz2wsx3edc", "常见"),
    ("woaini1314520", "常见"),
    ("Password2024!", "常见密码“password”后面加了数字或符号"),
    ("aaaaaaaaaaaa", "同一个字符"),
    ("zhangwei-2026", "用户名"),
    ("ZHANGWEI2026x", "用户名"),
])
def test_weak_passwords_are_refused_naming_the_rule(session, clock, password, rule):
    with pytest.raises(ValidationError) as refused:
        users.create_user(session, "zhangwei", password, "editor", now=clock.now(), actor="测试")
    assert rule in refused.value.message


def test_the_policy_applies_to_resets_and_changes_too(app, staff, session, clock, cli):
    with pytest.raises(ValidationError, match="常见"):
        users.reset_password(session, "editor1", "qwertyuiop", actor="admin1", now=clock.now())
    reset = cli("user", "reset-password", "editor1")  # standard input is empty: no password
    assert reset.exit_code == 2 and "至少 10 位" in reset.stderr
    client, _ = login(app, "editor1", PASSWORD)
    weak = client.post("/password", data={"current": PASSWORD, "new": "a123456789", "confirm": "a123456789",
                                          "csrf_token": csrf_of(client, "/password")})
    assert weak.status_code == 400 and "常见" in weak.get_data(as_text=True)
    own_name = client.post("/password", data={"current": PASSWORD, "new": "editor1-is-me", "confirm": "editor1-is-me",
                                              "csrf_token": csrf_of(client, "/password")})
    assert own_name.status_code == 400 and "用户名" in own_name.get_data(as_text=True)
    login(app, "editor1", PASSWORD)  # unchanged
