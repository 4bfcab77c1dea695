"""Who is acting: a named staff account checked against the user table, or the operating-system
account a command runs under. The audit log records one of these, never a made-up name."""

from __future__ import annotations

import getpass
import os
import socket

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, NotFound
from wxpub.models import User
from wxpub.staff.users import has_role, role_name


def _needed(roles: tuple[str, ...]) -> str:
    names = [role_name(r) for r in roles if r != "admin"] + [role_name("admin")]
    return "或".join(f"“{n}”" for n in names)


def require_user(session: Session, username: str | None, *, roles: tuple[str, ...] = (),
                 purpose: str = "操作") -> User:
    """The enabled account ``username`` whose role allows ``purpose`` (admins may do everything).

    Raises ``NotFound`` for an unknown name and ``Conflict`` for a disabled account or a role that
    does not allow it; each message names the account and the role needed.
    """
    name = (username or "").strip()
    need = f"，{purpose}需要角色为{_needed(roles)}的已启用账号" if roles else f"，{purpose}需要已启用的账号"
    if not name:
        raise NotFound(f"没有指定操作人{need}")
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFound(f"没有用户名为“{name}”的账号{need}（账号由管理员用 wxpub user create 新建）")
    if not user.active:
        raise Conflict(f"账号“{name}”已停用{need}")
    if roles and not has_role(user, *roles):
        raise Conflict(f"账号“{name}”的角色是“{role_name(user.role)}”{need}")
    return user


def system_account() -> str:
    """The operating-system account and machine a command runs on: ``系统账号 root@host``."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        name = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"系统账号 {name}@{socket.gethostname()}"[:100]


def command_actor(session: Session, as_user: str | None, *, roles: tuple[str, ...] = (),
                  purpose: str = "操作") -> str:
    """The audit actor of a command: the ``--as`` account when given (checked), else the system
    account."""
    if as_user is None:
        return system_account()
    return require_user(session, as_user, roles=roles, purpose=purpose).username
