"""The release calendar as a month or week grid: pure (no database, no clock reads, time passed in).

``build`` takes the releases of a window around the shown days (``Entry``), the holiday calendar,
the blackout days, the 群发 quota rule of the account type and the silence thresholds, and gives
one ``Day`` per shown day with everything a person needs to read off it:

* its date, weekday, weekend, 法定节假日 name or 调休上班 mark, and a blackout note;
* the releases that day (Beijing time, 发布 / 群发, the state's Chinese name);
* the 群发 quota: a subscription account may mass-send once a Beijing day, a service account's
  followers receive at most four a calendar month (``validate.SERVICE_MONTHLY_MASS_SENDS``);
* silence: the days since the last release that keeps the account alive (one that went out, or
  one still planned to go out). A run of days without one is 预警 when it reaches ``warn_days``
  and 告警 when it reaches ``alarm_days`` — counted from the release before the run. A run with
  nothing planned after it (the silence that starts with the last publication) is flagged from
  the day its count reaches each threshold.

``parse_month`` / ``parse_week`` read the page's ``month`` and ``week`` parameters with Chinese errors.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable

from wxpub.core.errors import ValidationError
from wxpub.core.plans.calendar import NONE, OFFICE, WEEKDAYS_ZH, WorkdayCalendar
from wxpub.core.plans.validate import SERVICE_MONTHLY_MASS_SENDS, SUBSCRIPTION_DAILY_MASS_SENDS
from wxpub.core.release_states import STATE_NAMES, State, mode_name, state_name

FIRST_YEAR, LAST_YEAR = 2014, 2100  # the same range as the dashboard's month parameter
# Mass sends that do not use the quota: they never reached anyone.
QUOTA_FREE = frozenset({State.CANCELED.value, State.FAILED.value})
MASS_SEND = "mass_send"
WARN, ALARM = "warn", "alarm"
LEVEL_NAMES = {WARN: "预警", ALARM: "告警"}
# The legend's order: the way a release goes, then what needs a person.
LEGEND_ORDER = (State.PLANNED, State.APPROVED, State.PUBLISHING, State.PUBLISHED, State.MANUAL,
                State.HELD, State.FAILED, State.CANCELED)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass(frozen=True)
class Entry:
    """One release as the grid needs it; ``at`` is when it went out (published_at) or is planned."""

    id: int
    label: str
    series: str
    mode: str
    state: str
    at: datetime


@dataclass(frozen=True)
class Item:
    """A release shown on a day."""

    id: int
    label: str
    series: str
    time: str        # HH:MM in the office's timezone
    iso: str         # the same instant, ISO 8601 with its offset (for <time datetime>)
    mode: str
    mode_name: str
    state: str
    state_name: str
    overdue: bool = False  # still waiting although its time has passed (it never went out)


@dataclass
class Day:
    """One shown day."""

    day: date
    weekday: str                 # 周一 … 周日
    in_range: bool               # inside the shown month (month view) or week
    today: bool
    weekend: bool
    workday: bool
    holiday: str                 # 国庆节 … ("" when not a holiday)
    adjusted_workday: bool       # 调休上班
    source: str                  # package | office | none (where the holiday facts come from)
    blackout: str = ""           # the plan's note for a blackout day ("" when not one)
    items: list[Item] = field(default_factory=list)
    mass_used: int = 0           # 群发 that day
    mass_left: int | None = None  # subscription accounts: what is left of the day's one
    silence: int | None = None   # days since the last release that keeps the account alive
    level: str = ""              # warn | alarm: this day's own count reached the threshold
    gap_level: str = ""          # warn | alarm: the run of silent days this day lies in reaches it
    threshold: bool = False      # the silence reaches the warning or the alarm on this very day
    run_start: bool = False      # the first shown day of a flagged silent run

    @property
    def level_name(self) -> str:
        """预警 / 告警 for this day, "" otherwise."""
        return LEVEL_NAMES.get(self.level, "")

    @property
    def gap_level_name(self) -> str:
        """预警 / 告警 for the silent run this day lies in, "" otherwise."""
        return LEVEL_NAMES.get(self.gap_level, "")

    @property
    def notable(self) -> bool:
        """Worth a line in the phone list: releases, a holiday or 调休, a blackout, today, or the
        day a silence reaches a threshold (and the first shown day of a flagged silence)."""
        return bool(self.items or self.holiday or self.adjusted_workday or self.blackout or self.today
                    or self.threshold or self.run_start)


@dataclass
class Quota:
    """The 群发 quota of one calendar month (service accounts count by month)."""

    month: date      # its first day
    used: int
    limit: int

    @property
    def left(self) -> int:
        """Sends left (never negative)."""
        return max(0, self.limit - self.used)

    @property
    def over(self) -> bool:
        """More sends than followers will receive."""
        return self.used > self.limit


@dataclass
class Grid:
    """What the page shows: weeks of days, the quota, notes about the holiday data."""

    first: date
    last: date
    weeks: list[list[Day]]
    account_type: str
    quotas: list[Quota]          # service accounts: the months shown
    notes: list[str]
    warn_days: int
    alarm_days: int

    @property
    def days(self) -> list[Day]:
        """Every shown day in order."""
        return [d for week in self.weeks for d in week]


def legend() -> list[tuple[str, str]]:
    """``(state, Chinese name)`` in the legend's order."""
    return [(s.value, STATE_NAMES[s]) for s in LEGEND_ORDER]


