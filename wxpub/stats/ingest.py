"""The statistics pull: plan the datacube calls, check a back-fill against the quota, fetch, store.

``pull(runtime, since=None, progress=None)`` is what the scheduler's daily job and
``wxpub stats pull`` call. Only WeChat's new 发表内容 family is used (the legacy endpoints answer
47009 since 2026, reference §0a.1; there is no fallback to them). One pull:

1. articles — getarticletotaldetail for every publish day of the last 30 days (their figures
   still change), getarticleread + getarticleshare for each day not yet final (one day a call);
2. account — getbizsummary (≤30 days a call);
3. links every msgid to its release, article, chapter and series.

A (endpoint, day) counts as done only once WeChat answered it with ``is_delay`` false; provisional
answers are stored flagged and asked again next time. Every call is logged in ``StatPull``.
Transient errors are retried ``retries`` times with backoff; a permanent one (48001 no permission,
47009 offline, 45009 quota used up, …) or retries used up stops the pull at once with
``StatsPullError`` whose message explains it and ends with WeChat's rid.

One pull is one transaction, in phases: *plan* — one short read-only session learns from the call
log which (endpoint, day) are already final (``wxpub.stats.budget``); *check* — a back-fill
(``since`` given) reads today's quota of each endpoint it uses and is refused (``QuotaRefused``,
no datacube call, nothing stored) when it would spend more than ``settings.stats_quota_share`` of
it; *fetch* — every WeChat call, with no database session open, answers and log entries kept in
memory (``wxpub.stats.batch``); *store* — one session writes the statistics, the call log and the
msgid → release mapping and commits once at the end. A failed pull stores nothing, not even its
call log: the next pull asks again, and since every write is idempotent that costs only the calls.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from wxpub.stats import budget, parse, store
from wxpub.stats.batch import Batch
from wxpub.stats.budget import CLAMP_NOTE, Plan
from wxpub.stats.failures import QuotaRefused, StatsPullError, describe_error
from wxpub.stats.dates import days_between
from wxpub.wechat.errors import PermanentWeChatError, TransientWeChatError

Progress = Callable[[int, int, str], None]

log = logging.getLogger("wxpub.stats")

__all__ = ["pull", "PullReport", "StatsPullError", "QuotaRefused", "record_failure"]


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
    linked: int = 0
    clamped_from: date | None = None  # the --since before 2025-11-01 that was moved to it

    def summary(self) -> str:
        """A one-paragraph Chinese summary for staff."""
        note = f"{CLAMP_NOTE}（--since {self.clamped_from}）。" if self.clamped_from else ""
        if self.first_day is None:
            return note + "没有需要拉取的统计数据。"
        text = (f"{note}统计数据已更新（{self.first_day} 至 {self.last_day}）：调用微信接口 {self.calls} 次，"
                f"文章数据 {self.articles} 条，每日数据 {self.daily_rows} 条，账号概况 {self.biz_days} 天，"
                f"新关联到发布记录 {self.linked} 篇。")
        if self.retries:
            text += f"临时故障重试 {self.retries} 次。"
        if self.delayed:
            days = "、".join(d.isoformat() for d in sorted(self.delayed)[:5])
            more = " 等" if len(self.delayed) > 5 else ""
            text += f"其中 {len(self.delayed)} 天为微信尚未最终确定的临时数据（{days}{more}），下次拉取时会更新。"
        return text


class _Puller:
    """The fetch phase: every WeChat call of one plan, with no database session open.

    Collects answers and call-log entries into ``batch``.
    """

    def __init__(self, runtime, wx, progress: Progress | None, sleep, retries: int, backoff: float):
        self.rt, self.wx, self.progress = runtime, wx, progress
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
                        f"请稍后重新运行 wxpub stats pull。最后一次：{describe_error(error)}") from error
                self.report.retries += 1
                self.sleep(self.backoff * (2 ** attempt))
                continue
            except PermanentWeChatError as error:
                # 48001, 47009, 45009 and the rest: retrying (or an offline endpoint) cannot help.
                self._failed(endpoint, begin, end, error)
                raise StatsPullError(f"统计拉取中止：{endpoint}（{begin} 至 {end}）失败：{describe_error(error)}") \
                    from error
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _failed(self, endpoint, begin, end, error) -> None:
        code = error.errcode if error.errcode is not None else -1
        rid = getattr(error, "rid", None)
        log.warning("datacube %s %s..%s failed (errcode %s, rid %s)", endpoint, begin, end, code, rid)
        self.batch.call(endpoint, begin, end, errcode=code, rid=rid, at=self.rt.clock.now())

    def step(self, label: str) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total, label)

    def log(self, endpoint, begin, end, rows, delayed) -> None:
        self.batch.call(endpoint, begin, end, rows=rows, is_delay=delayed, at=self.rt.clock.now())
        if delayed:
            self.report.delayed.update(days_between(begin, end))

    # ----- the plan, call by call -----
    def fetch(self, plan: Plan) -> None:
        self.total = len(plan.total_days) + len(plan.read_days) + len(plan.biz_ranges)
        for day in plan.total_days:
            answer = self.call("getarticletotaldetail", day, day)
            articles, daily = parse.total_detail(answer)
            delayed = bool(answer.get("is_delay"))
            now = self.rt.clock.now()
            self.batch.articles(articles, now)
            self.batch.daily_engagement(daily, delayed, now)
            self.log("getarticletotaldetail", day, day, len(articles), delayed)
            self.report.articles += len(articles)
            self.step(f"文章累计数据 {day}")
        for day in plan.read_days:
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
        for begin, end in plan.biz_ranges:
            answer = self.call("getbizsummary", begin, end)
            rows = parse.biz_days(answer)
            delayed = bool(answer.get("is_delay"))
            self.batch.biz(rows, delayed, self.rt.clock.now())
            self.log("getbizsummary", begin, end, len(rows), delayed)
            self.report.biz_days += len(rows)
            self.step(f"账号概况 {begin} 至 {end}")


def account_of(runtime, key: str | None):
    """(id, WeChat facade) of the account named ``key``, or of the environment's (id None while
    it is not registered yet: the pull's one store transaction registers it)."""
    from sqlalchemy import select

    from wxpub.accounts import registry
    from wxpub.models import Account

    with runtime.db.session() as session:
        if key:
            row = registry.find(session, key)
            return row.id, runtime.wechat_for(row)
        found = session.scalar(select(Account.id).where(Account.appid == runtime.settings.appid))
        return found, runtime.wechat


