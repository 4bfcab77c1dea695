"""Staff accounts: create, list, disable/enable, reset a password, change a role, unlock.

Each public function is one use case and one transaction: it validates everything first, writes its
audit row (actor: the logged-in admin or the CLI's named user / system account; ``detail`` carries the
request's address for web actions) and commits once, or raises and leaves nothing behind.
Passwords are kept only as salted scrypt hashes and must pass ``wxpub.staff.passwords.check``.
Disabling an account, resetting its password or changing its role ends all of its sessions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.models import ROLES, AuditEntry, User
from wxpub.staff import passwords, sessions, throttle

ROLE_NAMES = {"editor": "编辑", "proofreader": "校对", "reviewer": "复审", "approver": "终审", "admin": "管理员",
              "expert": "评审专家"}
MIN_PASSWORD = passwords.MIN_LENGTH
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,40}$")


def has_role(user, *roles: str) -> bool:
    """Admins may do everything; others only what their role allows."""
    return user.role == "admin" or user.role in roles


def role_name(role: str) -> str:
    """The role as staff call it (编辑、复审、终审、管理员)."""
    return ROLE_NAMES.get(role, role)


def find(session: Session, username: str) -> User:
    """The account named ``username``, or ``NotFound``."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise NotFound(f"没有用户名为“{username}”的账号")
    return user


def record(session: Session, *, actor: str, action: str, username: str, now: datetime,
           address: str | None = None, **detail) -> None:
    """Add the audit row of an account action (flushes nothing by itself)."""
    if address:
        detail["address"] = address
    session.add(AuditEntry(at=now, actor=actor[:100], action=action, object_type="user",
                           object_id=username[:100], detail=detail))


def create_user(session: Session, username: str, password: str, role: str, *, now: datetime,
                actor: str, display_name: str = "", address: str | None = None) -> User:
    """Add a staff account; the password must pass the policy and is hashed, never stored."""
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    if not _USERNAME_RE.match(username):
        raise ValidationError("用户名应为 2–40 位字母、数字、汉字或 _ . -")
    if role not in ROLES:
        raise ValidationError(f"角色只能是 {'、'.join(ROLES)}，而不是 {role!r}")
    if len(display_name) > 40:
        raise ValidationError("显示名称不能超过 40 个字")
    passwords.check(password, username=username)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"用户 {username} 已存在")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=passwords.hash_password(password), created_at=now,
                password_changed_at=now)
    session.add(user)
    record(session, actor=actor, action="user.create", username=username, now=now, address=address,
           role=role, display_name=user.display_name)
    session.commit()
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)
                          .where(User.role == "admin", User.active.is_(True)))


def _keep_an_admin(session: Session, user: User) -> None:
    if user.role == "admin" and user.active and _active_admins(session) <= 1:
        raise Conflict(f"{user.username} 是唯一启用的管理员，不能停用或改为其他角色："
                       "请先给另一位同事设置“管理员”角色")


def disable(session: Session, username: str, *, actor: str, now: datetime,
            address: str | None = None) -> User:
    """Disable an account: it can no longer log in and its open sessions end at once."""
    user = find(session, username)
    if not user.active:
        raise Conflict(f"账号 {user.username} 已经是停用状态")
    _keep_an_admin(session, user)
    user.active = False
    ended = sessions.end_all(session, user, now=now, reason="disabled")
    record(session, actor=actor, action="user.disable", username=user.username, now=now,
           address=address, sessions_ended=ended)
    session.commit()
    return user


def enable(session: Session, username: str, *, actor: str, now: datetime,
           address: str | None = None) -> User:
    """Enable a disabled account again."""
    user = find(session, username)
    if user.active:
        raise Conflict(f"账号 {user.username} 已经是启用状态")
    user.active = True
    record(session, actor=actor, action="user.enable", username=user.username, now=now,
           address=address)
    session.commit()
    return user


