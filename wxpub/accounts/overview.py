"""What the admin sees of the official accounts: one line per account, no secret in it.

``listing`` is the use case behind the admin list and ``wxpub account list``: it first registers
the environment's account (``registry.default_account``) so that an office upgrading from one
account finds it there, and commits that import, then describes every account. The lines say
only whether a secret is filled in (``已填写`` / ``未填写``), never any part of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.accounts import registry
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Account, User, UserAccount

SOURCE_NAMES = {"env": "环境变量", "db": "已加密保存"}


@dataclass(frozen=True)
class AccountLine:
    """One official account as the admin pages and commands show it (no secrets)."""

    id: int
    name: str
    code: str
    appid: str
    account_type: str
    type_name: str
    credentials_source: str
    source_name: str
    secret_filled: bool
    token_filled: bool
    aes_key_filled: bool
    secret_rotated_at: datetime | None
    enabled: bool
    disabled_at: datetime | None
    disabled_by: str | None
    created_at: datetime
    limited_users: int

    @property
    def callback_path(self) -> str:
        """The path WeChat pushes this account's events to (``/wechat/callback/<code>``)."""
        return f"/wechat/callback/{self.code}"

    def as_dict(self) -> dict:
        """The line as JSON-ready data (times in ISO 8601, UTC)."""
        iso = (lambda value: value.isoformat() if value else None)
        return {"name": self.name, "code": self.code, "appid": self.appid, "type": self.account_type,
                "type_name": self.type_name, "credentials_source": self.credentials_source,
                "source_name": self.source_name, "secret_filled": self.secret_filled,
                "token_filled": self.token_filled, "encoding_aes_key_filled": self.aes_key_filled,
                "secret_rotated_at": iso(self.secret_rotated_at), "enabled": self.enabled,
                "disabled_at": iso(self.disabled_at), "disabled_by": self.disabled_by,
                "created_at": iso(self.created_at), "limited_users": self.limited_users,
                "callback_path": self.callback_path}


def _line(account: Account, limited: int) -> AccountLine:
    env = account.credentials_source == "env"
    return AccountLine(
        id=account.id, name=account.name, code=account.code, appid=account.appid,
        account_type=account.account_type, type_name=registry.type_name(account.account_type),
        credentials_source=account.credentials_source,
        source_name=SOURCE_NAMES.get(account.credentials_source, account.credentials_source),
        # An environment account's secrets live in the environment, which start-up checks.
        secret_filled=env or bool(account.secret_encrypted),
        token_filled=env or bool(account.token_encrypted),
        aes_key_filled=env or bool(account.aes_key_encrypted),
        secret_rotated_at=account.secret_rotated_at, enabled=account.enabled,
        disabled_at=account.disabled_at, disabled_by=account.disabled_by,
        created_at=account.created_at, limited_users=limited)


def _limited_counts(session: Session) -> dict[int, int]:
    return dict(session.execute(select(UserAccount.account_id, func.count())
                                .group_by(UserAccount.account_id)).all())


def listing(session: Session, settings) -> list[AccountLine]:
    """Every account (the environment's one registered first, committed), in registration order."""
    def work():
        registry.default_account(session, settings)
        counts = _limited_counts(session)
        return [_line(a, counts.get(a.id, 0)) for a in registry.listing(session)]
    return commit_or_roll_back(session, work)


def one(session: Session, key: str) -> AccountLine:
    """The line of the account ``key`` (code, name or AppID); ``NotFound`` otherwise."""
    account = registry.find(session, key)
    return _line(account, _limited_counts(session).get(account.id, 0))


def user_limits(session: Session) -> dict[str, list[str]]:
    """username → the names of the accounts that staff member is limited to (absent: every one)."""
    rows = session.execute(select(User.username, Account.name)
                           .join(UserAccount, UserAccount.user_id == User.id)
                           .join(Account, Account.id == UserAccount.account_id)
                           .order_by(User.username, Account.id)).all()
    limits: dict[str, list[str]] = {}
    for username, name in rows:
        limits.setdefault(username, []).append(name)
    return limits
