"""WeChat's per-account limits, kept by every process together: per-minute rates and used-up quotas.

WeChat limits each account's calls per endpoint: per day (``45009``, reset at midnight Beijing time)
and, for some endpoints, per minute (``45011``; mass sends: 60 a minute, wechat-api.md §8; the
live figures come from ``openapi/quota/get``). Several scheduler processes publish for the same
accounts, so the counting is shared through the database (``api_call_windows``):

* before a call to an endpoint with a per-minute rate, one atomic conditional ``UPDATE … SET count =
  count + 1 WHERE count < limit`` (or the ``INSERT`` of the minute's row) takes a slot; when the
  minute is full the call is not made and ``RateLimited`` says when the next minute starts;
* a ``45011`` answer (another system may use the same account) marks the minute full for everyone;
* a ``45009`` answer marks the endpoint used up for the rest of the Beijing day: every process then
  refuses the call without sending it (``QuotaUsedUp``), instead of each spending a call to learn it.

The pipeline turns ``RateLimited`` into a wait (the release's next try is the next minute), not an
error; ``QuotaUsedUp`` fails the release with the explanation, as WeChat's own 45009 does, without
the call.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from wxpub.models import ApiCallWindow
from wxpub.wechat.errors import PermanentWeChatError, TransientWeChatError

BEIJING = timezone(timedelta(hours=8))
#: Calls per minute and account (wechat-api.md §8): the mass-send endpoints.
MINUTE_LIMITS = {"/cgi-bin/message/mass/sendall": 60, "/cgi-bin/message/mass/send": 60}
DAY_SECONDS = 86400


class RateLimited(TransientWeChatError):
    """The endpoint's calls of this minute are used up (here or by WeChat's 45011): try at ``retry_at``."""

    def __init__(self, explanation: str, *, retry_at: datetime, **kwargs):
        super().__init__(explanation, maybe_applied=False, **kwargs)
        self.retry_at = retry_at


class QuotaUsedUp(PermanentWeChatError):
    """WeChat said the endpoint's daily quota of this account is used up (45009): refused unsent."""

    def __init__(self, explanation: str, *, resets_at: datetime, **kwargs):
        super().__init__(explanation, **kwargs)
        self.resets_at = resets_at


