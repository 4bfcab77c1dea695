"""Turning a plan into dated releases.

Placement rules (documented for staff in ``schedules/README.md``):

* Chapter *i* (0-based, in list order) takes slot *i* of the schedule. A chapter with its own
  ``at`` still uses up its slot, so the chapters after it keep their dates.
* Day-based intervals (``1d``, ``7d``, ``1w`` …): slot *i* is ``start``'s date + *i* × interval at
  ``time_of_day`` (or ``start``'s clock time). A slot on a blackout date, or on a non-workday when
  ``workdays_only`` is set, moves day by day to the next allowed date at the same clock time; it
  also moves past the day of the previous release, so a weekend never piles two chapters onto
  Monday.
* Sub-day intervals (``2h``, ``30s``) and ``cron``: slots are the schedule's instants; a chapter takes
  the next instant that is on an allowed date and later than the previous release.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, Mapping
from zoneinfo import ZoneInfo

from wxpub.core.plans.cron import cron_trigger
from wxpub.core.plans.calendar import WEEKDAYS_ZH, OfficeHolidays, WorkdayCalendar
from wxpub.core.plans.model import (ERROR, ONE_DAY, ChapterEntry, Plan, PlanError, PlannedRelease,
                                   is_day_based)
from wxpub.core.plans.validate import structural_issues

UTC = timezone.utc
# A plan that finds no allowed day within ten years is broken (e.g. a blackout with no end).
MAX_SEARCH_STEPS = 3700
MAX_SLOT_SEARCH = 200_000


def expand(plan: Plan, *, now: datetime, holidays: OfficeHolidays | None = None
           ) -> list[PlannedRelease]:
    """Compute every release of ``plan`` in chapter order.

    ``holidays`` is the office holiday file (``load_holidays``) for years chinese_calendar does not
    know; without it such dates are placed by weekday only and marked ``calendar="none"`` so
    ``validate`` warns. ``now`` does not change the result (expansion is a pure function of the
    plan, so reconciling twice gives the same times); it is accepted so every planning call takes
    the clock the same way. Raises ``PlanError`` when the plan cannot be expanded at all (bad
    timezone, no schedule …: the same errors ``validate`` lists).
    """

    blocking = [(i.line, i.message) for i in structural_issues(plan) if i.severity == ERROR]
    if blocking:
        raise PlanError(plan.filename, blocking)
    tz = ZoneInfo(plan.timezone)
    calendar = WorkdayCalendar(holidays)
    placer = _Placer(plan, tz, calendar)
    releases = []
    for index, entry in enumerate(plan.chapters, 1):
        if entry.at is not None:
            placer.skip_slot()
            local, moved_from, reason = entry.at.astimezone(tz), None, ""
        else:
            local, moved_from, reason = placer.place()
        info = calendar.day(local.date())
        releases.append(PlannedRelease(
            chapter=entry.name, scheduled_at=local.astimezone(UTC), local_time=local,
            mode=entry.mode or plan.mode, key=plan.key_for(entry), part=entry.part, index=index,
            title=_title(plan, entry, index), explicit=entry.at is not None, calendar=info.source,
            workday=info.workday, holiday=info.holiday, adjusted_workday=info.adjusted_workday,
            moved_from=moved_from, moved_because=reason))
    return releases


def mark_done(releases: list[PlannedRelease], done: Mapping[str, tuple[str, datetime]]
              ) -> list[PlannedRelease]:
    """``releases`` with the ones whose key is in ``done`` marked as already out (or going out).

    ``done`` maps a plan key to ``(state, at)`` of the existing release that is published or in
    flight (the caller knows which states count); the planned slots themselves do not change, so
    the chapters after a published one keep their dates.
    """
    return [replace(r, done=done[r.key][0], done_at=done[r.key][1]) if r.key in done else r
            for r in releases]


def _title(plan: Plan, entry: ChapterEntry, index: int) -> str:
    return plan.title_template.format(series=plan.series, chapter=entry.name, n=index,
                                      part=entry.part or "")


class _Placer:
    """Hands out release times slot by slot, applying blackout and workday moves."""

    def __init__(self, plan: Plan, tz: ZoneInfo, calendar: WorkdayCalendar):
        self.plan, self.tz, self.calendar = plan, tz, calendar
        self.day_based = is_day_based(plan.interval)
        self.index = 0  # next day-based slot
        self.previous: datetime | None = None
        scheduled = plan.start is not None and (plan.cron or plan.interval is not None)
        self.slots = self._instants() if scheduled and not self.day_based else None

    def skip_slot(self) -> None:
        """A chapter with its own ``at`` uses up one slot."""
        if self.day_based:
            self.index += 1
        elif self.slots is not None:
            next(self.slots, None)

    def place(self) -> tuple[datetime, datetime | None, str]:
        """The next release time, the slot time it was moved from (if any) and why."""
        if self.day_based:
            result = self._place_by_day()
        else:
            result = self._place_by_slot()
        self.previous = result[0]
        return result

    def blocked(self, day: date) -> str:
        """Why nothing may be released on ``day`` ("" when it is allowed)."""
        for blackout in self.plan.blackout:
            if blackout.covers(day):
                return "停发日期" + (f"（{blackout.note}）" if blackout.note else "")
        if self.plan.workdays_only:
            info = self.calendar.day(day)
            if not info.workday:
                return f"{info.holiday}假期" if info.holiday else f"{WEEKDAYS_ZH[day.weekday()]}非工作日"
        return ""

    def _place_by_day(self) -> tuple[datetime, datetime | None, str]:
        start = self.plan.start.astimezone(self.tz)
        clock = self.plan.time_of_day or start.timetz().replace(tzinfo=None)
        slot_day = start.date() + self.index * self.plan.interval
        self.index += 1
        slot = _at(slot_day, clock, self.tz)
        day, reason = slot_day, ""
        for _ in range(MAX_SEARCH_STEPS):
            why = self.blocked(day)
            if not why and self.previous is not None and day <= self.previous.date():
                why = "上一篇已在当天或之后发布"
            if not why:
                return _at(day, clock, self.tz), (slot if day != slot_day else None), reason
            reason = reason or why
            day += ONE_DAY
        raise PlanError(self.plan.filename, [(None, f"从 {slot_day} 起十年内找不到可发布的日期，请检查停发日期")])

    def _place_by_slot(self) -> tuple[datetime, datetime | None, str]:
        first, reason = None, ""
        for _ in range(MAX_SLOT_SEARCH):
            slot = next(self.slots, None)
            if slot is None:
                break
            first = first or slot
            why = self.blocked(slot.date())
            if not why and self.previous is not None and slot <= self.previous:
                why = "上一篇已在此时或之后发布"
            if not why:
                return slot, (first if slot != first else None), reason
            reason = reason or why
        raise PlanError(self.plan.filename, [(None, "按 cron / 间隔排不出下一篇的发布时间，请检查 cron、停发日期和工作日设置")])

    def _instants(self) -> Iterator[datetime]:
        """The schedule's instants from ``start`` on, in the plan timezone."""
        start = self.plan.start.astimezone(self.tz)
        if self.plan.cron:
            trigger = cron_trigger(self.plan.cron, self.tz)
            fire = trigger.get_next_fire_time(None, start)
            while fire is not None:
                yield fire.astimezone(self.tz)
                fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
            return
        # Sub-day intervals are exact durations: add them in UTC, show them in the plan timezone.
        base = start.astimezone(UTC)
        step = 0
        while True:
            yield (base + step * self.plan.interval).astimezone(self.tz)
            step += 1


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)
