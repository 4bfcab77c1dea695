"""``wxpub user create|list|disable|enable|reset-password|set-role|unlock``: Chinese answers, exit
code 2 on a refusal with nothing written, passwords only from a prompt or standard input, and every
change in the audit log under the real actor."""

from __future__ import annotations

import getpass
import json
import socket
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from wxpub.cli import main
from wxpub.models import AuditEntry
from wxpub.staff import login

SYSTEM = f"系统账号 {getpass.getuser()}@{socket.gethostname()}"
PASSWORD = "correct-horse-9"


@pytest.fixture
def wx(runtime):
    """``wxpub …`` in-process on the test database, with standard input."""
    env = {"WXPUB_DATABASE_URL": runtime.settings.database_url, "WXPUB_ENV": "test",
           "WXPUB_INSTANCE_PATH": str(runtime.settings.instance_path)}

    def run(*args, input=None):
        return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)
    return run


@pytest.fixture
def accounts(wx):
    assert wx("user", "create", "admin1", "--role", "admin", "--display-name", "王管理", input=PASSWORD + "\n").exit_code == 0
    made = wx("user", "create", "editor1", "--role", "editor", "--display-name", "李编辑", "--as", "admin1",
              input=PASSWORD + "\n")
    assert made.exit_code == 0 and "已创建账号 editor1（李编辑，编辑）" in made.output
    assert PASSWORD not in made.output


def _audit(session, action):
    session.expire_all()
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def _can_log_in(runtime, name, password) -> bool:
    with runtime.db.session() as session:
        try:
            login.log_in(session, name, password, now=runtime.clock.now(), address="10.2.0.1",
                         lifetime=timedelta(hours=8))
        except login.LoginFailed:
            return False
    return True


def test_list_shows_every_account_with_role_and_state(wx, accounts):
    listed = wx("user", "list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].startswith("admin1  王管理  管理员  启用") and "从未登录" in lines[0]
    assert lines[1].startswith("editor1  李编辑  编辑  启用")
    data = json.loads(wx("user", "list", "--json").output)["users"]
    assert [(u["username"], u["role_name"], u["state"]) for u in data] == [("admin1", "管理员", "启用"),
                                                                        ("editor1", "编辑", "启用")]


def test_disable_and_enable(wx, accounts, runtime, session):
    done = wx("user", "disable", "editor1", "--as", "admin1")
    assert done.exit_code == 0 and "已停用账号 editor1" in done.output
    assert "已停用" in wx("user", "list").output
    assert not _can_log_in(runtime, "editor1", PASSWORD)
    again = wx("user", "disable", "editor1")
    assert again.exit_code == 2 and "已经是停用状态" in again.output + again.stderr
    assert wx("user", "enable", "editor1").exit_code == 0
    assert _can_log_in(runtime, "editor1", PASSWORD)
    assert [(e.actor, e.object_id) for e in _audit(session, "user.disable")] == [("admin1", "editor1")]
    assert [(e.actor, e.object_id) for e in _audit(session, "user.enable")] == [(SYSTEM, "editor1")]


def test_reset_password_reads_standard_input(wx, accounts, runtime, session):
    done = wx("user", "reset-password", "editor1", "--as", "admin1", input="brand-new-secret-5\n")
    assert done.exit_code == 0 and "已重置 editor1 的密码" in done.output
    assert "brand-new-secret-5" not in done.output
    assert _can_log_in(runtime, "editor1", "brand-new-secret-5")
    assert not _can_log_in(runtime, "editor1", PASSWORD)
    weak = wx("user", "reset-password", "editor1", input="1234567890\n")
    assert weak.exit_code == 2 and "常见" in weak.stderr
    assert _can_log_in(runtime, "editor1", "brand-new-secret-5")
    [entry] = _audit(session, "user.reset_password")
    assert entry.actor == "admin1" and "brand-new-secret-5" not in json.dumps(entry.detail)


def test_set_role(wx, accounts, session):
    done = wx("user", "set-role", "editor1", "approver", "--as", "admin1")
    assert done.exit_code == 0 and "角色已改为“终审”" in done.output
    assert "editor1  李编辑  终审" in wx("user", "list").output
    bad = wx("user", "set-role", "editor1", "boss")
    assert bad.exit_code == 2
    [entry] = _audit(session, "user.set_role")
    assert entry.detail["before"] == "editor" and entry.detail["after"] == "approver"


def test_the_last_admin_cannot_be_disabled_or_demoted(wx, accounts):
    for args in (("disable", "admin1"), ("set-role", "admin1", "editor")):
        refused = wx("user", *args)
        assert refused.exit_code == 2 and "唯一启用的管理员" in refused.stderr


def test_only_an_admin_may_be_named_with_as(wx, accounts, session):
    refused = wx("user", "disable", "admin1", "--as", "editor1")
    assert refused.exit_code == 2 and "管理账号需要角色为“管理员”" in refused.stderr
    assert _audit(session, "user.disable") == []


def test_create_refuses_a_weak_password_and_a_duplicate(wx, accounts, session):
    weak = wx("user", "create", "reviewer1", "--role", "reviewer", input="reviewer1-pass\n")
    assert weak.exit_code == 2 and "用户名" in weak.stderr
    twice = wx("user", "create", "editor1", "--role", "editor", input="another-good-one-3\n")
    assert twice.exit_code == 2 and "已存在" in twice.stderr
    assert [e.object_id for e in _audit(session, "user.create")] == ["admin1", "editor1"]
    assert [e.actor for e in _audit(session, "user.create")] == [SYSTEM, "admin1"]


def test_unlock_refuses_when_nothing_is_locked_and_asks_for_one_target(wx, accounts):
    assert "没有被锁定" in wx("user", "unlock", "editor1").stderr
    both = wx("user", "unlock", "editor1", "--address", "10.0.0.1")
    assert both.exit_code == 2 and "二选一" in both.output + both.stderr