def parse_month(raw: str | None, *, field_name: str = "month") -> date:
    """``YYYY-MM`` → its first day; ``ValidationError`` naming the parameter otherwise."""
    text = (raw or "").strip()
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(f"{field_name}（月份）应写成 YYYY-MM，例如 2026-10，而不是“{text[:20]}”")
    year = int(match.group(1))
    _check_year(year, text, field_name)
    return date(year, int(match.group(2)), 1)


def parse_week(raw: str | None, *, field_name: str = "week") -> date:
    """``YYYY-MM-DD`` → the Monday of that day's week; ``ValidationError`` naming the parameter."""
    text = (raw or "").strip()
    match = _DAY.fullmatch(text)
    problem = f"{field_name}（周）应写成这一周周一的日期 YYYY-MM-DD，例如 2026-09-28，而不是“{text[:20]}”"
    if not match:
        raise ValidationError(problem)
    _check_year(int(match.group(1)), text, field_name)
    try:
        day = date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValidationError(f"{field_name}（周）：没有 {text[:20]} 这一天") from None
    return monday_of(day)


def parse_year_month(year: str | None, mon: str | None) -> date:
    """The month chooser's two selects (年 ``year``, 月 ``mon``) → the month's first day."""
    y, m = (year or "").strip(), (mon or "").strip()
    if not (y.isdigit() and len(y) == 4):
        raise ValidationError(f"year（年份）应是四位数字，例如 2026，而不是“{y[:20]}”")
    _check_year(int(y), y, "year（年份）")
    if not (m.isdigit() and len(m) <= 2 and 1 <= int(m) <= 12):
        raise ValidationError(f"mon（月份）只能是 1 至 12，而不是“{m[:20]}”")
    return date(int(y), int(m), 1)


