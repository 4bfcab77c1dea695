"""The transactional outbox: side effects that leave the process are rows first, calls later.

``enqueue`` adds a row inside the caller's transaction (flush only): if that transaction rolls back
— a lost lease, a validation error — the row is gone and nothing is ever sent. ``deliver_due`` (a
periodic job of the scheduler) claims committed rows, closes its transaction, makes the HTTP calls
with no lease or transaction held, then records each result. Delivery is at least once: a
deliverer killed between the call and the record sends that row again after its claim expires.
Rows of kind ``phone_preview`` are handed to ``wxpub.editorial.phone_preview.deliver_claimed``, rows
of kind ``comment_action`` to ``wxpub.comments.actions.deliver_claimed``;
alert rows (kind ``webhook`` or ``robot``) name their channel as target and ``wxpub.notify.robots``
resolves its address and secret from the settings at delivery time, so no key is ever stored here.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

import requests
from sqlalchemy import or_, select, update

from wxpub.models import Alert, OutboxMessage
from wxpub.notify import robots

log = logging.getLogger("wxpub.notify.outbox")
CLAIM = timedelta(seconds=60)
MAX_ATTEMPTS = 8
BATCH = 20


def enqueue(session, *, kind: str, target: str, payload: dict, now: datetime,
            alert_id: int | None = None) -> OutboxMessage:
    """Add a message to send after the caller's transaction commits (the caller commits)."""
    row = OutboxMessage(kind=kind, target=target, payload=payload, alert_id=alert_id, created_at=now,
                        next_try_at=now)
    session.add(row)
    session.flush()
    return row


def deliver_due(rt, *, worker: str, limit: int = BATCH, http: requests.Session | None = None) -> int:
    """Send the committed messages that are due; returns how many were delivered."""
    claimed = _claim(rt, worker, limit)
    delivered = 0
    for row_id, kind, target, payload in claimed:
        if kind == "phone_preview":  # a WeChat call that records its own outcome
            from wxpub.editorial import phone_preview
            delivered += phone_preview.deliver_claimed(rt, row_id, worker)
            continue
        if kind == "comment_action":  # a change to readers' comments (留言), recorded by its own module
            from wxpub.comments import actions
            delivered += actions.deliver_claimed(rt, row_id, worker)
            continue
        error = _send(kind, target, payload, http, rt.settings)  # no transaction is open here
        delivered += _record(rt, row_id, worker, error)
    return delivered


def _claim(rt, worker: str, limit: int) -> list[tuple]:
    now = rt.clock.now()
    with rt.db.session() as session:
        ids = list(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.delivered_at.is_(None), OutboxMessage.gave_up_at.is_(None),
            OutboxMessage.next_try_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
            .order_by(OutboxMessage.id).limit(limit)))
        mine = []
        for row_id in ids:
            # A conditional UPDATE: of two deliverers racing for a row, exactly one wins it.
            result = session.execute(update(OutboxMessage).where(
                OutboxMessage.id == row_id, OutboxMessage.delivered_at.is_(None),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
                .values(claimed_by=worker, claimed_until=now + CLAIM)
                .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                mine.append(row_id)
        session.commit()
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(mine))
                               .order_by(OutboxMessage.id)).all() if mine else []
        return [(r.id, r.kind, r.target, dict(r.payload)) for r in rows]


def _send(kind: str, target: str, payload: dict, http, settings) -> str | None:
    """Make the call; None when the receiver accepted it, else a short reason (never a secret)."""
    if kind not in ("webhook", "robot"):
        return f"unknown outbox kind {kind!r}"
    return robots.send(target, payload, settings, http)


def _record(rt, row_id: int, worker: str, error: str | None) -> int:
    now = rt.clock.now()
    with rt.db.session() as session:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.claimed_by != worker:
            return 0
        row.attempts += 1
        row.claimed_by = row.claimed_until = None
        if error is None:
            row.delivered_at = now
            if row.alert_id is not None:
                alert = session.get(Alert, row.alert_id)
                if alert is not None:
                    alert.sent = True
        else:
            row.last_error = error[:500]
            if row.attempts >= MAX_ATTEMPTS:
                row.gave_up_at = now
                log.error("outbox %s: giving up after %d attempts: %s", row_id, row.attempts, error)
            else:
                delay = random.uniform(0.5, 1.0) * min(3600, 5 * 2 ** row.attempts)
                row.next_try_at = now + timedelta(seconds=delay)
                log.warning("outbox %s: delivery failed (%s); next try in %.0f s", row_id, error, delay)
        session.commit()
        return 1 if error is None else 0
