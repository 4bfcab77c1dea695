"""API tokens: how another system calls ``/api/v1/…`` as a member of staff (``Authorization: Bearer``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from wxpub.models.base import Base, utcnow

TOKEN_SCOPES = ("read", "write")


class ApiToken(Base):
    """One token an admin created for a user. Only the SHA-256 of the token is kept (``token_hash``);
    ``prefix`` (its first 8 characters) tells tokens apart in lists. A token acts with its user's role
    (``read``: GET/HEAD only) until ``revoked_at`` or ``expires_at``, or its user is disabled.

    ``rate_window``/``rate_count`` count the requests of the current minute (one row per token, updated
    in place, so every web worker sees the same count)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(10))
    prefix: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime | None]
    rate_window: Mapped[datetime | None]
    rate_count: Mapped[int] = mapped_column(default=0)