def _check_year(year: int, text: str, field_name: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(f"{field_name}：“{text[:20]}”超出范围，只能查看 {FIRST_YEAR} 年至 {LAST_YEAR} 年")


def monday_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def first_week(month: date) -> date:
    """The Monday of the month's first week (the first whose Thursday lies in the month, as ISO)."""
    return monday_of(month + timedelta(days=3))


def next_month(first: date) -> date:
    """The first day of the following month."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(first: date) -> date:
    """The first day of the month before."""
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def month_span(first: date) -> tuple[date, date]:
    """``(Monday before or on the 1st, Sunday after or on the last day)``: the month's weeks."""
    last = next_month(first) - timedelta(days=1)
    return monday_of(first), monday_of(last) + timedelta(days=6)


def window(first: date, last: date) -> tuple[date, date]:
    """The days whose releases the grid of ``first``…``last`` reads: the whole months touched (the
    service account's quota is a month's); the silent runs reaching beyond them are closed by the
    releases just before and after (``build``'s ``last_alive_before`` / ``first_alive_after``)."""
    return first.replace(day=1), next_month(last.replace(day=1)) - timedelta(days=1)


def keeps_alive(entry: Entry, *, now: datetime, reached: Iterable[str], waiting: Iterable[str]) -> bool:
    """The release counts against silence: it went out (``reached``), or it is still to go out
    (``waiting``, not yet late)."""
    if entry.state in reached:
        return True
    return entry.state in waiting and (entry.state == State.PUBLISHING.value or entry.at >= now)


def build(first: date, last: date, *, in_range: tuple[date, date], entries: Iterable[Entry],
          today: date, now: datetime, tz, calendar: WorkdayCalendar, blackouts: dict[date, str],
          account_type: str, warn_days: int, alarm_days: int, last_alive_before: date | None,
          reached: Iterable[str], waiting: Iterable[str], first_alive_after: date | None = None) -> Grid:
    """The grid of the days ``first``…``last`` (whole weeks, Monday first); ``in_range`` is the part
    that belongs to the month or week shown. ``entries`` cover ``window(first, last)``;
    ``last_alive_before`` and ``first_alive_after`` are the days of the releases keeping the
    account alive just before and after that window (None: there is none)."""
    reached, waiting = frozenset(reached), frozenset(waiting)
    by_day: dict[date, list[Entry]] = {}
    alive: set[date] = {d for d in (last_alive_before, first_alive_after) if d is not None}
    mass_by_day: dict[date, int] = {}
    mass_by_month: dict[date, int] = {}
    for entry in sorted(entries, key=lambda e: (e.at, e.id)):
        local = entry.at.astimezone(tz).date()
        by_day.setdefault(local, []).append(entry)
        if keeps_alive(entry, now=now, reached=reached, waiting=waiting):
            alive.add(local)
        if entry.mode == MASS_SEND and entry.state not in QUOTA_FREE:
            mass_by_day[local] = mass_by_day.get(local, 0) + 1
            mass_by_month[local.replace(day=1)] = mass_by_month.get(local.replace(day=1), 0) + 1
    alive_days = sorted(alive)
    days, sources = [], set()
    day = first
    while day <= last:
        info = calendar.day(day)
        shown = Day(day, WEEKDAYS_ZH[day.weekday()], in_range[0] <= day <= in_range[1], day == today,
                    info.weekend, info.workday, info.holiday, info.adjusted_workday, info.source,
                    blackouts.get(day, ""))
        shown.items = [_item(e, tz, now) for e in by_day.get(day, [])]
        if mass_by_day.get(day):
            shown.mass_used = mass_by_day[day]
            if account_type != "service":
                shown.mass_left = max(0, SUBSCRIPTION_DAILY_MASS_SENDS - shown.mass_used)
        _silence(shown, alive_days, warn_days, alarm_days)
        previous = days[-1] if days else None
        shown.run_start = bool(shown.gap_level and shown.in_range and (
            shown.silence == 1 or previous is None or not previous.in_range or not previous.gap_level))
        if shown.in_range:
            sources.add((info.source, day.year))
        days.append(shown)
        day += timedelta(days=1)
    weeks = [days[i:i + 7] for i in range(0, len(days), 7)]
    quotas = []
    if account_type == "service":
        month = in_range[0].replace(day=1)
        while month <= in_range[1]:
            quotas.append(Quota(month, mass_by_month.get(month, 0), SERVICE_MONTHLY_MASS_SENDS))
            month = next_month(month)
    return Grid(first, last, weeks, account_type, quotas, _notes(sources), warn_days, alarm_days)


def _item(entry: Entry, tz, now: datetime) -> Item:
    local = entry.at.astimezone(tz)
    overdue = entry.state in (State.PLANNED.value, State.APPROVED.value) and entry.at < now
    return Item(entry.id, entry.label, entry.series, local.strftime("%H:%M"),
                local.isoformat(timespec="minutes"), entry.mode, mode_name(entry.mode), entry.state,
                state_name(entry.state), overdue)


def _silence(shown: Day, alive_days: list[date], warn_days: int, alarm_days: int) -> None:
    """Days since the last release keeping the account alive, and the level of the silent run."""
    day = shown.day
    at = bisect_left(alive_days, day)
    if at < len(alive_days) and alive_days[at] == day:
        return  # something goes out that day
    if at == 0:
        return  # nothing before: the account's history starts later
    before = alive_days[at - 1]
    shown.silence = (day - before).days
    shown.level = _level(shown.silence, warn_days, alarm_days)
    shown.threshold = shown.silence in (warn_days, alarm_days)
    after = bisect_right(alive_days, day)
    run = (alive_days[after] - before).days - 1 if after < len(alive_days) else None
    # A run with nothing after it (the silence going on now, or after the last planned release)
    # is flagged from the day it reaches a threshold: that is the deadline to plan something.
    shown.gap_level = shown.level if run is None else _level(run, warn_days, alarm_days)


def _level(days: int, warn_days: int, alarm_days: int) -> str:
    return ALARM if days >= alarm_days else WARN if days >= warn_days else ""


def _notes(sources: set[tuple[str, int]]) -> list[str]:
    """Where the holiday facts of the shown days come from, when it is not chinese_calendar."""
    notes = []
    for year in sorted({y for s, y in sources if s == NONE}):
        notes.append(f"{year} 年超出节假日数据范围（chinese_calendar 没有该年数据，也没有办公室节假日文件）："
                     "只标出了周末，法定节假日和调休无法核对。国务院公布安排后请补充节假日文件。")
    for year in sorted({y for s, y in sources if s == OFFICE}):
        notes.append(f"{year} 年的节假日与调休按办公室节假日文件标注，请确认它与国务院公告一致。")
    return notes
