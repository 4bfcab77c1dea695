"""Staff accounts: create, authenticate, roles. Passwords are kept only as salted scrypt hashes."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from wxpub.core.errors import Conflict, ValidationError
from wxpub.models import ROLES, AuditEntry, User

ROLE_NAMES = {"editor": "编辑", "reviewer": "复审", "approver": "终审", "admin": "管理员"}
MIN_PASSWORD = 8
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,40}$")


def create_user(session: Session, username: str, password: str, role: str, *, now: datetime,
                display_name: str = "", actor: str = "cli") -> User:
    """Add a staff account; the password is hashed, never stored."""
    if not _USERNAME_RE.match(username or ""):
        raise ValidationError("用户名应为 2–40 位字母、数字、汉字或 _ . -")
    if role not in ROLES:
        raise ValidationError(f"角色只能是 {'、'.join(ROLES)}，而不是 {role!r}")
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(f"密码至少 {MIN_PASSWORD} 位")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"用户 {username} 已存在")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=generate_password_hash(password), created_at=now)
    session.add(user)
    session.add(AuditEntry(at=now, actor=actor, action="user.create", object_type="user",
                           object_id=username, detail={"role": role}))
    session.commit()
    return user


def authenticate(session: Session, username: str, password: str, *, now: datetime) -> User | None:
    """The active user with these credentials, or None (the same answer for any wrong part)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = now
    session.commit()
    return user


def has_role(user: User, *roles: str) -> bool:
    """Admins may do everything; others only what their role allows."""
    return user.role == "admin" or user.role in roles
