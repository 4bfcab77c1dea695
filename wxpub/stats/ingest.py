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
stops the pull with ``StatsPullError`` — what was stored before stays.
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
from wxpub.stats.dates import (MAX_SPAN, REVISION_DAYS, chunks, clamp_first, days_between, last_pullable_day,
                    legacy_is_final)

Progress = Callable[[int, int, str], None]
NO_PERMISSION = 48001


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
    def __init__(self, runtime, wx, progress: Progress | None, sleep, retries: int, backoff: float):
        self.rt, self.wx, self.progress = runtime, wx, progress
        self.sleep, self.retries, self.backoff = sleep, retries, backoff
        self.report = PullReport()
        self.done = self.total = 0

    # ----- one WeChat call, logged and retried -----
    def call(self, session, endpoint: str, begin: date, end: date) -> dict:
        fn = getattr(self.wx.datacube, endpoint)
        for attempt in range(self.retries + 1):
            self.report.calls += 1
            try:
                answer = fn(begin, end)
            except TransientWeChatError as error:
                self._failed(session, endpoint, begin, end, error)
                if attempt == self.retries:
                    raise StatsPullError(
                        f"统计拉取中止：{endpoint}（{begin} 至 {end}）连续 {attempt + 1} 次临时故障，"
                        f"请稍后重新运行 wxpub stats pull。最后一次：{error.message}") from error
                self.report.retries += 1
                self.sleep(self.backoff * (2 ** attempt))
                continue
            except PermanentWeChatError as error:
                self._failed(session, endpoint, begin, end, error)
                if error.errcode == NO_PERMISSION and endpoint in _NEW_FAMILY:
                    raise _Unauthorized(endpoint) from error
                raise StatsPullError(f"统计拉取中止：{endpoint}（{begin} 至 {end}）失败：{error.message}") \
                    from error
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _failed(self, session, endpoint, begin, end, error) -> None:
        code = error.errcode if error.errcode is not None else -1
        store.log_pull(session, endpoint, begin, end, errcode=code, now=self.rt.clock.now())
        session.commit()

    def step(self, label: str) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total, label)

    def log(self, session, endpoint, begin, end, rows, delayed) -> None:
        store.log_pull(session, endpoint, begin, end, rows=rows, is_delay=delayed,
                       now=self.rt.clock.now())
        if delayed:
            self.report.delayed.update(days_between(begin, end))

    # ----- plans -----
    def todo(self, session, endpoint, window: list[date], always_from: date | None = None):
        """Days of ``window`` not final yet for ``endpoint`` (+ earlier provisional ones); from
        ``always_from`` on, also final days that listed articles (their totals keep growing)."""
        if not window:
            return []
        final = store.final_days(session, endpoint, window[0], window[-1])
        days = {d for d in window if d not in final}
        if always_from is not None:
            days |= {d for d in store.final_days(session, endpoint, always_from, window[-1],
                                                 with_rows=True) if d in set(window)}
        days |= {d for d in store.delayed_days(session, endpoint) if d <= window[-1]}
        return sorted(days)

    # ----- new family -----
    def articles_new(self, session, window, last) -> None:
        total_days = self.todo(session, "getarticletotaldetail", window, last - timedelta(days=REVISION_DAYS - 1))
        read_days = sorted(set(self.todo(session, "getarticleread", window))
                           | set(self.todo(session, "getarticleshare", window)))
        self.total += len(total_days) + len(read_days)
        for day in total_days:
            answer = self.call(session, "getarticletotaldetail", day, day)
            articles, daily = parse.total_detail(answer)
            delayed = bool(answer.get("is_delay"))
            now = self.rt.clock.now()
            store.save_articles(session, articles, now)
            store.save_daily_engagement(session, daily, delayed, now)
            self.log(session, "getarticletotaldetail", day, day, len(articles), delayed)
            session.commit()
            self.report.articles += len(articles)
            self.step(f"文章累计数据 {day}")
        for day in read_days:
            reads = self.call(session, "getarticleread", day, day)
            shares = self.call(session, "getarticleshare", day, day)
            rows = parse.article_days(reads, shares)
            delayed = bool(reads.get("is_delay")) or bool(shares.get("is_delay"))
            store.ensure_articles(session, [r["msgid"] for r in rows])
            store.save_daily_reads(session, rows, delayed, self.rt.clock.now())
            self.log(session, "getarticleread", day, day, len(reads.get("list") or []),
                     bool(reads.get("is_delay")))
            self.log(session, "getarticleshare", day, day, len(shares.get("list") or []),
                     bool(shares.get("is_delay")))
            session.commit()
            self.report.daily_rows += len(rows)
            self.step(f"每日阅读分享 {day}")

    def biz_new(self, session, window, account) -> None:
        ranges = chunks(self.todo(session, "getbizsummary", window), MAX_SPAN["getbizsummary"])
        self.total += len(ranges)
        for begin, end in ranges:
            answer = self.call(session, "getbizsummary", begin, end)
            rows = parse.biz_days(answer)
            delayed = bool(answer.get("is_delay"))
            store.save_biz(session, account, rows, delayed, self.rt.clock.now())
            self.log(session, "getbizsummary", begin, end, len(rows), delayed)
            session.commit()
            self.report.biz_days += len(rows)
            self.step(f"账号概况 {begin} 至 {end}")

    # ----- legacy family -----
    def articles_legacy(self, session, window, last) -> None:
        now = self.rt.clock.now()
        total_days = self.todo(session, "getarticletotal", window, last - timedelta(days=6))
        summary_days = self.todo(session, "getarticlesummary", window)
        self.total += len(total_days) + len(summary_days)
        touched: set[str] = set()
        for day in total_days:
            articles = parse.legacy_total(self.call(session, "getarticletotal", day, day))
            store.save_articles(session, articles, self.rt.clock.now())
            self.log(session, "getarticletotal", day, day, len(articles), not legacy_is_final(day, now))
            session.commit()
            self.report.articles += len(articles)
            touched.update(a["msgid"] for a in articles)
            self.step(f"群发文章累计数据（旧版）{day}")
        for day in summary_days:
            rows = parse.legacy_summary(self.call(session, "getarticlesummary", day, day))
            delayed = not legacy_is_final(day, now)
            store.ensure_articles(session, [r["msgid"] for r in rows])
            store.save_daily_reads(session, rows, delayed, self.rt.clock.now(),
                                   columns=("read_user", "share_user", "collection_user"))
            self.log(session, "getarticlesummary", day, day, len(rows), delayed)
            session.commit()
            self.report.daily_rows += len(rows)
            touched.update(r["msgid"] for r in rows)
            self.step(f"群发文章每日数据（旧版）{day}")
        store.refresh_legacy_totals(session, touched)
        session.commit()

    def biz_legacy(self, session, window, account) -> None:
        now = self.rt.clock.now()
        days = self.todo(session, "getuserread", window)
        read_ranges = chunks(days, MAX_SPAN["getuserread"])
        share_ranges = chunks(days, MAX_SPAN["getusershare"])
        self.total += len(read_ranges) + len(share_ranges)
        reads, shares = {"list": []}, {"list": []}
        for name, ranges, bucket in (("getuserread", read_ranges, reads),
                                     ("getusershare", share_ranges, shares)):
            for begin, end in ranges:
                answer = self.call(session, name, begin, end)
                bucket["list"].extend(answer.get("list") or [])
                self.log(session, name, begin, end, len(answer.get("list") or []),
                         not legacy_is_final(end, now))
                self.step(f"账号概况（旧版）{begin} 至 {end}")
        rows = parse.legacy_biz(reads, shares)
        for row in rows:
            store.save_biz(session, account, [row], not legacy_is_final(row["ref_date"], now),
                           self.rt.clock.now())
        session.commit()
        self.report.biz_days += len(rows)


