"""Finding accounts: by code, name or AppID; the environment's account, imported on first use."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from wxpub.core.errors import NotFound
from wxpub.models import Account

TYPE_NAMES = {"subscription": "订阅号", "service": "服务号"}


def type_name(account_type: str) -> str:
    """订阅号 / 服务号."""
    return TYPE_NAMES.get(account_type, account_type)


def find(session: Session, key: str) -> Account:
    """The account whose code, name or AppID is ``key``; ``NotFound`` listing the known ones."""
    wanted = (key or "").strip()
    account = session.scalar(select(Account).where(
        or_(Account.code == wanted, Account.name == wanted, Account.appid == wanted)))
    if account is None:
        known = "、".join(f"{a.name}（{a.code}）" for a in session.scalars(select(Account).order_by(Account.id)))
        raise NotFound(f"没有公众号“{wanted}”" + (f"；已登记的有：{known}" if known else "；还没有登记任何公众号"))
    return account


def listing(session: Session) -> list[Account]:
    """Every account, in the order they were registered."""
    return list(session.scalars(select(Account).order_by(Account.id)))


def enabled(session: Session) -> list[Account]:
    """The accounts that still publish (and are pulled for statistics and comments)."""
    return [a for a in listing(session) if a.enabled]


def default_account(session: Session, settings) -> Account:
    """The environment's account (``WXPUB_APPID``), registered on first use as
    ``WXPUB_ACCOUNT_NAME`` / ``WXPUB_ACCOUNT_CODE`` with its credentials read from the environment
    (added to ``session``, flushed: the caller's transaction commits it)."""
    account = session.scalar(select(Account).where(Account.appid == settings.appid))
    if account is not None:
        return account
    return import_env_account(session, settings, name=settings.account_name)


def import_env_account(session: Session, settings, *, name: str) -> Account:
    """Register the environment's account under ``name`` (a free code: ``WXPUB_ACCOUNT_CODE``, or
    the AppID when another account has it)."""
    taken = {c for (c,) in session.execute(select(Account.code))}
    names = {n for (n,) in session.execute(select(Account.name))}
    code = settings.account_code if settings.account_code not in taken else settings.appid
    account = Account(name=name if name not in names else f"{name}（{settings.appid}）",
                      appid=settings.appid, code=code, account_type=settings.account_type,
                      credentials_source="env")
    session.add(account)
    session.flush()
    return account
