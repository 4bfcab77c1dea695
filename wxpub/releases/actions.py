"""Staff actions on one release: cancel, retry, hold, resume, reschedule. Each is one use case:
validate, write (state moves only through ``wxpub.releases.transitions``), an audit row with the
staff actor, one commit (``wxpub.infra.db.commit_or_roll_back``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, ValidationError
from wxpub.core.plans.calendar import NONE, WorkdayCalendar
from wxpub.core.plans.validate import BEIJING, SERVICE_MONTHLY_MASS_SENDS, SUBSCRIPTION_DAILY_MASS_SENDS
from wxpub.core.release_states import FROZEN, State, Step, allowed, state_name
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Account, AuditEntry, Release
from wxpub.notify import alerts
from wxpub.releases import transitions
from wxpub.releases.queries import approval_valid, get

LOCAL_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
WEEKDAYS = "一二三四五六日"


def _audit(session: Session, release: Release, action: str, *, by: str, now: datetime, **detail) -> None:
    session.add(AuditEntry(at=now, actor=by, action=action, object_type="release",
                           object_id=str(release.id), detail=detail))


def _not_running(release: Release, now: datetime, verb: str) -> None:
    """Refuse while a publisher holds the release, or once WeChat has it."""
    if release.state == State.PUBLISHING and release.step == Step.SUBMITTED:
        raise Conflict(f"发布 {release.id} 已提交微信，不能{verb}，请等待结果或在公众号后台处理")
    if release.lease_until is not None and release.lease_until > now:
        raise Conflict(f"发布 {release.id} 正在发布中，请稍后再试")


def cancel(session: Session, release_id: int, *, by: str, now: datetime) -> Release:
    """Cancel a release that has not been submitted to WeChat."""
    release = get(session, release_id)
    if release.state == State.PUBLISHED:
        raise Conflict(f"发布 {release.id} 已发布，不能取消（如需撤回请在公众号后台删除文章）")
    if release.state == State.CANCELED:
        raise Conflict(f"发布 {release.id} 已经取消")
    if release.state == getattr(State, "MANUAL", None):
        raise Conflict(f"发布 {release.id} 已记录为人工发布，不能取消", code="bad_transition")
    _not_running(release, now, "取消")
    was = release.state

    def work():
        transitions.cancel(session, release, reason="工作人员取消", actor=by, now=now)
        _audit(session, release, "release.cancel", by=by, now=now, **{"from": state_name(was)})
        return release

    return commit_or_roll_back(session, work)


def retry(session: Session, release_id: int, *, by: str, now: datetime) -> Release:
    """Send a held or failed release again now (it still needs a valid approval)."""
    release = get(session, release_id)
    if release.state not in (State.HELD, State.FAILED):
        raise Conflict(f"只有“已暂停”或“失败”的发布可以重试，发布 {release.id} 为“{state_name(release.state)}”")
    if not approval_valid(session, release):
        raise Conflict(f"发布 {release.id} 的内容没有有效审批，请先审批当前版本")
    was = release.state

    def work():
        # A failed job's draft and ids are spent: start the submission over with a fresh draft.
        transitions.rearm(session, release, approved=True, reason="工作人员重试", actor=by, now=now,
                          fresh_submission=release.state == State.FAILED)
        release.next_try_at, release.attempts = now, 0
        release.lease_owner = release.lease_until = None
        _audit(session, release, "release.retry", by=by, now=now, **{"from": state_name(was)})
        return release

    return commit_or_roll_back(session, work)


def hold(session: Session, release_id: int, *, by: str, now: datetime, reason: str = "") -> Release:
    """Stop an approved (or not yet submitted) release: nothing is sent until someone resumes,
    reschedules or retries it."""
    release = get(session, release_id)
    if release.state == State.HELD:
        raise Conflict(f"发布 {release.id} 已经暂停")
    if release.state not in (State.APPROVED, State.PUBLISHING) or not allowed(release.state, State.HELD):
        raise Conflict(f"发布 {release.id} 为“{state_name(release.state)}”，不能暂停"
                       "（只有已审批待发、尚未提交微信的发布可以暂停）", code="bad_transition")
    _not_running(release, now, "暂停")
    why = f"工作人员暂停：{reason.strip()}" if reason.strip() else "工作人员暂停"
    was = release.state

    def work():
        transitions.pause(session, release, reason=why[:500], actor=by, now=now)
        _audit(session, release, "release.hold", by=by, now=now, reason=reason.strip()[:500],
               **{"from": state_name(was)})
        return release

    return commit_or_roll_back(session, work)


def resume(session: Session, release_id: int, *, by: str, now: datetime) -> Release:
    """Put a held release back on its schedule: approved when its approval still holds, else
    waiting for one. Its planned time must still be ahead (else reschedule it, or retry now)."""
    release = get(session, release_id)
    if release.state != State.HELD:
        raise Conflict(f"只有“已暂停”的发布可以恢复，发布 {release.id} 为“{state_name(release.state)}”",
                       code="bad_transition")
    if release.scheduled_at <= now:
        raise Conflict(f"发布 {release.id} 的计划时间 {release.scheduled_at.astimezone(BEIJING):%Y-%m-%d %H:%M} "
                       "已过：请改期，或立即重试", code="past")
    approved = approval_valid(session, release)

    def work():
        transitions.rearm(session, release, approved=approved, reason="工作人员恢复", actor=by, now=now)
        release.attempts = 0
        release.lease_owner = release.lease_until = None
        alerts.resolve(session, f"release:{release.id}:held", now)
        _audit(session, release, "release.resume", by=by, now=now, to=state_name(release.state))
        return release

    return commit_or_roll_back(session, work)


def reschedule(session: Session, release_id: int, *, at: datetime, by: str, now: datetime,
               settings) -> Release:
    """Move a release to ``at``, checked as a plan would be: not in the past, the account's mass-send
    quota (subscription: one a Beijing day; service: four a month). A planned or approved release
    keeps its state (and approval); a held, failed or canceled one goes back into the schedule."""
    if at.tzinfo is None:
        raise ValidationError("at（发布时间）须带时区", code="invalid")
    release = get(session, release_id)
    if at <= now:
        raise ValidationError(f"at：新的发布时间 {at.astimezone(BEIJING):%Y-%m-%d %H:%M} 已经过去"
                              f"（现在是 {now.astimezone(BEIJING):%Y-%m-%d %H:%M}）", code="past")
    if release.state in FROZEN:
        raise Conflict(f"发布 {release.id} 为“{state_name(release.state)}”，不能改期", code="bad_transition")
    _not_running(release, now, "改期")
    _check_blackout(session, release, at)
    _check_quota(session, release, at)
    was, before = release.state, release.scheduled_at
    rearm = release.state in (State.HELD, State.FAILED, State.CANCELED)
    approved = rearm and approval_valid(session, release)
    notes = day_notes(at, getattr(settings, "tz", BEIJING))

    def work():
        release.scheduled_at, release.updated_at, release.time_set_by = at, now, by
        release.next_try_at, release.attempts = None, 0
        release.lease_owner = release.lease_until = None
        if rearm:
            transitions.rearm(session, release, approved=approved, reason="工作人员改期", actor=by,
                              now=now, fresh_submission=was == State.FAILED)
            alerts.resolve(session, f"release:{release.id}:held", now)
        _audit(session, release, "release.reschedule", by=by, now=now,
               before=before.astimezone(BEIJING).isoformat(), after=at.astimezone(BEIJING).isoformat(),
               state_before=state_name(was), state_after=state_name(release.state), notes=notes)
        return release

    return commit_or_roll_back(session, work)


def _check_blackout(session: Session, release: Release, at: datetime) -> None:
    """A blackout day of the account's stored plans is refused, as the plan itself would move it."""
    from wxpub.releases import plan_store
    local = at.astimezone(BEIJING)
    note = plan_store.blackout_days(session, account_id=release.account_id).get(local.date())
    if note is not None:
        raise Conflict(f"北京时间 {local:%Y-%m-%d} 是发布计划规定的停发日（{note}），请换一天", code="blackout")


