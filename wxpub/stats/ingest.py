"""The statistics pull: which datacube calls to make, retries, fallback, and storing the answers.

``pull(runtime, since=None, progress=None)`` is what the scheduler's daily job and
``wxpub stats pull`` call. One pull:

1. articles — new family: getarticletotaldetail for every publish day of the last 30 days (their
   figures still change), getarticleread + getarticleshare for each day not yet final; legacy
   family (getarticletotal, getarticlesummary) when the account answers 48001 to the new one;
2. account — getbizsummary (≤30 days a call), or legacy getuserread (≤3) + getusershare (≤7);
3. links every msgid to its release, article, chapter and series.

A (endpoint, day) counts as done only once WeChat answered it with ``is_delay`` false; provisional
answers are stored flagged and asked again next time. Every call is logged in ``StatPull``.
Transient errors are retried ``retries`` times with backoff; a permanent one (or retries used up)
stops the pull with ``StatsPullError``.

One pull is one transaction, in three phases: *read* — one short read-only session learns from
the call log which (endpoint, day) are already final; *fetch* — every WeChat call, with no
database session open, its answers and log entries kept in memory (``wxpub.stats.batch``);
*store* — one session writes the statistics, the call log and the msgid → release mapping and
commits once at the end. A failed pull stores nothing, not even its call log: the next pull asks
again, and since every write is idempotent that costs only the calls.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

from wxpub.core.errors import WxpubError
from wxpub.wechat.errors import PermanentWeChatError, TransientWeChatError
from wxpub.stats import parse, store
from wxpub.stats.batch import Batch, Known
from wxpub.stats.dates import (MAX_SPAN, REVISION_DAYS, chunks, clamp_first, days_between, last_pullable_day,
                    legacy_is_final)

Progress = Callable[[int, int, str], None]
NO_PERMISSION = 48001
_NEW_FAMILY = {"getarticletotaldetail", "getarticleread", "getarticleshare", "getbizsummary"}

log = logging.getLogger("wxpub.stats")


class StatsPullError(WxpubError):
    """A statistics pull stopped; the message says which call failed and what to do."""

    code = "stats_pull"
    http_status = 502


class _Unauthorized(Exception):
    """The account has no permission for a new-family endpoint (48001)."""


@dataclass
class PullReport:
    """What one pull did, for the CLI summary and the logs."""

    first_day: date | None = None
    last_day: date | None = None
    calls: int = 0
    retries: int = 0
    articles: int = 0
    daily_rows: int = 0
    biz_days: int = 0
    delayed: set = field(default_factory=set)
    legacy: list = field(default_factory=list)
    linked: int = 0

    def summary(self) -> str:
        """A one-paragraph Chinese summary for staff."""
        if self.first_day is None:
            return "没有需要拉取的统计数据。"
        text = (f"统计数据已更新（{self.first_day} 至 {self.last_day}）：调用微信接口 {self.calls} 次，"
                f"文章数据 {self.articles} 条，每日数据 {self.daily_rows} 条，账号概况 {self.biz_days} 天，"
                f"新关联到发布记录 {self.linked} 篇。")
        if self.retries:
            text += f"临时故障重试 {self.retries} 次。"
        if self.delayed:
            days = "、".join(d.isoformat() for d in sorted(self.delayed)[:5])
            more = " 等" if len(self.delayed) > 5 else ""
            text += f"其中 {len(self.delayed)} 天为微信尚未最终确定的临时数据（{days}{more}），下次拉取时会更新。"
        if self.legacy:
            text += "本账号无新版统计接口权限（48001），" + "、".join(self.legacy) + "已改用旧版接口（无“在看”和完读率）。"
        return text


class _Puller:
    """The fetch phase: every WeChat call of one pull, with no database session open.

    Plans from ``known`` (read before), collects answers and call-log entries into ``batch``.
    """

    def __init__(self, runtime, wx, known: Known, progress: Progress | None, sleep, retries: int,
                 backoff: float):
        self.rt, self.wx, self.known, self.progress = runtime, wx, known, progress
        self.sleep, self.retries, self.backoff = sleep, retries, backoff
        self.report = PullReport()
        self.batch = Batch()
        self.done = self.total = 0

    # ----- one WeChat call, logged and retried -----
    def call(self, endpoint: str, begin: date, end: date) -> dict:
        fn = getattr(self.wx.datacube, endpoint)
        for attempt in range(self.retries + 1):
            self.report.calls += 1
            try:
                answer = fn(begin, end)
            except TransientWeChatError as error:
                self._failed(endpoint, begin, end, error)
                if attempt == self.retries:
                    raise StatsPullError(
                        f"统计拉取中止：{endpoint}（{begin} 至 {end}）连续 {attempt + 1} 次临时故障，"
                        f"请稍后重新运行 wxpub stats pull。最后一次：{error.message}") from error
                self.report.retries += 1
                self.sleep(self.backoff * (2 ** attempt))
                continue
            except PermanentWeChatError as error:
                self._failed(endpoint, begin, end, error)
                if error.errcode == NO_PERMISSION and endpoint in _NEW_FAMILY:
                    raise _Unauthorized(endpoint) from error
                raise StatsPullError(f"统计拉取中止：{endpoint}（{begin} 至 {end}）失败：{error.message}") \
                    from error
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _failed(self, endpoint, begin, end, error) -> None:
        code = error.errcode if error.errcode is not None else -1
        log.warning("datacube %s %s..%s failed (errcode %s)", endpoint, begin, end, code)
        self.batch.call(endpoint, begin, end, errcode=code, at=self.rt.clock.now())

    def step(self, label: str) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total, label)

    def log(self, endpoint, begin, end, rows, delayed) -> None:
        self.batch.call(endpoint, begin, end, rows=rows, is_delay=delayed, at=self.rt.clock.now())
        if delayed:
            self.report.delayed.update(days_between(begin, end))

    # ----- new family -----
    def articles_new(self, window, last) -> None:
        todo = self.known.todo
        total_days = todo("getarticletotaldetail", window, last - timedelta(days=REVISION_DAYS - 1))
        read_days = sorted(set(todo("getarticleread", window)) | set(todo("getarticleshare", window)))
        self.total += len(total_days) + len(read_days)
        for day in total_days:
            answer = self.call("getarticletotaldetail", day, day)
            articles, daily = parse.total_detail(answer)
            delayed = bool(answer.get("is_delay"))
            now = self.rt.clock.now()
            self.batch.articles(articles, now)
            self.batch.daily_engagement(daily, delayed, now)
            self.log("getarticletotaldetail", day, day, len(articles), delayed)
            self.report.articles += len(articles)
            self.step(f"文章累计数据 {day}")
        for day in read_days:
            reads = self.call("getarticleread", day, day)
            shares = self.call("getarticleshare", day, day)
            rows = parse.article_days(reads, shares)
            delayed = bool(reads.get("is_delay")) or bool(shares.get("is_delay"))
            self.batch.daily_reads(rows, delayed, self.rt.clock.now())
            self.log("getarticleread", day, day, len(reads.get("list") or []), bool(reads.get("is_delay")))
            self.log("getarticleshare", day, day, len(shares.get("list") or []),
                     bool(shares.get("is_delay")))
            self.report.daily_rows += len(rows)
            self.step(f"每日阅读分享 {day}")

    def biz_new(self, window) -> None:
        ranges = chunks(self.known.todo("getbizsummary", window), MAX_SPAN["getbizsummary"])
        self.total += len(ranges)
        for begin, end in ranges:
            answer = self.call("getbizsummary", begin, end)
            rows = parse.biz_days(answer)
            delayed = bool(answer.get("is_delay"))
            self.batch.biz(rows, delayed, self.rt.clock.now())
            self.log("getbizsummary", begin, end, len(rows), delayed)
            self.report.biz_days += len(rows)
            self.step(f"账号概况 {begin} 至 {end}")

    # ----- legacy family -----
    def articles_legacy(self, window, last) -> None:
        now = self.rt.clock.now()
        total_days = self.known.todo("getarticletotal", window, last - timedelta(days=6))
        summary_days = self.known.todo("getarticlesummary", window)
        self.total += len(total_days) + len(summary_days)
        touched: set[str] = set()
        for day in total_days:
            articles = parse.legacy_total(self.call("getarticletotal", day, day))
            self.batch.articles(articles, self.rt.clock.now())
            self.log("getarticletotal", day, day, len(articles), not legacy_is_final(day, now))
            self.report.articles += len(articles)
            touched.update(a["msgid"] for a in articles)
            self.step(f"群发文章累计数据（旧版）{day}")
        for day in summary_days:
            rows = parse.legacy_summary(self.call("getarticlesummary", day, day))
            delayed = not legacy_is_final(day, now)
            self.batch.daily_reads(rows, delayed, self.rt.clock.now(),
                                   columns=("read_user", "share_user", "collection_user"))
            self.log("getarticlesummary", day, day, len(rows), delayed)
            self.report.daily_rows += len(rows)
            touched.update(r["msgid"] for r in rows)
            self.step(f"群发文章每日数据（旧版）{day}")
        self.batch.legacy_totals(touched)

    def biz_legacy(self, window) -> None:
        now = self.rt.clock.now()
        days = self.known.todo("getuserread", window)
        read_ranges = chunks(days, MAX_SPAN["getuserread"])
        share_ranges = chunks(days, MAX_SPAN["getusershare"])
        self.total += len(read_ranges) + len(share_ranges)
        reads, shares = {"list": []}, {"list": []}
        for name, ranges, bucket in (("getuserread", read_ranges, reads),
                                     ("getusershare", share_ranges, shares)):
            for begin, end in ranges:
                answer = self.call(name, begin, end)
                bucket["list"].extend(answer.get("list") or [])
                self.log(name, begin, end, len(answer.get("list") or []), not legacy_is_final(end, now))
                self.step(f"账号概况（旧版）{begin} 至 {end}")
        rows = parse.legacy_biz(reads, shares)
        for row in rows:
            self.batch.biz([row], not legacy_is_final(row["ref_date"], now), self.rt.clock.now())
        self.report.biz_days += len(rows)

    # ----- the whole fetch -----
    def fetch(self, window, last) -> None:
        try:
            self.articles_new(window, last)
        except _Unauthorized:
            self.report.legacy.append("文章数据")
            self.articles_legacy(window, last)
        try:
            self.biz_new(window)
        except _Unauthorized:
            self.report.legacy.append("账号概况")
            self.biz_legacy(window)


def record_failure(runtime, batch: Batch) -> None:
    """A failed pull stores none of its figures; this separate, small use case records the call
    that stopped it, so the dashboard tells staff that the figures are stale and why. Error rows
    never count as answers when the next pull plans its calls."""
    failed = [c for c in batch.calls if c.errcode is not None][-1:]
    with runtime.db.session() as session:
        for c in failed:
            store.log_pull(session, c.endpoint, c.begin, c.end, errcode=c.errcode, now=c.at)
        session.commit()


def _wechat_now(wechat, runtime):
    """WeChat's current time when it can tell us, else our own clock.

    The shared facade remembers the ``Date`` of its last answer, which may predate a jump of the
    sandbox's clock: ``fresh`` makes it ask once more (a refusal carries a Date too).
    """
    server_now = getattr(wechat, "server_now", None)
    if server_now is None:
        return runtime.clock.now()
    try:
        return server_now(fresh=True) or runtime.clock.now()
    except Exception as error:  # noqa: BLE001 - a failed probe must not stop the pull
        log.warning("could not read WeChat's clock (%s); using ours", type(error).__name__)
        return runtime.clock.now()


def pull(runtime, since: date | None = None, progress: Progress | None = None, *, wechat=None,
         sleep=time.sleep, retries: int = 3, backoff: float = 1.0) -> PullReport:
    """Pull WeChat statistics into the database; ``since`` backfills from that day.

    Without ``since`` the window is the last 30 days up to yesterday (Beijing). ``progress`` is
    called as ``progress(done, total, label)`` after each step. Returns a ``PullReport``;
    raises ``StatsPullError`` when WeChat refuses for good or keeps failing (nothing is stored).
    """
    if wechat is None:
        wechat = runtime.wechat
    # "Yesterday" is WeChat's yesterday: its clock decides which days have statistics (a server
    # whose clock runs ahead would otherwise ask for a day WeChat calls today and get 61501).
    last = last_pullable_day(_wechat_now(wechat, runtime))
    first = clamp_first(since if since is not None else last - timedelta(days=REVISION_DAYS - 1))
    window = days_between(first, last)
    if not window:
        return PullReport()
    # 1. Read: what the call log already knows, in one short read-only session.
    with runtime.db.session() as session:
        known = Known.read(session, window)
    # 2. Fetch: every WeChat call, with no session open; answers are kept in memory.
    puller = _Puller(runtime, wechat, known, progress, sleep, retries, backoff)
    puller.report.first_day, puller.report.last_day = first, last
    try:
        puller.fetch(window, last)
    except StatsPullError:
        record_failure(runtime, puller.batch)
        raise
    # 3. Store: everything in one transaction, committed once.
    with runtime.db.session() as session:
        puller.report.linked = puller.batch.store(session, runtime.settings.appid)
        session.commit()
    return puller.report
