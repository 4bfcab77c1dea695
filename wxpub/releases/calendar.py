"""The release calendar of one account as a month or week grid (``/calendar``): read only.

``page(session, args, settings=, now=)`` reads the page's parameters (``account`` name or AppID,
``view`` month | week, ``month`` YYYY-MM, ``week`` YYYY-MM-DD, or the month chooser's ``year`` and
``mon``), a bad one being a ``ValidationError`` in Chinese naming it, and gives a ``CalendarPage``:
the grid from ``wxpub.core.plans.grid`` (holidays, blackouts, releases, 群发 quota, silent runs),
the account chooser, the previous / next / 今天 links and the account's liveness sentence.

Queries: the accounts, the releases of the months shown (one query, names joined), the releases
keeping the account alive just before and after them (one aggregate), the liveness status (two
aggregates) and the stored plans (blackouts, the office holiday file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Mapping

from sqlalchemy import and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from wxpub.core.errors import ValidationError
from wxpub.core.plans import grid as g
from wxpub.core.plans.calendar import OfficeHolidays, WorkdayCalendar
from wxpub.models import Account, Chapter, Release, Series
from wxpub.models.base import UTCDateTime
from wxpub.releases import liveness

MONTH, WEEK = "month", "week"
VIEWS = {MONTH: "月视图", WEEK: "周视图"}
ACCOUNT_TYPE_NAMES = {"subscription": "订阅号", "service": "服务号"}
YEARS_AROUND = 5  # the month chooser offers the shown year ± this many years


@dataclass
class CalendarPage:
    """Everything the calendar page shows."""

    view: str
    title: str
    grid: g.Grid
    accounts: list[dict]            # {"name", "appid", "type_name", "selected"}
    account: dict | None            # the shown account (None: the office has none yet)
    month: date                     # the month shown (week view: the week's month)
    monday: date | None             # week view: the Monday
    previous: dict | None           # query arguments of the links (None: out of range)
    following: dict | None
    today: dict
    switch: dict                    # the other view of the same days
    year_options: list[int]
    liveness_text: str = ""
    liveness_level: str = ""        # ok | warn | alarm | never
    legend: list[tuple[str, str]] = field(default_factory=g.legend)


def page(session: Session, args: Mapping[str, str], *, settings, now: datetime) -> CalendarPage:
    """The calendar page for the request's ``args`` (``ValidationError`` for a bad parameter)."""
    tz = settings.tz
    today = now.astimezone(tz).date()
    view, month, monday = _shown(args, today)
    accounts = list(session.scalars(select(Account).order_by(Account.id)))
    account = _chosen(accounts, (args.get("account") or "").strip())
    if view == WEEK:
        first, last = monday, monday + timedelta(days=6)
        in_range = (first, last)
    else:
        first, last = g.month_span(month)
        in_range = (month, g.next_month(month) - timedelta(days=1))
    warn, alarm = settings.silence_warn_days, settings.silence_alarm_days
    entries, before, after, blackouts = [], None, None, {}
    if account is not None:
        start, end = g.window(first, last)
        since, until = _midnight(start, tz), _midnight(end + timedelta(days=1), tz)
        entries = _entries(session, account.id, since, until)
        before, after = _alive_around(session, account.id, since, until, now)
        blackouts = _blackout_days(session, account.id)
    calendar = WorkdayCalendar(_office_holidays(session, settings))
    shown = g.build(first, last, in_range=in_range, entries=entries, today=today, now=now, tz=tz,
                    calendar=calendar, blackouts=blackouts,
                    account_type=account.account_type if account is not None else "subscription",
                    warn_days=warn, alarm_days=alarm,
                    last_alive_before=before.astimezone(tz).date() if before else None,
                    first_alive_after=after.astimezone(tz).date() if after else None,
                    reached=liveness.REACHED, waiting=liveness.WAITING)
    named = account is not None and (len(accounts) > 1 or bool(args.get("account")))
    base = {"account": account.name} if named else {}
    result = CalendarPage(
        view=view, title=_title(view, month, monday), grid=shown,
        accounts=[{"name": a.name, "appid": a.appid, "selected": a is account,
                   "type_name": ACCOUNT_TYPE_NAMES.get(a.account_type, a.account_type)} for a in accounts],
        account=None if account is None else {
            "name": account.name, "appid": account.appid, "type": account.account_type,
            "type_name": ACCOUNT_TYPE_NAMES.get(account.account_type, account.account_type)},
        month=month, monday=monday, today={**base, **({"view": WEEK} if view == WEEK else {})},
        previous=_link(base, view, month, monday, -1), following=_link(base, view, month, monday, 1),
        switch=_switch(base, view, month, monday, today), year_options=_years(month.year, today.year))
    if account is not None:
        state = liveness.status(session, now=now, warn_days=warn, alarm_days=alarm, account_id=account.id)
        result.liveness_text, result.liveness_level = state.describe(tz), state.level
    return result


