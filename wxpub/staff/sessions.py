"""Signed-in sessions kept in the database, so that they can be ended on the server.

The browser's cookie carries a random token (``secrets.token_urlsafe``); the table keeps only its
SHA-256. A session is valid until ``expires_at`` (the login time plus ``WXPUB_SESSION_HOURS``; using
it does not extend it) unless it was ended: logout ends that browser's session, and ``end_all`` (a
password change or reset, a role change, disabling the account) ends every session of the user.

These helpers only ``flush``; the use cases in ``wxpub.staff.login`` and ``wxpub.staff.users``
commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from wxpub.models import StaffSession, User, UserAccount

TOKEN_BYTES = 32
KEEP_ENDED = timedelta(days=30)  # ended and expired rows are pruned at the user's next login


def digest(token: str) -> str:
    """What is stored for a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, user: User, *, now: datetime, lifetime: timedelta, address: str) -> str:
    """A new session for ``user``; returns the token for the cookie (flushes, does not commit)."""
    session.execute(delete(StaffSession).where(
        StaffSession.user_id == user.id,
        or_(StaffSession.ended_at < now - KEEP_ENDED, StaffSession.expires_at < now - KEEP_ENDED)))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(StaffSession(token_sha256=digest(token), user_id=user.id, created_at=now,
                             expires_at=now + lifetime, address=(address or "")[:64]))
    session.flush()
    return token


def resolve(session: Session, token: str | None, *, now: datetime, lifetime: timedelta) -> User | None:
    """The active user whose session ``token`` is still valid at ``now``, else None.

    Valid means: not ended, before its ``expires_at`` and within ``lifetime`` of its login (so a
    shorter ``WXPUB_SESSION_HOURS`` applies to sessions already open too).
    """
    if not token:
        return None
    row = session.execute(select(StaffSession, User).join(User, User.id == StaffSession.user_id)
                          .where(StaffSession.token_sha256 == digest(token))).first()
    if row is None:
        return None
    staff_session, user = row
    return user if _lets_in(staff_session, user.active, now=now, lifetime=lifetime) else None


# ``limited``: whether the user is limited to some official accounts (read in the same query, so an
# unlimited user's pages need no query of their own for it: wxpub.accounts.scope).
_LIMITED = exists().where(UserAccount.__table__.c.user_id == User.__table__.c.id).label("limited")
_WHO = (select(StaffSession.__table__.c.ended_at, StaffSession.__table__.c.expires_at,
               StaffSession.__table__.c.created_at, User.__table__.c.active, User.__table__.c.username,
               User.__table__.c.display_name, User.__table__.c.role, _LIMITED)
        .join_from(StaffSession.__table__, User.__table__, User.__table__.c.id == StaffSession.__table__.c.user_id))


def who(session: Session, token: str | None, *, now: datetime, lifetime: timedelta):
    """``resolve`` for every page: the ``username``, ``display_name`` and ``role`` of the user whose
    session ``token`` is valid at ``now`` (one row of columns, read without the ORM), else None."""
    if not token:
        return None
    row = session.connection().execute(
        _WHO.where(StaffSession.__table__.c.token_sha256 == digest(token))).first()
    return row if row is not None and _lets_in(row, row.active, now=now, lifetime=lifetime) else None


def _lets_in(staff_session, active: bool, *, now: datetime, lifetime: timedelta) -> bool:
    """Not ended, the user active, before its ``expires_at`` and within ``lifetime`` of its login."""
    if staff_session.ended_at is not None or not active:
        return False
    return now < staff_session.expires_at and now < staff_session.created_at + lifetime


def end(session: Session, token: str, *, now: datetime, reason: str) -> User | None:
    """End the session ``token`` belongs to; returns its user (None if it was not open)."""
    row = session.scalar(select(StaffSession).where(StaffSession.token_sha256 == digest(token),
                                                    StaffSession.ended_at.is_(None)))
    if row is None:
        return None
    row.ended_at, row.end_reason = now, reason
    session.flush()
    return session.get(User, row.user_id)


def end_all(session: Session, user: User, *, now: datetime, reason: str) -> int:
    """End every open session of ``user``; returns how many were open."""
    result = session.execute(update(StaffSession)
                             .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None),
                                    StaffSession.expires_at > now)
                             .values(ended_at=now, end_reason=reason))
    session.flush()
    return result.rowcount or 0


def open_count(session: Session, user: User, *, now: datetime) -> int:
    """How many sessions of ``user`` are open at ``now``."""
    return len(session.scalars(select(StaffSession.id).where(
        StaffSession.user_id == user.id, StaffSession.ended_at.is_(None),
        StaffSession.expires_at > now)).all())
