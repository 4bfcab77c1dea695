"""Keeping the account alive: government new-media inspections fail an account that goes two weeks
without an update (some localities: 10 days). How long since the account last published, whether
the next planned release comes before the deadline, and an alert once per silence.

``WXPUB_SILENCE_WARN_DAYS`` (default 10) gives a warning, ``WXPUB_SILENCE_ALARM_DAYS`` (default 14) an
alarm. ``check`` is the scheduler's periodic job: it raises the alert of the level reached (one per
root cause: the cause key carries the date of the last publication) and resolves it once the account
publishes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wxpub.accounts import registry
from wxpub.core.release_states import State
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Alert, Release
from wxpub.notify import alerts

CAUSE = "account:silence"
# States in which the account's readers got the article (人工发布 counts when it exists).
REACHED = tuple(s for s in ("published", "manual") if s in {m.value for m in State})
WAITING = (State.PLANNED.value, State.APPROVED.value, State.PUBLISHING.value)


@dataclass
class Liveness:
    """Where the account stands against the silence rule."""

    last_at: datetime | None
    days: int | None            # whole days since the last publication (None: never published)
    level: str                  # ok | warn | alarm | never
    next_at: datetime | None    # the next release still to go out
    deadline: datetime | None   # last publication + the alarm days
    warn_days: int
    alarm_days: int

    @property
    def next_in_time(self) -> bool:
        """True when the next planned release goes out before the alarm deadline."""
        return (self.next_at is not None and self.deadline is not None and self.next_at <= self.deadline)

    def describe(self, tz) -> str:
        """The state in a sentence, for pages, commands and alerts."""
        if self.last_at is None:
            return "本账号还没有通过本系统发布过文章"
        when = self.last_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        text = f"距上次发布（{when}）已 {self.days} 天"
        if self.level == "alarm":
            text += f"，已达到 {self.alarm_days} 天不更新的检查红线，请尽快发布"
        elif self.level == "warn":
            text += f"，{self.alarm_days} 天不更新将被通报（提醒线 {self.warn_days} 天）"
        if self.next_at is not None:
            text += f"；下一次计划发布：{self.next_at.astimezone(tz).strftime('%Y-%m-%d %H:%M')}"
            if self.deadline is not None and not self.next_in_time:
                text += f"（晚于 {self.deadline.astimezone(tz).strftime('%m-%d')} 的期限）"
        elif self.level != "ok":
            text += "；没有已排期的发布"
        return text


def status(session: Session, *, now: datetime, warn_days: int, alarm_days: int,
           account_id: int | None = None) -> Liveness:
    """How long the account (or every account) has gone without publishing."""
    reached = select(func.max(Release.published_at)).where(Release.state.in_(REACHED))
    waiting = select(func.min(Release.scheduled_at)).where(Release.state.in_(WAITING),
                                                             Release.scheduled_at >= now)
    if account_id is not None:
        reached = reached.where(Release.account_id == account_id)
        waiting = waiting.where(Release.account_id == account_id)
    last_at, next_at = session.scalar(reached), session.scalar(waiting)
    if last_at is None:
        return Liveness(None, None, "never", next_at, None, warn_days, alarm_days)
    days = (now - last_at) // timedelta(days=1)
    level = "alarm" if days >= alarm_days else "warn" if days >= warn_days else "ok"
    return Liveness(last_at, days, level, next_at, last_at + timedelta(days=alarm_days),
                    warn_days, alarm_days)


def check(rt) -> Liveness:
    """The periodic job: for each enabled account, raise its silence alert of the level reached,
    resolve it after a publication; one commit. Returns the environment's account's state."""
    settings, now = rt.settings, rt.clock.now()
    with rt.db.session() as session:
        def work():
            default = registry.default_account(session, settings)
            accounts = registry.enabled(session)
            states = {account.id: _check_account(session, settings, account, now, named=len(accounts) > 1,
                                                 legacy=account.id == default.id)
                      for account in accounts}
            return states.get(default.id) or status(session, now=now, warn_days=settings.silence_warn_days,
                                                    alarm_days=settings.silence_alarm_days)
        return commit_or_roll_back(session, work)


def _check_account(session: Session, settings, account, now: datetime, *, named: bool,
                   legacy: bool) -> Liveness:
    state = status(session, now=now, warn_days=settings.silence_warn_days,
                   alarm_days=settings.silence_alarm_days, account_id=account.id)
    mine = Alert.account_id == account.id
    if legacy:  # alerts raised before accounts were kept apart belong to the first account
        mine = or_(mine, Alert.account_id.is_(None))
    open_alerts = list(session.scalars(select(Alert).where(Alert.cause.like(f"{CAUSE}:%"),
                                                           Alert.resolved_at.is_(None), mine)))
    if state.level in ("warn", "alarm"):
        cause = f"{CAUSE}:{state.last_at.date().isoformat()}:{state.level}"
        for alert in open_alerts:
            if alert.cause != cause:
                alert.resolved_at, alert.resolved_by = now, alerts.SYSTEM
            elif alert.account_id is None:
                alert.account_id = account.id  # from before accounts were kept apart: adopted
        text = state.describe(settings.tz)
        alerts.raise_alert(session, cause=cause, message=f"公众号“{account.name}”：{text}" if named else text,
                           now=now, severity="error" if state.level == "alarm" else "warning",
                           webhook_url=settings.alert_webhook_url, settings=settings, account_id=account.id)
    else:
        for alert in open_alerts:
            alert.resolved_at, alert.resolved_by = now, alerts.SYSTEM
    return state
