"""Logging in and out, and changing one's own password: one use case each.

``log_in`` refuses at once while the account name or the address is locked (``wxpub.staff.throttle``);
otherwise it always does one scrypt verification, against a dummy hash for unknown names, so that
known and unknown names take the same time. A wrong password is itself an event worth keeping: it is
counted (and a lockout it causes is audited) and committed before ``LoginFailed`` is raised. A right
password starts a server-side session (``wxpub.staff.sessions``) and is audited as ``user.login``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, ValidationError
from wxpub.infra.clock import SHANGHAI, format_local
from wxpub.models import AuditEntry, User
from wxpub.staff import passwords, sessions, throttle
from wxpub.staff.users import record

WRONG = "用户名或密码不正确"
VISITOR = "未登录的访客"  # the audit actor of a failed login (the name typed is its object)


class LoginFailed(ValidationError):
    """Wrong user name or password (the same answer for either), or a disabled account."""

    code = "login_failed"
    http_status = 401


class LoginLocked(Conflict):
    """Too many wrong passwords: the account name or the address is locked for a while."""

    code = "login_locked"
    http_status = 429


@dataclass(frozen=True)
class LoggedIn:
    """A successful login: the account and the token its browser keeps."""

    user: User
    token: str


def locked_message(lock: throttle.Lock, *, now: datetime, tz: ZoneInfo = SHANGHAI) -> str:
    """What staff read when a lock refuses them: what is locked and when to try again."""
    minutes = max(1, math.ceil((lock.until - now).total_seconds() / 60))
    when = format_local(lock.until, tz)[-5:]
    what = "这个账号" if lock.kind == throttle.ACCOUNT else f"这台电脑所在的网络地址（{lock.subject}）"
    return (f"{what}登录失败次数过多，已暂时锁定：请在 {minutes} 分钟后（{when} 以后）再试，"
            "或联系管理员解锁")


def log_in(session: Session, username: str, password: str, *, now: datetime, address: str,
           lifetime: timedelta, tz: ZoneInfo = SHANGHAI) -> LoggedIn:
    """Check the credentials and start a session, or raise ``LoginLocked`` / ``LoginFailed``."""
    username = (username or "").strip()[:80]
    address = (address or "unknown")[:64]
    keys = [throttle.key(throttle.ACCOUNT, username), throttle.key(throttle.ADDRESS, address)]
    lock = throttle.lock_in_force(session, keys, now=now)
    if lock is not None:
        session.rollback()
        raise LoginLocked(locked_message(lock, now=now, tz=tz))
    user = session.scalar(select(User).where(User.username == username))
    right = passwords.verify(user.password_hash if user is not None else None, password)
    if right and user.active:
        throttle.clear(session, *keys[0])
        token = sessions.start(session, user, now=now, lifetime=lifetime, address=address)
        user.last_login_at = now
        record(session, actor=user.username, action="user.login", username=user.username, now=now,
               address=address)
        session.commit()
        return LoggedIn(user, token)
    if right:  # the right password of a disabled account: no guess to count
        session.rollback()
        _failed(session, VISITOR, username, address, now, reason="账号已停用")
        session.commit()
        raise LoginFailed("这个账号已停用，请联系管理员")
    _count_failure(session, keys, username=username, address=address, now=now, tz=tz)


def _failed(session: Session, actor: str, username: str, address: str, now: datetime, **detail) -> None:
    """The audit row of a refused login (or of a wrong current password when changing it)."""
    session.add(AuditEntry(at=now, actor=actor[:100], action="user.login_failed", object_type="user",
                           object_id=username[:100], address=address[:64],
                           detail={"username": username, **detail}))


def _count_failure(session: Session, keys, *, username: str, address: str, now: datetime,
                   tz: ZoneInfo, actor: str = VISITOR):
    started, left = None, None
    _failed(session, actor, username, address, now, reason="密码不正确")
    for kind, subject in keys:
        count, lock = throttle.record_failure(session, kind, subject, now=now)
        if kind == throttle.ACCOUNT:
            left = throttle.LIMITS[kind] - count
        if lock is not None:
            started = started or lock
            session.add(AuditEntry(at=now, actor=actor[:100], action="login.lockout",
                                   object_type="user" if kind == throttle.ACCOUNT else "address",
                                   object_id=subject, address=address[:64],
                                   detail={"address": address, "username": username, "failures": count}))
    session.commit()
    if started is not None:
        raise LoginLocked(locked_message(started, now=now, tz=tz))
    hint = f"（再错 {left} 次，这个账号将锁定 {int(throttle.LOCKOUT.total_seconds() // 60)} 分钟）" \
        if left is not None and 0 < left <= 2 else ""
    raise LoginFailed(WRONG + hint)


def log_out(session: Session, token: str | None, *, now: datetime, address: str) -> User | None:
    """End this browser's session (audited as ``user.logout``); None if it was not open."""
    user = sessions.end(session, token, now=now, reason="logout") if token else None
    if user is None:
        session.rollback()
        return None
    record(session, actor=user.username, action="user.logout", username=user.username, now=now,
           address=address)
    session.commit()
    return user


def change_password(session: Session, token: str, current: str, new: str, *, now: datetime,
                    address: str, lifetime: timedelta) -> LoggedIn:
    """The signed-in user sets a new password: the current one must be right (a wrong one counts
    as a wrong login), the new one must pass the policy; every session of the user ends and this
    browser gets a fresh one."""
    user = sessions.resolve(session, token, now=now, lifetime=lifetime)
    if user is None:
        raise LoginFailed("登录已失效，请重新登录")
    if not passwords.verify(user.password_hash, current):
        keys = [throttle.key(throttle.ACCOUNT, user.username), throttle.key(throttle.ADDRESS, address)]
        try:
            _count_failure(session, keys, username=user.username, address=address, now=now, tz=SHANGHAI,
                           actor=user.username)
        except LoginFailed:
            raise LoginFailed("当前密码不正确") from None
    if new == current:
        raise ValidationError("新密码不能与当前密码相同")
    passwords.check(new, username=user.username)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = now
    ended = sessions.end_all(session, user, now=now, reason="password_changed")
    fresh = sessions.start(session, user, now=now, lifetime=lifetime, address=address)
    record(session, actor=user.username, action="user.change_password", username=user.username,
           now=now, address=address, sessions_ended=ended)
    session.commit()
    return LoggedIn(user, fresh)
