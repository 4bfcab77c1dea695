"""Date arithmetic of statistics pulls (pure): Beijing days, WeChat's limits, span chunks.

WeChat's 发表内容 statistics (the only family still online, reference §0a.2) answer only for days
from 2025-11-01 up to yesterday (Beijing time), and each endpoint caps the number of days one
call may cover (its span).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
#: WeChat keeps the new family's figures from this day on; earlier days are refused (61501).
FIRST_DAY = date(2025, 11, 1)
#: Days after publish during which WeChat still revises an article's figures.
REVISION_DAYS = 30

#: Largest number of days (end - begin + 1) each endpoint accepts in one call.
MAX_SPAN = {"getarticletotaldetail": 1, "getarticleread": 1, "getarticleshare": 1, "getbizsummary": 30}


def beijing_today(now: datetime) -> date:
    """The calendar day in Beijing at the aware instant ``now``."""
    return now.astimezone(BEIJING).date()


def last_pullable_day(now: datetime) -> date:
    """Yesterday in Beijing: WeChat refuses end_date >= today."""
    return beijing_today(now) - timedelta(days=1)


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last`` inclusive (empty when first > last)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def clamp_first(day: date) -> date:
    """``day`` moved forward to 2025-11-01 when it is earlier (WeChat keeps nothing before)."""
    return max(day, FIRST_DAY)


def chunks(days: list[date], span: int) -> list[tuple[date, date]]:
    """Cover sorted ``days`` with (begin, end) ranges of consecutive days, each at most ``span`` long."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges:
            begin, end = ranges[-1]
            if day == end + timedelta(days=1) and (day - begin).days < span:
                ranges[-1] = (begin, day)
                continue
        ranges.append((day, day))
    return ranges