def _check_quota(session: Session, release: Release, at: datetime) -> None:
    """The 群发 quota, counted in Beijing time across the account's other live mass sends."""
    if release.mode != "mass_send":
        return
    account = session.get(Account, release.account_id)
    others = session.scalars(select(Release).where(
        Release.account_id == release.account_id, Release.mode == "mass_send", Release.id != release.id,
        Release.state.not_in([State.CANCELED.value, State.FAILED.value]))).all()
    local = at.astimezone(BEIJING)
    if account is not None and account.account_type == "service":
        month = [r for r in others if r.scheduled_at.astimezone(BEIJING).strftime("%Y-%m") == f"{local:%Y-%m}"]
        if len(month) + 1 > SERVICE_MONTHLY_MASS_SENDS:
            raise Conflict(f"{local.year}年{local.month}月已有 {len(month)} 次群发：服务号每位粉丝每月最多收到 "
                           f"{SERVICE_MONTHLY_MASS_SENDS} 次，超出的粉丝收不到", code="mass_monthly")
        return
    same_day = [r for r in others if r.scheduled_at.astimezone(BEIJING).date() == local.date()]
    if len(same_day) + 1 > SUBSCRIPTION_DAILY_MASS_SENDS:
        ids = "、".join(str(r.id) for r in same_day)
        raise Conflict(f"北京时间 {local:%Y-%m-%d} 已有群发（发布 {ids}）：订阅号每天只能群发 1 次",
                       code="mass_daily")


def day_notes(at: datetime, tz=BEIJING) -> list[str]:
    """Warnings about the day of ``at`` (holiday, weekend, beyond the holiday data), in Chinese."""
    local = at.astimezone(tz)
    info = WorkdayCalendar().day(local.date())
    when = f"{local:%Y-%m-%d %H:%M} 周{WEEKDAYS[local.weekday()]}"
    if info.source == NONE:
        return [f"{when}：{local.year} 年超出节假日数据范围，无法核对当天是否为节假日或调休"]
    if info.holiday:
        return [f"{when} 是{info.holiday}假期"]
    if info.weekend and not info.workday:
        return [f"{when} 是周末"]
    return []


def parse_at(text, *, field: str = "at", tz=BEIJING) -> datetime:
    """A staff-given time: ISO 8601 with its offset, or Beijing local ``YYYY-MM-DD HH:MM``;
    anything else (a naive ISO time included) is a ``ValidationError`` naming ``field``."""
    if text is None or (isinstance(text, str) and not text.strip()):
        raise ValidationError(f"缺少 {field}（发布时间）")
    if not isinstance(text, str):
        raise ValidationError(f"{field}（发布时间）应为字符串，如“2026-03-05 09:00”")
    value = text.strip()
    if LOCAL_MINUTE.fullmatch(value):
        try:
            return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=tz)
        except ValueError:
            raise ValidationError(f"{field}：“{value}”不是有效的日期时间") from None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{field}：“{value}”不是有效的时间，请写 ISO 8601（带时区，如 "
                              "2026-03-05T09:00:00+08:00）或北京时间“YYYY-MM-DD HH:MM”") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValidationError(f"{field}：“{value}”没有时区，请加上时区（如 +08:00），"
                              "或写北京时间“YYYY-MM-DD HH:MM”")
    if abs(parsed.utcoffset()) > timedelta(hours=14):
        raise ValidationError(f"{field}：时区偏移无效")
    return parsed
