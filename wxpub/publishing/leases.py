"""Leases on releases: one run of one worker at a time, taken over at once from a dead local worker.

A lease is taken by an atomic conditional UPDATE (the same on SQLite and PostgreSQL), renewed by every
guarded commit of the pipeline, and identified by ``host:pid:run`` so that a restarted scheduler on the
same machine can tell that the previous owner was killed.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from wxpub.models import Release

log = logging.getLogger("wxpub.publishing.leases")
LEASE = timedelta(seconds=120)  # the default of WXPUB_LEASE_SECONDS


def crashpoint(name: str) -> None:
    """Die like ``kill -9`` here when ``WXPUB_CRASH_AT`` names this point (fault injection for the
    crash tests and for staff drills; unset in production, where this does nothing)."""
    if os.environ.get("WXPUB_CRASH_AT") == name:
        log.warning("crash point %s reached: killing this process", name)
        os.kill(os.getpid(), signal.SIGKILL)


def claim(session: Session, release_id: int, worker: str, now: datetime, *,
          ahead: timedelta = timedelta(0), lease: timedelta = LEASE) -> bool:
    """Take the release's lease if it is due (within ``ahead``, for preparing) and free, or held by
    a dead local worker."""
    due = (Release.scheduled_at <= now + ahead) & ((Release.next_try_at.is_(None)) | (Release.next_try_at <= now))
    free = (Release.lease_until.is_(None)) | (Release.lease_until < now) | (Release.lease_owner == worker)
    result = session.execute(
        update(Release).where(Release.id == release_id, Release.state.in_(("approved", "publishing")),
                              due, free)
        .values(lease_owner=worker, lease_until=now + lease).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        row = session.get(Release, release_id)
        if row is None or row.lease_owner is None or not owner_dead(row.lease_owner) \
                or row.state not in ("approved", "publishing"):
            session.rollback()
            return False
        # The lease belongs to a process of this machine that no longer exists (kill -9): take over.
        result = session.execute(
            update(Release).where(Release.id == release_id, Release.lease_owner == row.lease_owner, due)
            .values(lease_owner=worker, lease_until=now + lease).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            session.rollback()
            return False
    session.commit()
    return True


def owner_dead(owner: str) -> bool:
    """True when ``owner`` (``host:pid:run``) is a process of this machine that no longer exists."""
    host, _, rest = owner.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def release_lease(session: Session, release_id: int, worker: str) -> None:
    """Give the lease back (only if we still hold it)."""
    session.execute(update(Release).where(Release.id == release_id, Release.lease_owner == worker)
                    .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False))
    session.commit()