def reset_password(session: Session, username: str, new_password: str, *, actor: str, now: datetime,
                   address: str | None = None) -> User:
    """Set a new password for someone (an admin's action): the policy applies, the account is
    unlocked and all of its sessions end."""
    user = find(session, username)
    passwords.check(new_password, username=user.username)
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = now
    ended = sessions.end_all(session, user, now=now, reason="password_reset")
    unlocked = throttle.clear(session, *throttle.key(throttle.ACCOUNT, user.username))
    record(session, actor=actor, action="user.reset_password", username=user.username, now=now,
           address=address, sessions_ended=ended, unlocked=unlocked)
    session.commit()
    return user


def set_role(session: Session, username: str, role: str, *, actor: str, now: datetime,
             address: str | None = None) -> User:
    """Give an account another role; its sessions end so that the new role applies from its next
    login."""
    user = find(session, username)
    if role not in ROLES:
        raise ValidationError(f"角色只能是 {'、'.join(ROLES)}，而不是 {role!r}")
    if role == user.role:
        raise Conflict(f"账号 {user.username} 的角色已经是“{role_name(role)}”")
    if role != "admin":
        _keep_an_admin(session, user)
    before = user.role
    user.role = role
    ended = sessions.end_all(session, user, now=now, reason="role_changed")
    record(session, actor=actor, action="user.set_role", username=user.username, now=now,
           address=address, before=before, after=role, sessions_ended=ended)
    session.commit()
    return user


def unlock(session: Session, username: str, *, actor: str, now: datetime,
           address: str | None = None) -> User:
    """Lift the lock that too many wrong passwords put on an account (and reset its counter)."""
    user = find(session, username)
    kind, subject = throttle.key(throttle.ACCOUNT, user.username)
    if throttle.lock_in_force(session, [(kind, subject)], now=now) is None:
        raise Conflict(f"账号 {user.username} 没有被锁定")
    throttle.clear(session, kind, subject)
    record(session, actor=actor, action="user.unlock", username=user.username, now=now,
           address=address)
    session.commit()
    return user


def unlock_address(session: Session, locked_address: str, *, actor: str, now: datetime,
                   address: str | None = None) -> None:
    """Lift the lock on a client address (too many wrong passwords came from it)."""
    kind, subject = throttle.key(throttle.ADDRESS, (locked_address or "").strip())
    if throttle.lock_in_force(session, [(kind, subject)], now=now) is None:
        raise Conflict(f"地址 {subject} 没有被锁定")
    throttle.clear(session, kind, subject)
    detail = {"address": address} if address else {}
    session.add(AuditEntry(at=now, actor=actor[:100], action="login.unlock_address",
                           object_type="address", object_id=subject, detail=detail))
    session.commit()


@dataclass(frozen=True)
class AccountRow:
    """One line of the account list."""

    username: str
    display_name: str
    role: str
    role_name: str
    active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    open_sessions: int

    @property
    def state(self) -> str:
        """启用 / 已停用 / 已锁定."""
        if not self.active:
            return "已停用"
        return "已锁定" if self.locked_until else "启用"


def listing(session: Session, *, now: datetime) -> list[AccountRow]:
    """Every account, by role then name, with its state (read only)."""
    locked = {lock.subject: lock.until for lock in throttle.locks(session, now=now, kind=throttle.ACCOUNT)}
    order = {role: i for i, role in enumerate(("admin", "approver", "reviewer", "editor"))}
    rows = sorted(session.scalars(select(User)), key=lambda u: (order.get(u.role, 9), u.username))
    return [AccountRow(u.username, u.display_name, u.role, role_name(u.role), u.active,
                       locked.get(u.username), u.last_login_at, u.created_at,
                       sessions.open_count(session, u, now=now)) for u in rows]


def account(session: Session, username: str, *, now: datetime) -> AccountRow:
    """One account's line of the list, or ``NotFound``."""
    user = find(session, username)
    return next(row for row in listing(session, now=now) if row.username == user.username)
