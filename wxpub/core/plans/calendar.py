"""Which days are workdays: China's statutory holidays and adjusted workdays (调休).

Sources, in order: the ``chinese_calendar`` package for the years it knows (1.11: 2004–2026; it
raises ``NotImplementedError`` beyond), then an office-maintained holiday file for the years that
file declares, else only the weekday is known and the day is marked ``none`` so the plan shows a
warning instead of crashing or silently guessing.

Office holiday file (YAML)::

    years: [2027]                 # the years this file fully describes (required)
    source: 国办发明电〔2026〕…号   # where the dates come from (optional)
    holidays:                     # days off: a date, or a range with a name
      - {from: 2027-01-01, to: 2027-01-03, name: 元旦}
      - 2027-04-05
    workdays:                     # 调休: weekend days that are working days
      - 2027-02-20
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import PurePath

import chinese_calendar
import yaml

from wxpub.core.plans import yamlnodes as yn
from wxpub.core.plans.model import Plan, PlanError

PACKAGE = "package"
OFFICE = "office"
NONE = "none"

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class OfficeHolidays:
    """An office-maintained list of holidays and adjusted workdays for whole years."""

    years: frozenset[int]
    holidays: dict[date, str] = field(default_factory=dict)  # day → name ("" if unnamed)
    workdays: frozenset[date] = frozenset()
    source: str = ""
    filename: str = "<holidays>"


@dataclass(frozen=True)
class DayInfo:
    """What is known about one local date."""

    day: date
    workday: bool
    source: str  # package | office | none
    holiday: str = ""  # Chinese name of the holiday, when it is one
    adjusted_workday: bool = False  # a Saturday/Sunday that is a working day (调休)

    @property
    def weekend(self) -> bool:
        """Saturday or Sunday."""
        return self.day.weekday() >= 5


@cache
def package_knows(year: int) -> bool:
    """Whether the installed chinese_calendar has data for ``year`` (it raises otherwise)."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@cache
def package_last_year() -> int | None:
    """The last year the installed chinese_calendar knows (2026 for 1.11), None if it knows none."""
    known = None
    for candidate in range(1990, 2200):
        if package_knows(candidate):
            known = candidate
        elif known is not None:
            break
    return known


class WorkdayCalendar:
    """Answers "is this a workday, and who says so?" for any date, never raising for unknown years."""

    def __init__(self, office: OfficeHolidays | None = None):
        self.office = office

    def source_for(self, year: int) -> str:
        """``package``, ``office`` or ``none``: where the facts about ``year`` come from."""
        if package_knows(year):
            return PACKAGE
        if self.office is not None and year in self.office.years:
            return OFFICE
        return NONE

    def day(self, day: date) -> DayInfo:
        """Everything known about ``day``."""
        source = self.source_for(day.year)
        weekend = day.weekday() >= 5
        if source == PACKAGE:
            workday = chinese_calendar.is_workday(day)
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            holiday = HOLIDAY_NAMES_ZH.get(name, name or "") if is_holiday and name else ""
            return DayInfo(day, workday, source, holiday, workday and weekend)
        if source == OFFICE:
            if day in self.office.workdays:
                return DayInfo(day, True, source, "", weekend)
            if day in self.office.holidays:
                return DayInfo(day, False, source, self.office.holidays[day] or "节假日")
            return DayInfo(day, not weekend, source)
        return DayInfo(day, not weekend, source)


def holidays_path(plan: Plan, plan_path: str | PurePath) -> PurePath | None:
    """Where the plan's ``holidays_file`` lies: relative paths are taken from the plan's folder."""
    if not plan.holidays_file:
        return None
    target = PurePath(plan.holidays_file)
    return target if target.is_absolute() else PurePath(plan_path).parent / target


def load_holidays(text: str, filename: str) -> OfficeHolidays:
    """Parse an office holiday file; raises ``PlanError`` with lines for every problem."""
    root = yn.compose(text, filename)
    problems: list[tuple[int | None, str]] = []
    if not isinstance(root, yaml.MappingNode):
        raise PlanError(filename, [(None, "节假日文件的最外层必须是映射：years、holidays、workdays")])
    nodes = yn.mapping(root, ("years", "source", "holidays", "workdays"), problems)
    years: set[int] = set()
    if "years" not in nodes:
        problems.append((None, "缺少 years：请写明本文件完整覆盖的年份，例如 years: [2027]"))
    else:
        items = nodes["years"].value if isinstance(nodes["years"], yaml.SequenceNode) \
            else [nodes["years"]]
        for item in items:
            raw = yn.scalar(item) or ""
            if raw.isdigit() and 1900 < int(raw) < 2200:
                years.add(int(raw))
            else:
                problems.append((yn.line_of(item), f"年份“{raw}”无效"))
    holidays: dict[date, str] = {}
    for day, name, node in _dated_items(nodes.get("holidays"), problems, allow_range=True):
        holidays[day] = name
    workdays: set[date] = set()
    for day, _, node in _dated_items(nodes.get("workdays"), problems, allow_range=False):
        if day in holidays:
            problems.append((yn.line_of(node), f"{day} 同时列为节假日和调休上班日"))
        workdays.add(day)
    if years:
        for day in sorted(set(holidays) | workdays):
            if day.year not in years:
                problems.append((None, f"{day} 不在 years 声明的年份（{'、'.join(map(str, sorted(years)))}）内"))
    if problems:
        raise PlanError(filename, problems)
    source = (yn.scalar(nodes["source"]) or "") if "source" in nodes else ""
    return OfficeHolidays(frozenset(years), holidays, frozenset(workdays), source, filename)


def _dated_items(node, problems, *, allow_range):
    """Yield ``(date, name, node)`` from a list of dates or ``{date|from,to, name}`` mappings."""
    if node is None or yn.is_null(node):
        return
    if not isinstance(node, yaml.SequenceNode):
        problems.append((yn.line_of(node), "holidays / workdays 必须是列表"))
        return
    keys = ("date", "from", "to", "name") if allow_range else ("date", "name")
    for item in node.value:
        if isinstance(item, yaml.MappingNode):
            parts = yn.mapping(item, keys, problems)
            first = _iso_date(parts.get("date") or parts.get("from"))
            last = _iso_date(parts["to"]) if "to" in parts else first
            name = (yn.scalar(parts["name"]) or "") if "name" in parts else ""
        else:
            first = last = _iso_date(item)
            name = ""
        if first is None or last is None or last < first:
            problems.append((yn.line_of(item), "日期必须写成 YYYY-MM-DD（区间写 {from: …, to: …}，结束不早于开始）"))
            continue
        day = first
        while day <= last:
            yield day, name, item
            day += timedelta(days=1)


def _iso_date(node) -> date | None:
    text = yn.scalar(node) if node is not None else None
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