log = logging.getLogger("wxpub.stats")

_NEW_FAMILY = {"getarticletotaldetail", "getarticleread", "getarticleshare", "getbizsummary"}


def _wechat_now(wechat, runtime):
    """WeChat's current time when it can tell us, else our own clock."""
    server_now = getattr(wechat, "server_now", None)
    if server_now is None:
        return runtime.clock.now()
    try:
        return server_now() or runtime.clock.now()
    except Exception as error:  # noqa: BLE001 - a failed probe must not stop the pull
        log.warning("could not read WeChat's clock (%s); using ours", type(error).__name__)
        return runtime.clock.now()


def pull(runtime, since: date | None = None, progress: Progress | None = None, *, wechat=None,
         sleep=time.sleep, retries: int = 3, backoff: float = 1.0) -> PullReport:
    """Pull WeChat statistics into the database; ``since`` backfills from that day.

    Without ``since`` the window is the last 30 days up to yesterday (Beijing). ``progress`` is
    called as ``progress(done, total, label)`` after each step. Returns a ``PullReport``;
    raises ``StatsPullError`` when WeChat refuses for good or keeps failing.
    """
    if wechat is None:
        from wxpub.wechat import WeChat
        wechat = WeChat(runtime.settings, runtime.db, clock=runtime.clock)
    # "Yesterday" is WeChat's yesterday: its clock decides which days have statistics (a server
    # whose clock runs ahead would otherwise ask for a day WeChat calls today and get 61501).
    last = last_pullable_day(_wechat_now(wechat, runtime))
    first = clamp_first(since if since is not None else last - timedelta(days=REVISION_DAYS - 1))
    window = days_between(first, last)
    puller = _Puller(runtime, wechat, progress, sleep, retries, backoff)
    if not window:
        return puller.report
    puller.report.first_day, puller.report.last_day = first, last
    with runtime.db.session() as session:
        account = store.account_id(session, runtime.settings.appid)
        session.commit()
        try:
            puller.articles_new(session, window, last)
        except _Unauthorized:
            puller.report.legacy.append("文章数据")
            puller.articles_legacy(session, window, last)
        try:
            puller.biz_new(session, window, account)
        except _Unauthorized:
            puller.report.legacy.append("账号概况")
            puller.biz_legacy(session, window, account)
        puller.report.linked = store.map_releases(session)
        session.commit()
    return puller.report
