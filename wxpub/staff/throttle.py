"""Wrong-password counters per account name and per client address, in the database.

Every web worker (gunicorn runs several) sees the same counters, so a guesser cannot spread attempts
over processes. A counter counts the wrong passwords of a ``WINDOW``; reaching its limit locks the
account name (``ACCOUNT_LIMIT``) or the address (``ADDRESS_LIMIT``) for ``LOCKOUT``. While locked,
logins are refused before any password is checked. Names that are not accounts are counted and
locked exactly like real ones, so a lockout tells nothing about which names exist.

An admin unlocks (``clear``); a successful login clears its account's counter (not its address's).
These helpers only ``flush``; the use cases commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from wxpub.models import LoginThrottle

ACCOUNT, ADDRESS = "user", "address"
ACCOUNT_LIMIT = 5     # wrong passwords for one account name within WINDOW
ADDRESS_LIMIT = 20    # wrong passwords from one address within WINDOW (an office shares an address)
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
LIMITS = {ACCOUNT: ACCOUNT_LIMIT, ADDRESS: ADDRESS_LIMIT}


@dataclass(frozen=True)
class Lock:
    """A lock in force: what is locked and until when."""

    kind: str
    subject: str
    until: datetime


def key(kind: str, subject: str) -> tuple[str, str]:
    """The primary key of a counter (subjects are cut to the column's width)."""
    return kind, (subject or "")[:100]


def lock_in_force(session: Session, keys: list[tuple[str, str]], *, now: datetime) -> Lock | None:
    """The first lock among ``keys`` that holds at ``now``."""
    for kind, subject in keys:
        row = session.get(LoginThrottle, (kind, subject))
        if row is not None and row.locked_until is not None and row.locked_until > now:
            return Lock(kind, subject, row.locked_until)
    return None


def record_failure(session: Session, kind: str, subject: str, *, now: datetime) -> tuple[int, Lock | None]:
    """Count one wrong password; returns the count in the window and the lock it started, if any.

    The row is created with an upsert and then read ``FOR UPDATE``, so concurrent failures from two
    workers are both counted (PostgreSQL); SQLite serialises writers anyway.
    """
    # Counters whose window and lock are over are forgotten (names tried once by a guesser pile up).
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.window_start < now - WINDOW,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now)))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(kind=kind, subject=subject, failures=0,
                                                 window_start=now, locked_until=None)
                    .on_conflict_do_nothing())
    row = session.execute(select(LoginThrottle).where(LoginThrottle.kind == kind,
                                                      LoginThrottle.subject == subject)
                          .with_for_update().execution_options(populate_existing=True)).scalar_one()
    lock_over = row.locked_until is not None and row.locked_until <= now
    if lock_over or row.window_start <= now - WINDOW:
        row.failures, row.window_start, row.locked_until = 0, now, None
    row.failures += 1
    started = None
    if row.failures >= LIMITS[kind] and row.locked_until is None:
        row.locked_until = now + LOCKOUT
        started = Lock(kind, subject, row.locked_until)
    session.flush()
    return row.failures, started


def clear(session: Session, kind: str, subject: str) -> bool:
    """Forget a counter and its lock; True if there was one."""
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.kind == kind,
                                                         LoginThrottle.subject == subject))
    session.flush()
    return bool(result.rowcount)


def locks(session: Session, *, now: datetime, kind: str | None = None) -> list[Lock]:
    """Every lock in force at ``now`` (of one ``kind`` if given), soonest to end first."""
    query = select(LoginThrottle).where(LoginThrottle.locked_until > now)
    if kind:
        query = query.where(LoginThrottle.kind == kind)
    return [Lock(r.kind, r.subject, r.locked_until)
            for r in session.scalars(query.order_by(LoginThrottle.locked_until))]
