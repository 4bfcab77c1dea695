"""Standard 5-field cron on top of APScheduler's ``CronTrigger.from_crontab``.

APScheduler 3 numbers weekdays from Monday (0 = Monday, 7 is invalid) while every crontab, cron
website and colleague counts from Sunday (0 or 7 = Sunday, 4 = Thursday). Passing ``0 9 * * 4``
straight through would publish on Friday instead of Thursday without a word, so numeric weekdays
are rewritten as names first. APScheduler also ANDs day-of-month with day-of-week where crontab ORs
them; a plan restricting both is rejected instead of being read one way or the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the core must import without APScheduler; it is loaded when a cron is read
    from apscheduler.triggers.cron import CronTrigger

_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class CronSyntaxError(ValueError):
    """A cron expression we cannot accept; the message is Chinese, for staff."""


def _weekday_numbers(token: str) -> list[int]:
    """Standard-cron numbers of one comma-separated weekday token like ``1-5``, ``*/2``, ``0``."""
    base, _, step_text = token.partition("/")
    step = int(step_text) if step_text else 1
    if step < 1:
        raise CronSyntaxError(f"星期字段的步长“{token}”无效")
    if base == "*":
        low, high = 0, 6
    elif "-" in base:
        low_text, high_text = base.split("-", 1)
        low, high = int(low_text), int(high_text)
    else:
        low = high = int(base)
        if step_text:
            high = 6
    if not (0 <= low <= 7 and 0 <= high <= 7 and low <= high):
        raise CronSyntaxError(f"星期字段“{token}”超出 0–7（0 和 7 都是周日）")
    return [n % 7 for n in range(low, high + 1, step)]


def to_apscheduler_weekdays(field: str) -> str:
    """Rewrite numeric weekdays (Sunday = 0 or 7) as names APScheduler reads the same way."""
    if field == "*":
        return field
    parts = []
    for token in field.split(","):
        if any(ch.isalpha() for ch in token):
            parts.append(token)  # names (mon-fri) already mean the same in both systems
            continue
        try:
            numbers = _weekday_numbers(token)
        except ValueError as exc:
            raise CronSyntaxError(str(exc) if isinstance(exc, CronSyntaxError)
                                  else f"星期字段“{token}”无法识别") from exc
        parts.extend(_NAMES[n] for n in numbers)
    return ",".join(dict.fromkeys(parts))


def cron_trigger(expr: str, tz: ZoneInfo) -> "CronTrigger":
    """A ``CronTrigger`` for a standard crontab line ``分 时 日 月 周``; raises ``CronSyntaxError``."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise CronSyntaxError(f"cron 表达式“{expr}”必须有 5 段：分 时 日 月 周，例如 \"0 9 * * 4\"")
    minute, hour, day, month, weekday = fields
    if day not in ("*", "?") and weekday not in ("*", "?"):
        raise CronSyntaxError(f"cron 表达式“{expr}”同时限定了日期和星期：各系统对此理解不同，请只限定其中一个")
    fields[4] = to_apscheduler_weekdays(weekday.replace("?", "*"))
    fields[2] = day.replace("?", "*")
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=tz)
    except ValueError as exc:
        raise CronSyntaxError(f"cron 表达式“{expr}”无效：{exc}") from exc