def _shown(args: Mapping[str, str], today: date) -> tuple[str, date, date | None]:
    """``(view, the month, the week's Monday)`` from the parameters."""
    view = (args.get("view") or MONTH).strip()
    if view not in VIEWS:
        raise ValidationError(f"view（视图）只能是 month（月视图）或 week（周视图），而不是“{view[:20]}”")
    chosen = None  # the month chooser (year, mon) wins over the links' month / week
    if args.get("year") or args.get("mon"):
        chosen = g.parse_year_month(args.get("year"), args.get("mon"))
    if view == MONTH:
        if chosen is None:
            chosen = g.parse_month(args["month"]) if args.get("month") else today.replace(day=1)
        return view, chosen, None
    if chosen is None and args.get("week"):
        monday = g.parse_week(args.get("week"))
    else:
        if chosen is None and args.get("month"):
            chosen = g.parse_month(args["month"])
        if chosen is None or chosen == today.replace(day=1):
            monday = g.monday_of(today)
        else:
            monday = g.first_week(chosen)
    return view, (monday + timedelta(days=3)).replace(day=1), monday


def _chosen(accounts: list[Account], wanted: str) -> Account | None:
    """The account named (or with the AppID) ``wanted``; the first one when none is asked for."""
    if not wanted:
        return accounts[0] if accounts else None
    for account in accounts:
        if wanted in (account.name, account.appid):
            return account
    known = "、".join(a.name for a in accounts) or "还没有公众号（应用一份发布计划后出现）"
    raise ValidationError(f"account（公众号）：没有名为“{wanted[:40]}”的公众号（现有：{known}）")


def _midnight(day: date, tz) -> datetime:
    """The start of ``day`` in the office's timezone, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=tz)


def _entries(session: Session, account_id: int, start: datetime, end: datetime) -> list[g.Entry]:
    """The account's releases planned or published in ``[start, end)``: one query."""
    rows = session.execute(
        select(Release.id, Release.mode, Release.state, Release.scheduled_at, Release.published_at,
               Release.plan_key, Chapter.name, Series.name)
        .join(Chapter, Chapter.id == Release.chapter_id).join(Series, Series.id == Release.series_id)
        .where(Release.account_id == account_id,
               or_(and_(Release.scheduled_at >= start, Release.scheduled_at < end),
                   and_(Release.published_at >= start, Release.published_at < end)))).all()
    out = []
    for rid, mode, state, scheduled_at, published_at, plan_key, chapter, series in rows:
        at = published_at if state in liveness.REACHED and published_at is not None else scheduled_at
        out.append(g.Entry(rid, _label(chapter, plan_key), series, mode, state, at))
    return out


def _label(chapter: str, plan_key: str) -> str:
    """The chapter's name, with the installment when the plan splits it (``key#2`` → 名（2）)."""
    part = plan_key.rpartition("#")[2] if "#" in plan_key else ""
    return f"{chapter}（{part}）" if part.isdigit() else chapter