def minute_start(now: datetime) -> datetime:
    """The start of ``now``'s minute (UTC)."""
    return now.astimezone(timezone.utc).replace(second=0, microsecond=0)


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s Beijing day, in UTC (WeChat's quotas reset at midnight Beijing time)."""
    local = now.astimezone(BEIJING)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


class CallLimits:
    """The limits of one account (``appid``) in ``database``; thread-safe, cheap for other endpoints."""

    def __init__(self, database, appid: str, *, clock, minute_limits: dict[str, int] | None = None):
        self.database, self.appid, self.clock = database, appid, clock
        self.minute_limits = dict(MINUTE_LIMITS if minute_limits is None else minute_limits)
        self._used_up: dict[str, datetime] = {}  # endpoint -> when its quota resets (seen here)
        self._checked: dict[str, datetime] = {}  # endpoint -> day start already read from the table
        self._lock = threading.Lock()

    # -- before a call -----------------------------------------------------------------------------
    def before(self, path: str) -> None:
        """Raise ``QuotaUsedUp`` or ``RateLimited`` when a call to ``path`` must not be made now;
        otherwise count it (per-minute endpoints only)."""
        now = self.clock.now()
        self._refuse_if_used_up(path, now)
        limit = self.minute_limits.get(path)
        if limit is not None and not self._take(path, minute_start(now), limit):
            self._rate_limited(path, now, limit)

    def _refuse_if_used_up(self, path: str, now: datetime) -> None:
        with self._lock:
            resets = self._used_up.get(path)
        if resets is None and self.database is not None:
            # Another process's 45009 mark, read once a day per endpoint (not once a call).
            resets = self._read_used_up(path, now)
        if resets is not None and now < resets:
            at = resets.astimezone(BEIJING)
            raise QuotaUsedUp(f"{path} 今日调用次数已用完（微信 45009），北京时间 {at:%m-%d %H:%M} 恢复；"
                              "本次未调用微信", resets_at=resets, errcode=45009, endpoint=path)

    def _read_used_up(self, path: str, now: datetime) -> datetime | None:
        day = day_start(now)
        with self._lock:
            if self._checked.get(path) == day:
                return None
        with self.database.session() as session:
            full = session.scalar(select(ApiCallWindow.full).where(
                ApiCallWindow.appid == self.appid, ApiCallWindow.path == path,
                ApiCallWindow.window_start == day, ApiCallWindow.window_seconds == DAY_SECONDS))
        with self._lock:
            self._checked[path] = day
            if full:
                self._used_up[path] = day + timedelta(seconds=DAY_SECONDS)
                return self._used_up[path]
        return None

    def _take(self, path: str, window: datetime, limit: int) -> bool:
        """One slot of ``window`` for ``path``, atomically among all processes."""
        if self.database is None:
            return True
        for _ in range(2):
            with self.database.session() as session:
                taken = session.execute(
                    update(ApiCallWindow).where(
                        ApiCallWindow.appid == self.appid, ApiCallWindow.path == path,
                        ApiCallWindow.window_start == window, ApiCallWindow.count < limit,
                        ApiCallWindow.full.is_(False))
                    .values(count=ApiCallWindow.count + 1)
                    .execution_options(synchronize_session=False)).rowcount
                if taken:
                    session.commit()
                    return True
                if session.get(ApiCallWindow, (self.appid, path, window)) is not None:
                    return False  # the minute is full
                session.add(ApiCallWindow(appid=self.appid, path=path, window_start=window,
                                          window_seconds=60, count=1, full=False))
                try:
                    session.commit()
                    return True
                except IntegrityError:  # another process opened the minute first: count there
                    session.rollback()
        return False

    def _rate_limited(self, path: str, now: datetime, limit: int | None) -> None:
        retry_at = minute_start(now) + timedelta(minutes=1)
        rule = f"每分钟最多 {limit} 次" if limit else "每分钟限额"
        raise RateLimited(f"{path} 本分钟的调用次数已用完（{rule}），"
                          f"{retry_at.astimezone(BEIJING):%H:%M:%S} 后继续", retry_at=retry_at,
                          errcode=45011, endpoint=path)

    # -- after WeChat refused ------------------------------------------------------------------------
    def refused(self, path: str, errcode: int, error) -> Exception:
        """What to raise instead of ``error`` after WeChat answered ``errcode`` for ``path``
        (marking the shared window), or ``error`` itself."""
        now = self.clock.now()
        if errcode == 45011:
            self._mark(path, minute_start(now), 60)
            retry_at = minute_start(now) + timedelta(minutes=1)
            return RateLimited(error.message, retry_at=retry_at, errcode=45011, errmsg=error.errmsg,
                               endpoint=path, body=error.body)
        if errcode == 45009:
            resets = day_start(now) + timedelta(seconds=DAY_SECONDS)
            with self._lock:
                self._used_up[path] = resets
            self._mark(path, day_start(now), DAY_SECONDS)
        return error

    def _mark(self, path: str, window: datetime, seconds: int) -> None:
        if self.database is None:
            return
        with self.database.session() as session:
            row = session.get(ApiCallWindow, (self.appid, path, window))
            if row is None:
                session.add(ApiCallWindow(appid=self.appid, path=path, window_start=window,
                                          window_seconds=seconds, count=0, full=True))
            else:
                row.full = True
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                session.execute(update(ApiCallWindow).where(
                    ApiCallWindow.appid == self.appid, ApiCallWindow.path == path,
                    ApiCallWindow.window_start == window).values(full=True))
                session.commit()
