"""The alert inbox: what staff see of the alerts (``wxpub.notify.alerts``) and do with them.

An alert is *open* until someone resolves it; a person may first *acknowledge* it ("I am on it"):
it stays open — a recurrence of its cause still only counts, nothing is sent again — and shows
under 已确认. Resolving it closes the root cause: the next occurrence alerts (and is sent) anew.

``acknowledge`` and ``resolve_alert`` are staff use cases: validate, write, an audit row, one
commit. Editors and approvers may do them (admins may do everything): ``ACT_ROLES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Alert, AuditEntry, Chapter, Release, User

ACT_ROLES = ("editor", "approver")
SHOWS = ("open", "acknowledged", "resolved")
SHOW_NAMES = {"open": "未处理", "acknowledged": "已确认", "resolved": "已解决"}
SEVERITY_NAMES = {"error": "严重", "warning": "提醒"}
PER_PAGE = 100


def show_of(alert: Alert) -> str:
    """Where the alert stands: open | acknowledged | resolved."""
    if alert.resolved_at is not None:
        return "resolved"
    return "acknowledged" if alert.acknowledged_at is not None else "open"


def parse_show(value: str | None, *, field: str = "state") -> str | None:
    """A filter value (open | acknowledged | resolved; empty: every alert), else ``ValidationError``."""
    value = (value or "").strip()
    if not value:
        return None
    if value not in SHOWS:
        raise ValidationError(f"参数 {field} 无效：{value[:20]!r}（可选 open 未处理、acknowledged 已确认、"
                              "resolved 已解决）")
    return value


def _where(query, show: str | None):
    if show == "open":
        return query.where(Alert.resolved_at.is_(None), Alert.acknowledged_at.is_(None))
    if show == "acknowledged":
        return query.where(Alert.resolved_at.is_(None), Alert.acknowledged_at.is_not(None))
    if show == "resolved":
        return query.where(Alert.resolved_at.is_not(None))
    return query


def listing(session: Session, show: str | None = None, *, limit: int = PER_PAGE) -> list[Alert]:
    """Alerts for the inbox: open ones first (serious before reminders, newest first), then the
    acknowledged, then the resolved (newest resolved first); ``show`` narrows to one kind."""
    rank = case((Alert.resolved_at.is_not(None), 2), (Alert.acknowledged_at.is_not(None), 1), else_=0)
    serious = case((Alert.severity == "error", 0), else_=1)
    query = _where(select(Alert), show).order_by(rank, serious, Alert.resolved_at.desc(),
                                                 Alert.last_at.desc(), Alert.id.desc())
    return list(session.scalars(query.limit(limit)))


def counts(session: Session) -> dict[str, int]:
    """How many alerts are open, acknowledged and resolved (one query)."""
    rows = session.execute(select(
        func.count(case((Alert.resolved_at.is_(None) & Alert.acknowledged_at.is_(None), 1))),
        func.count(case((Alert.resolved_at.is_(None) & Alert.acknowledged_at.is_not(None), 1))),
        func.count(case((Alert.resolved_at.is_not(None), 1))))).one()
    return dict(zip(SHOWS, (int(n or 0) for n in rows)))


@dataclass
class Affected:
    """A release an alert concerns, for a link: ``/releases/<id>``."""

    id: int
    chapter: str
    scheduled_at: datetime | None


def affected(session: Session, alerts: list[Alert]) -> dict[int, Affected]:
    """The releases the alerts name, by id (one query; a deleted release is left out)."""
    ids = {i for a in alerts for i in (a.release_ids or []) if isinstance(i, int)}
    if not ids:
        return {}
    rows = session.execute(select(Release.id, Chapter.name, Release.scheduled_at)
                           .join(Chapter, Release.chapter_id == Chapter.id).where(Release.id.in_(ids)))
    return {r.id: Affected(r.id, r.name, r.scheduled_at) for r in rows}


def people(session: Session, alerts: list[Alert]) -> dict[str, str]:
    """"王编辑（bianji）" for each username that acknowledged or resolved one of the alerts."""
    names = {n for a in alerts for n in (a.acknowledged_by, a.resolved_by) if n}
    if not names:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(names)))
    return {r.username: f"{r.display_name}（{r.username}）" if r.display_name else r.username for r in rows}


def get(session: Session, alert_id: int) -> Alert:
    """The alert with this id, or ``NotFound``."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"没有编号为 {alert_id} 的告警")
    return alert


def _audit(session: Session, alert: Alert, action: str, *, by: str, now: datetime) -> None:
    session.add(AuditEntry(at=now, actor=by[:100], action=action, object_type="alert",
                           object_id=str(alert.id),
                           detail={"cause": alert.cause, "severity": alert.severity, "count": alert.count,
                                   "message": alert.message[:200]}))


def acknowledge(session: Session, alert_id: int, *, by: str, now: datetime) -> Alert:
    """Someone has seen the alert and is on it: it stays open (a recurrence only counts)."""
    alert = get(session, alert_id)
    if alert.resolved_at is not None:
        raise Conflict(f"告警 {alert.id} 已解决，不需要再确认")
    if alert.acknowledged_at is not None:
        raise Conflict(f"告警 {alert.id} 已由 {alert.acknowledged_by} 确认过")

    def work():
        alert.acknowledged_at, alert.acknowledged_by = now, by[:100]
        _audit(session, alert, "alert.acknowledge", by=by, now=now)
        return alert

    return commit_or_roll_back(session, work)


def resolve_alert(session: Session, alert_id: int, *, by: str, now: datetime) -> Alert:
    """The cause is dealt with: the alert closes, and the next occurrence alerts again."""
    alert = get(session, alert_id)
    if alert.resolved_at is not None:
        raise Conflict(f"告警 {alert.id} 已经解决")

    def work():
        alert.resolved_at, alert.resolved_by = now, by[:100]
        _audit(session, alert, "alert.resolve", by=by, now=now)
        return alert

    return commit_or_roll_back(session, work)


def alert_dict(alert: Alert, tz) -> dict:
    """The alert as JSON (times ISO 8601, Beijing time)."""
    def iso(value):
        return value.astimezone(tz).isoformat() if value is not None else None
    show = show_of(alert)
    return {"id": alert.id, "cause": alert.cause, "severity": alert.severity,
            "severity_name": SEVERITY_NAMES.get(alert.severity, alert.severity), "message": alert.message,
            "state": show, "state_name": SHOW_NAMES[show], "count": alert.count,
            "first_at": iso(alert.first_at), "last_at": iso(alert.last_at),
            "release_ids": list(alert.release_ids or []), "sent": alert.sent,
            "acknowledged_at": iso(alert.acknowledged_at), "acknowledged_by": alert.acknowledged_by,
            "resolved_at": iso(alert.resolved_at), "resolved_by": alert.resolved_by,
            "rid": alert.rid}  # WeChat's request id of the failure behind it (诊断), or None