def _alive_around(session: Session, account_id: int, start: datetime, end: datetime,
                  now: datetime) -> tuple[datetime | None, datetime | None]:
    """When the last release keeping the account alive before ``start`` went (or goes) out, and
    when the first one after ``end`` does: one aggregate query."""
    reached = Release.state.in_(liveness.REACHED)
    waiting = and_(Release.state.in_(liveness.WAITING),
                   or_(Release.scheduled_at >= now, Release.state == "publishing"))

    def latest(condition, column):
        return func.max(type_coerce(case((condition, column)), UTCDateTime))

    def earliest(condition, column):
        return func.min(type_coerce(case((condition, column)), UTCDateTime))

    row = session.execute(
        select(latest(and_(reached, Release.published_at < start), Release.published_at),
               latest(and_(waiting, Release.scheduled_at < start), Release.scheduled_at),
               earliest(and_(reached, Release.published_at >= end), Release.published_at),
               earliest(and_(waiting, Release.scheduled_at >= end), Release.scheduled_at))
        .where(Release.account_id == account_id,
               or_(Release.published_at < start, Release.scheduled_at < start,
                   Release.published_at >= end, Release.scheduled_at >= end))).one()
    went, goes, after_went, after_goes = (_aware(v) for v in row)
    before = [t for t in (went, goes) if t is not None]
    after = [t for t in (after_went, after_goes) if t is not None]
    return (max(before) if before else None), (min(after) if after else None)


def _aware(value) -> datetime | None:
    """An aggregate's datetime, aware in UTC (SQLite returns the aggregate as text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, None)


def _blackout_days(session: Session, account_id: int) -> dict[date, str]:
    """The stored plans' blackout days of the account."""
    try:  # plans in the database arrive with wxpub.releases.plan_store (transition: until it exists)
        from wxpub.releases import plan_store
    except ImportError:
        return {}
    return plan_store.blackout_days(session, account_id=account_id)


def _office_holidays(session: Session, settings) -> OfficeHolidays | None:
    """The office holiday file(s) the stored plans name."""
    try:  # as above: only while wxpub.releases.plan_store does not exist yet
        from wxpub.releases import plan_store
    except ImportError:
        return None
    return plan_store.office_holidays(session, settings)


def _title(view: str, month: date, monday: date | None) -> str:
    if view == MONTH:
        return f"{month.year}年{month.month}月"
    sunday = monday + timedelta(days=6)
    end = f"{sunday.year}年{sunday.month}月{sunday.day}日" if sunday.year != monday.year \
        else f"{sunday.month}月{sunday.day}日"
    return f"{monday.year}年{monday.month}月{monday.day}日至{end}"


def _in_bounds(day: date) -> bool:
    return g.FIRST_YEAR <= day.year <= g.LAST_YEAR


def _link(base: dict, view: str, month: date, monday: date | None, step: int) -> dict | None:
    """The query arguments of the previous (-1) or next (+1) month or week, None out of range."""
    if view == MONTH:
        target = g.next_month(month) if step > 0 else g.previous_month(month)
        return {**base, "month": target.strftime("%Y-%m")} if _in_bounds(target) else None
    target = monday + timedelta(days=7 * step)
    return {**base, "view": WEEK, "week": target.isoformat()} if _in_bounds(target) else None


def _switch(base: dict, view: str, month: date, monday: date | None, today: date) -> dict:
    """The other view of the same time: the month's week containing today (or its first week),
    or the month of the shown week."""
    if view == MONTH:
        week = g.monday_of(today) if today.replace(day=1) == month else g.first_week(month)
        return {**base, "view": WEEK, "week": week.isoformat()}
    return {**base, "month": month.strftime("%Y-%m")}


def _years(shown: int, this: int) -> list[int]:
    low = max(g.FIRST_YEAR, min(shown, this) - YEARS_AROUND)
    high = min(g.LAST_YEAR, max(shown, this) + YEARS_AROUND)
    return list(range(low, high + 1))