def record_failure(runtime, batch: Batch, account_id: int | None = None) -> None:
    """A failed pull stores none of its figures; this separate, small use case records the call
    that stopped it, so the dashboard tells staff that the figures are stale and why. Error rows
    never count as answers when the next pull plans its calls."""
    failed = [c for c in batch.calls if c.errcode is not None][-1:]
    with runtime.db.session() as session:
        for c in failed:
            store.log_pull(session, c.endpoint, c.begin, c.end, errcode=c.errcode, rid=c.rid, now=c.at,
                           account_id=account_id)
        session.commit()


def pull(runtime, since: date | None = None, progress: Progress | None = None, *, wechat=None,
         sleep=time.sleep, retries: int = 3, backoff: float = 1.0,
         announce: Callable[[str], None] | None = None, account: str | None = None) -> PullReport:
    """Pull WeChat statistics into the database; ``since`` back-fills from that day.

    Without ``since`` the window is the last 30 days up to yesterday (Beijing). A ``since`` before
    2025-11-01 starts at 2025-11-01 (the report says so). A back-fill first reads today's quota of
    every endpoint it will call and raises ``QuotaRefused`` (no datacube call, nothing stored) when
    it would use more than ``settings.stats_quota_share`` of one; otherwise ``announce`` (if given)
    receives what it will do before the first call. ``progress`` is called as
    ``progress(done, total, label)`` after each step. Returns a ``PullReport``; raises
    ``StatsPullError`` when WeChat refuses for good or keeps failing (nothing is stored).

    ``account`` (code, name or AppID) names the account pulled, on its own token and quota and into
    its own figures; by default the environment's (registered on first use).
    """
    account_id, facade = account_of(runtime, account)
    if wechat is None:
        wechat = facade
    # 1. Plan: what the call log already knows, in one short read-only session.
    plan = budget.plan_pull(runtime, since, wechat=wechat, account_id=account_id)
    clamped = since if plan.clamped else None
    if plan.first_day is None:
        return PullReport(clamped_from=clamped)
    # 2. Check: a back-fill never spends more than its share of today's quota.
    if since is not None:
        verdict = plan.check(budget.read_quotas(wechat, plan), runtime.settings.stats_quota_share)
        if not verdict.allowed:
            raise QuotaRefused(verdict.refusal())
        if announce is not None:
            announce(verdict.announcement())
    # 3. Fetch: every WeChat call, with no session open; answers are kept in memory.
    puller = _Puller(runtime, wechat, progress, sleep, retries, backoff)
    report = puller.report
    report.first_day, report.last_day, report.clamped_from = plan.first_day, plan.last_day, clamped
    try:
        puller.fetch(plan)
    except StatsPullError:
        record_failure(runtime, puller.batch, account_id)
        raise
    # 4. Store: everything in one transaction, committed once.
    with runtime.db.session() as session:
        if account_id is None:
            from wxpub.accounts import registry
            account_id = registry.default_account(session, runtime.settings).id
        report.linked = puller.batch.store(session, account_id)
        session.commit()
    return report
