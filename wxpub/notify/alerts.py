"""Alerts for people: a log line and a message to each configured channel, once per root cause.

A root cause is a string key: account-wide problems (an expired AppSecret, the IP whitelist, a missing
permission, a used-up quota) use ``account:<errcode>`` so that ten releases hit by one expired secret
raise one alert; release-specific problems use ``release:<id>:<what>``. An open alert with the same
cause is updated (count, release ids) instead of sent again. The webhook is never called from here:
the first alert of a cause puts one message in the outbox, in the caller's transaction, and the
scheduler delivers it after that transaction committed (``wxpub.notify.outbox``).

The channels are the generic JSON webhook (``WXPUB_ALERT_WEBHOOK_URL``) and the group robots
(企业微信, 钉钉, 飞书: ``WXPUB_ALERT_*_URL``), one outbox row each; a row names only its channel
(``webhook``, ``robot:dingtalk`` …) — the address, with its access key, and the signing secret are
read from the settings when the row is delivered (``wxpub.notify.robots``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.models import Alert
from wxpub.notify import outbox, robots

log = logging.getLogger("wxpub.notify.alerts")

# errcodes that concern the whole account, not one article.
ACCOUNT_WIDE = {40001, 40013, 40125, 40164, 40243, 41002, 41004, 42001, 45009, 45028, 48001,
                48003, 48004, 50002, 50004, 50007, 89503, 89506, 89507}


def cause_for(errcode: int | None, release_id: int, what: str = "failed") -> str:
    """The root-cause key of a failure: account-wide errcodes share one key."""
    if errcode in ACCOUNT_WIDE:
        return f"account:{errcode}"
    return f"release:{release_id}:{what}"


def raise_alert(session: Session, *, cause: str, message: str, now: datetime,
                release_id: int | None = None, severity: str = "error",
                webhook_url: str = "", settings=None) -> Alert:
    """Record an alert (the first of its cause also goes to the outbox, one row per configured
    channel of ``settings``; without settings, to the generic webhook when ``webhook_url`` is set);
    flushes, the caller commits."""
    alert = session.scalar(select(Alert).where(Alert.cause == cause, Alert.resolved_at.is_(None)))
    if alert is not None:
        alert.count += 1
        alert.last_at = now
        if release_id is not None and release_id not in alert.release_ids:
            alert.release_ids = [*alert.release_ids, release_id]
        log.info("alert repeated (%s, %d times): %s", cause, alert.count, message)
        return alert
    alert = Alert(cause=cause, severity=severity, message=message, first_at=now, last_at=now,
                  release_ids=[release_id] if release_id is not None else [])
    session.add(alert)
    session.flush()
    log.error("ALERT [%s] %s", cause, message)
    targets = robots.channels(settings) if settings is not None else (["webhook"] if webhook_url else [])
    payload = {"cause": cause, "severity": severity, "message": message,
               "release_ids": alert.release_ids, "at": now.isoformat()}
    for target in targets:
        outbox.enqueue(session, kind="webhook" if target == "webhook" else "robot", target=target,
                       alert_id=alert.id, now=now, payload=dict(payload))
    return alert


def resolve(session: Session, cause: str, now: datetime) -> None:
    """Close the open alert of a cause (so a recurrence alerts again); the caller commits."""
    for alert in session.scalars(select(Alert).where(Alert.cause == cause,
                                                     Alert.resolved_at.is_(None))):
        alert.resolved_at = now
