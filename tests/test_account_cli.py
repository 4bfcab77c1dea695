"""``wxpub account add|list|rotate-secret|disable|enable`` and ``wxpub user accounts``: the AppSecret
only from a hidden prompt or standard input, stored only encrypted, never printed; Chinese answers;
a refusal exits non-zero with nothing written; the audit log names the real actor."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from wxpub.accounts import credentials
from wxpub.cli import main
from wxpub.models import Account, AuditEntry, UserAccount
from wxpub.staff import users

SECRET = "Qw3SecretOfTheNightDesk00000042"
NEW_SECRET = "Rt5RotatedSecretOfTheNightDesk77"
ADD = ("account", "add", "--name", "政策速递", "--code", "zcsd", "--appid", "wxb2c3d4e5f6a7b8c9",
       "--type", "service")


@pytest.fixture
def wx(runtime):
    """``wxpub …`` in-process on the test database, with standard input."""
    env = {"WXPUB_DATABASE_URL": runtime.settings.database_url, "WXPUB_ENV": "test",
           "WXPUB_INSTANCE_PATH": str(runtime.settings.instance_path)}

    def run(*args, input=None):
        return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)
    return run


@pytest.fixture
def admin(session, clock):
    users.create_user(session, "admin1", "correct-horse-9", "admin", now=clock.now(), actor="测试")
    users.create_user(session, "editor1", "correct-horse-9", "editor", now=clock.now(), actor="测试")


def _account(session, code) -> Account | None:
    session.expire_all()
    return session.scalar(select(Account).where(Account.code == code))


def _stored_nowhere_in_clear(session, *texts) -> None:
    session.expire_all()
    for account in session.scalars(select(Account)):
        for column in Account.__table__.columns:
            assert not any(text in str(getattr(account, column.key)) for text in texts), column.key
    for entry in session.scalars(select(AuditEntry)):
        assert not any(text in repr(entry.detail) for text in texts), entry.action


def test_add_reads_the_secret_from_a_prompt_typed_twice(wx, admin, session, runtime):
    added = wx(*ADD, "--as", "admin1", input=f"{SECRET}\n{SECRET}\n")
    assert added.exit_code == 0, added.output
    assert "已登记公众号“政策速递”（代号 zcsd，服务号" in added.output
    assert "/wechat/callback/zcsd" in added.output
    assert SECRET not in added.output  # the prompt does not echo it
    row = _account(session, "zcsd")
    assert row.credentials_source == "db" and SECRET not in row.secret_encrypted
    assert credentials.of(row, runtime.settings).appsecret == SECRET
    _stored_nowhere_in_clear(session, SECRET)
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "wechat_account.add"))
    assert entry.actor == "admin1"


def test_add_from_standard_input_with_token_and_key(wx, admin, session, runtime):
    key = "K" * 43
    added = wx(*ADD, "--token", "nightToken1", "--aes-key", key, "--secret-stdin", input=f"{SECRET}\n")
    assert added.exit_code == 0, added.output
    sealed = credentials.of(_account(session, "zcsd"), runtime.settings)
    assert (sealed.appsecret, sealed.token, sealed.encoding_aes_key) == (SECRET, "nightToken1", key)
    _stored_nowhere_in_clear(session, SECRET, "nightToken1", key)


def test_the_secret_is_never_an_argument(wx, admin, session):
    refused = wx(*ADD, "--secret", SECRET)
    assert refused.exit_code != 0 and _account(session, "zcsd") is None


@pytest.mark.parametrize("change, named", [
    (("--code", "政策"), "代号“政策”无效"),
    (("--appid", "12345"), "AppID“12345”格式不对"),
    (("--name", "新政服"), "已有公众号使用名称“新政服”"),
    (("--aes-key", "short"), "EncodingAESKey 格式不对"),
])
def test_a_refusal_names_the_field_and_writes_nothing(wx, admin, session, change, named):
    assert wx("account", "list").exit_code == 0  # the environment's account 新政服 is registered
    args = list(ADD)
    if change[0] in args:
        args[args.index(change[0]) + 1] = change[1]
    else:
        args += change
    refused = wx(*args, "--secret-stdin", input=f"{SECRET}\n")
    assert refused.exit_code == 2 and named in refused.output
    assert _account(session, "zcsd") is None
    short = wx(*ADD, "--secret-stdin", input="ab\n")
    assert short.exit_code == 2 and "AppSecret 格式不对" in short.output


def test_list_shows_every_account_and_no_secret(wx, admin, session, runtime):
    wx(*ADD, "--secret-stdin", input=f"{SECRET}\n")
    listed = wx("account", "list")
    assert listed.exit_code == 0
    assert "新政服（xzf）" in listed.output and "环境变量" in listed.output
    assert "政策速递（zcsd）  wxb2c3d4e5f6a7b8c9  服务号  凭据：已加密保存" in listed.output
    # (commands run on the real clock: the time is today's, in Beijing time)
    assert re.search(r"AppSecret 更换：20\d\d-\d\d-\d\d \d\d:\d\d  使用中", listed.output)
    assert "AppSecret 更换：未更换过" in listed.output
    as_json = wx("account", "list", "--json")
    data = json.loads(as_json.output)["accounts"]
    by_code = {a["code"]: a for a in data}
    assert sorted(by_code) == ["xzf", "zcsd"] and by_code["xzf"]["credentials_source"] == "env"
    mine = by_code["zcsd"]
    assert mine["secret_filled"] and mine["type"] == "service" and not mine["token_filled"]
    assert mine["callback_path"] == "/wechat/callback/zcsd"
    for output in (listed.output, as_json.output):
        assert SECRET not in output and runtime.settings.appsecret not in output
    assert "secret_encrypted" not in as_json.output


def test_rotate_the_secret(wx, admin, session, runtime):
    wx(*ADD, "--secret-stdin", input=f"{SECRET}\n")
    before = _account(session, "zcsd").secret_encrypted
    rotated = wx("account", "rotate-secret", "zcsd", "--token", "newToken22", "--as", "admin1",
                 input=f"{NEW_SECRET}\n{NEW_SECRET}\n")
    assert rotated.exit_code == 0, rotated.output
    assert "已更换公众号“政策速递”（zcsd）的 AppSecret、Token" in rotated.output
    assert NEW_SECRET not in rotated.output
    row = _account(session, "zcsd")
    assert row.secret_encrypted != before
    sealed = credentials.of(row, runtime.settings)
    assert sealed.appsecret == NEW_SECRET and sealed.token == "newToken22"
    _stored_nowhere_in_clear(session, SECRET, NEW_SECRET, "newToken22")
    unknown = wx("account", "rotate-secret", "nosuch", "--secret-stdin", input=f"{NEW_SECRET}\n")
    assert unknown.exit_code == 2 and "没有公众号“nosuch”" in unknown.output
    not_admin = wx("account", "rotate-secret", "zcsd", "--as", "editor1", "--secret-stdin", input=f"{SECRET}\n")
    assert not_admin.exit_code == 2
    assert credentials.of(_account(session, "zcsd"), runtime.settings).appsecret == NEW_SECRET


def test_disable_and_enable(wx, admin, session):
    wx(*ADD, "--secret-stdin", input=f"{SECRET}\n")
    off = wx("account", "disable", "zcsd", "--as", "admin1")
    assert off.exit_code == 0 and "已停用公众号“政策速递”（zcsd）" in off.output and "不会发出" in off.output
    assert not _account(session, "zcsd").enabled
    assert re.search(r"已停用（admin1，20\d\d-\d\d-\d\d \d\d:\d\d）", wx("account", "list").output)
    twice = wx("account", "disable", "zcsd")
    assert twice.exit_code == 2 and "已经停用了" in twice.output
    on = wx("account", "enable", "zcsd")
    assert on.exit_code == 0 and "已重新启用公众号“政策速递”" in on.output
    assert _account(session, "zcsd").enabled


def test_limit_a_user_to_some_accounts(wx, admin, session):
    wx(*ADD, "--secret-stdin", input=f"{SECRET}\n")
    limited = wx("user", "accounts", "editor1", "zcsd", "--as", "admin1")
    assert limited.exit_code == 0 and "editor1 现在只能看到这些公众号：政策速递（zcsd）" in limited.output
    session.expire_all()
    assert len(session.scalars(select(UserAccount)).all()) == 1
    lifted = wx("user", "accounts", "editor1")
    assert lifted.exit_code == 0 and "editor1 现在可以看到全部公众号" in lifted.output
    session.expire_all()
    assert session.scalars(select(UserAccount)).all() == []
    unknown = wx("user", "accounts", "editor1", "nosuch")
    assert unknown.exit_code == 2 and "没有公众号“nosuch”" in unknown.output
    nobody = wx("user", "accounts", "nobody", "zcsd")
    assert nobody.exit_code == 2 and "没有用户名为“nobody”的账号" in nobody.output
    assert "管理员" in wx("user", "accounts", "admin1", "zcsd").output
