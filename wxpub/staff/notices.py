"""A person's notices (``Notice`` rows, e.g. "the content you approved was changed"): list them,
mark one or all read. Each change is one use case and one commit; a person only ever sees and
marks their own notices.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wxpub.core.errors import NotFound
from wxpub.models import Notice

PAGE = 200  # the newest notices shown; older ones stay stored


def list_notices(session: Session, username: str, *, unread_only: bool = False,
                 limit: int = PAGE) -> list[Notice]:
    """``username``'s notices, newest first (at most ``limit``)."""
    query = select(Notice).where(Notice.username == username)
    if unread_only:
        query = query.where(Notice.read_at.is_(None))
    return list(session.scalars(query.order_by(Notice.created_at.desc(), Notice.id.desc())
                                .limit(limit)))


def unread_count(session: Session, username: str) -> int:
    """How many of ``username``'s notices are still unread."""
    return session.scalar(select(func.count()).select_from(Notice).where(
        Notice.username == username, Notice.read_at.is_(None))) or 0


def mark_read(session: Session, username: str, notice_id: int, *, now: datetime) -> Notice:
    """Mark one of ``username``'s notices read (already read: unchanged). Someone else's notice
    is ``NotFound``, as if it did not exist."""
    row = session.get(Notice, notice_id)
    if row is None or row.username != username:
        raise NotFound(f"没有编号为 {notice_id} 的通知")
    if row.read_at is None:
        row.read_at = now
        session.commit()
    return row


def mark_all_read(session: Session, username: str, *, now: datetime) -> int:
    """Mark every unread notice of ``username`` read; returns how many were unread."""
    result = session.execute(update(Notice).where(Notice.username == username,
                                                  Notice.read_at.is_(None)).values(read_at=now))
    session.commit()
    return result.rowcount or 0
