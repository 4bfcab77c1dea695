"""Claiming due publishing work in batches, so that several scheduler processes share a burst.

Three kinds of work, each a query over ``releases``:

* ``FIRE`` — due now and not yet submitted: an approved release at its time (prepared or not), a
  publishing one whose run died or whose retry is due;
* ``VERDICT`` — submitted, waiting for WeChat's verdict, and its next question is due (the callback
  may settle it first; then it is no longer ``publishing`` and drops out);
* ``PREPARE`` — approved, due within ``prepare_ahead``, not yet drafted, not in a preparation backoff.

One statement claims a batch: ``UPDATE releases SET lease… WHERE id IN (SELECT … LIMIT n FOR UPDATE
SKIP LOCKED) RETURNING id, account_id``. On PostgreSQL the rows another scheduler is claiming at the
same moment are skipped, not waited for, and a row claimed and committed meanwhile is re-checked
against the conditions after its lock is taken, so no release is claimed twice. SQLite has no row
locks (``FOR UPDATE`` is not rendered): its single writer makes the statement atomic, which is all one
scheduler needs. Leases held by a dead process of this machine (``kill -9``) are freed at once by
``free_dead_leases``; those of another machine expire after ``lease_seconds``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from wxpub.core.release_states import State, Step
from wxpub.models import Release
from wxpub.publishing.leases import owner_dead


class Work(enum.Enum):
    """What a claimed release is to be taken up for."""

    FIRE = "fire"
    VERDICT = "verdict"
    PREPARE = "prepare"


@dataclass(frozen=True)
class Claimed:
    """One claimed release: its id, its account (for the per-account bound) and the work."""

    release_id: int
    account_id: int
    work: Work
    owner: str


def _due(now: datetime):
    return or_(Release.next_try_at.is_(None), Release.next_try_at <= now)


def _free(now: datetime):
    return or_(Release.lease_until.is_(None), Release.lease_until < now)


def conditions(work: Work, now: datetime, *, ahead: timedelta = timedelta(0)):
    """The WHERE clause of one kind of work at ``now``."""
    if work is Work.FIRE:
        return and_(Release.state.in_((State.APPROVED.value, State.PUBLISHING.value)),
                    Release.step != Step.SUBMITTED.value, Release.scheduled_at <= now, _due(now), _free(now))
    if work is Work.VERDICT:
        return and_(Release.state == State.PUBLISHING.value, Release.step == Step.SUBMITTED.value,
                    _due(now), _free(now))
    return and_(Release.state == State.APPROVED.value, Release.scheduled_at > now,
                Release.scheduled_at <= now + ahead, Release.step != Step.DRAFTED.value,
                or_(Release.prepare_after.is_(None), Release.prepare_after <= now), _free(now))


def claim_batch(session: Session, work: Work, *, owner: str, now: datetime, limit: int,
                lease: timedelta, ahead: timedelta = timedelta(0)) -> list[Claimed]:
    """Claim up to ``limit`` releases of one kind of work for ``owner`` and commit the claim.

    Ordered by planned time; among releases due at the same time the order is spread over the
    accounts (a multiplicative hash of the id), because a plan's releases have consecutive ids and a
    batch of one account's releases would wait behind its per-account bound while other accounts idle.
    """
    spread = (Release.id * 40503) % 65536
    chosen = (select(Release.id).where(conditions(work, now, ahead=ahead))
              .order_by(Release.scheduled_at, spread, Release.id).limit(limit)
              .with_for_update(skip_locked=True))
    rows = session.execute(
        update(Release).where(Release.id.in_(chosen.scalar_subquery()))
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(Release.id, Release.account_id)
        .execution_options(synchronize_session=False)).all()
    session.commit()
    return [Claimed(release_id, account_id, work, owner) for release_id, account_id in rows]


def free_dead_leases(session: Session, now: datetime) -> int:
    """Free the leases held by processes of this machine that no longer exist; returns how many."""
    owners = session.scalars(select(Release.lease_owner).where(
        Release.lease_owner.is_not(None), Release.lease_until >= now,
        Release.state.in_((State.APPROVED.value, State.PUBLISHING.value))).distinct()).all()
    freed = 0
    for owner in owners:
        if owner_dead(owner):
            freed += session.execute(
                update(Release).where(Release.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)).rowcount or 0
    session.commit()
    return freed
