"""Injected time: every "now" in wxpub goes through here so tests can move the clock.

Times are timezone-aware. Storage is UTC; people see ``Settings.timezone`` (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """The real clock. Subclass or use ``FrozenClock`` in tests."""

    def now(self) -> datetime:
        """Current time, aware, in UTC."""
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock that only moves when told to (for tests and simulations)."""

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta) -> datetime:
        """Move forward by ``timedelta(**delta)`` and return the new time."""
        self._now += timedelta(**delta)
        return self._now


class OffsetClock(Clock):
    """The real clock moved by a fixed offset: lets a demo or a training run live "days later"
    together with a sandbox whose clock was advanced."""

    def __init__(self, offset: timedelta):
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def as_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC; naive values are taken as UTC (how SQLite returns them)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local(value: datetime, tz: ZoneInfo = SHANGHAI) -> datetime:
    """The same instant in the people's timezone."""
    return as_utc(value).astimezone(tz)


def format_local(value: datetime | None, tz: ZoneInfo = SHANGHAI) -> str:
    """``YYYY-MM-DD HH:MM`` in the people's timezone, or ``—`` for no value."""
    if value is None:
        return "—"
    return local(value, tz).strftime("%Y-%m-%d %H:%M")
