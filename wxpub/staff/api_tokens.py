"""API tokens for integrations: created by an admin for a user, shown once, kept only as a hash.

A token is ``wxp_`` + 43 random URL-safe characters (256 bits); the table keeps its SHA-256
(``token_hash``) and its first 8 characters (``prefix``, to tell tokens apart in lists). Another
system sends it as ``Authorization: Bearer <token>`` on ``/api/v1/…`` and acts with the token's user
and that user's role; a ``read`` token may only read (GET/HEAD). A token stops working at once when
it is revoked, when it expires (``expires_at``, optional) or when its user is disabled.

Each token may make ``RATE_LIMIT`` requests per clock minute: the counter lives in the token's own row
and is bumped with one ``UPDATE`` (the row lock orders concurrent requests from several workers).

``create`` and ``revoke`` are use cases (one transaction each, audited as ``api_token.create`` /
``api_token.revoke``); ``authenticate`` records the use (``last_used_at``, the counter) and commits.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, NotFound, ValidationError, WxpubError
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import TOKEN_SCOPES, ApiToken, User
from wxpub.staff import users

PREFIX = "wxp_"
TOKEN_BYTES = 32
RATE_LIMIT = 120  # requests per token per minute
SCOPE_NAMES = {"read": "只读", "write": "读写"}
MAX_TOKEN_TEXT = 200  # longer "tokens" are not ours: refused before hashing


class RateLimited(WxpubError):
    """Too many requests with one token this minute (HTTP 429); ``retry_after`` in seconds."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, retry_after: int, limit: int):
        super().__init__(f"这个 API 令牌请求太频繁（每分钟最多 {limit} 次），请 {retry_after} 秒后再试")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Bearer:
    """Who a valid token speaks for: its user (the row) and its scope."""

    user: User
    scope: str
    token_id: int


def digest(token_text: str) -> str:
    """What is stored for a token."""
    return hashlib.sha256(token_text.encode("utf-8")).hexdigest()


def scope_name(scope: str) -> str:
    """The scope as staff call it (只读 / 读写)."""
    return SCOPE_NAMES.get(scope, scope)


def state(row: ApiToken, now: datetime) -> str:
    """有效 / 已撤销 / 已过期."""
    if row.revoked_at is not None:
        return "已撤销"
    if row.expires_at is not None and row.expires_at <= now:
        return "已过期"
    return "有效"


def _record(session: Session, action: str, row: ApiToken, username: str, *, actor: str,
            now: datetime, address: str | None) -> None:
    # Never the token itself: its id, name, scope and prefix are enough to tell which one.
    users.record(session, actor=actor, action=action, username=username, now=now, address=address,
                 token_id=row.id, name=row.name, scope=row.scope, prefix=row.prefix)


def create(session: Session, *, user: str | User, name: str, scope: str, actor: str, now: datetime,
           expires_at: datetime | None = None, address: str | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user`` (a username or the row); returns the row and the token text — the
    only time the text exists anywhere."""
    def work():
        account = user if isinstance(user, User) else users.find(session, user)
        label = (name or "").strip()
        if not label:
            raise ValidationError("请填写令牌的用途（名称），如“区数据平台”")
        if len(label) > 80:
            raise ValidationError("令牌名称不能超过 80 个字")
        if scope not in TOKEN_SCOPES:
            raise ValidationError(f"令牌权限只能是 read（只读）或 write（读写），而不是 {scope!r}")
        if expires_at is not None and expires_at <= now:
            raise ValidationError("令牌的到期时间应晚于现在")
        if not account.active:
            raise Conflict(f"账号 {account.username} 已停用，不能新建 API 令牌")
        text = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        row = ApiToken(user_id=account.id, name=label, scope=scope, prefix=text[:8],
                       token_hash=digest(text), created_at=now, created_by=actor[:100],
                       expires_at=expires_at)
        session.add(row)
        session.flush()
        _record(session, "api_token.create", row, account.username, actor=actor, now=now,
                address=address)
        return row, text
    return commit_or_roll_back(session, work)


def revoke(session: Session, token_id: int, *, actor: str, now: datetime,
           address: str | None = None, username: str | None = None) -> ApiToken:
    """Revoke a token: it is refused from the next request on. ``username``, when given, must be
    the token's user (the admin page's URL names both)."""
    def work():
        row = session.get(ApiToken, token_id)
        owner = session.get(User, row.user_id) if row is not None else None
        if row is None or (username is not None and owner.username != username):
            raise NotFound(f"没有编号为 {token_id} 的 API 令牌" + (f"（账号 {username}）" if username else ""))
        if row.revoked_at is not None:
            raise Conflict(f"API 令牌 {row.prefix}…（{row.name}）已经撤销过了")
        row.revoked_at, row.revoked_by = now, actor[:100]
        _record(session, "api_token.revoke", row, owner.username, actor=actor, now=now, address=address)
        return row
    return commit_or_roll_back(session, work)


def listing(session: Session, username: str | None = None) -> list[tuple[ApiToken, str]]:
    """Tokens (of one user if given) with their usernames, newest first."""
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if username is not None:
        query = query.where(User.id == users.find(session, username).id)
    return [(row, name) for row, name in
            session.execute(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))]


def authenticate(session: Session, token_text: str | None, now: datetime, *,
                 limit: int = RATE_LIMIT) -> Bearer | None:
    """The user and scope ``token_text`` speaks for, or None when it is unknown, revoked, expired
    or its user disabled. Counts the request (raises ``RateLimited`` over ``limit`` a minute) and
    sets ``last_used_at``; commits."""
    if not token_text or len(token_text) > MAX_TOKEN_TEXT:
        return None
    wanted = digest(token_text)

    def work():
        found = session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                                .where(ApiToken.token_hash == wanted)).first()
        if found is None or not hmac.compare_digest(found[0].token_hash, wanted):
            return None
        row, user = found
        if row.revoked_at is not None or not user.active \
                or (row.expires_at is not None and row.expires_at <= now):
            return None
        minute = now.replace(second=0, microsecond=0)
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(
            rate_count=case((ApiToken.rate_window == minute, ApiToken.rate_count + 1), else_=1),
            rate_window=minute, last_used_at=now).execution_options(synchronize_session=False))
        session.expire(row, ["rate_count", "rate_window", "last_used_at"])  # read back what the UPDATE set
        if row.rate_count > limit:
            return RateLimited(max(1, math.ceil((minute + timedelta(minutes=1) - now).total_seconds())), limit)
        return Bearer(user=user, scope=row.scope, token_id=row.id)
    result = commit_or_roll_back(session, work)
    if isinstance(result, RateLimited):  # raised after the commit, so the refused request counts too
        raise result
    return result
