"""Planning a statistics pull before it makes any call, and checking the plan against WeChat's quota.

Every datacube endpoint has a daily call quota (1000 for a new account, reference §8, §0a.5), shared
with everything else that uses the account's AppID that day. A back-fill covers many days and the
new 发表内容 family allows only one day per call for three of its four endpoints, so a long
back-fill could spend the day's quota and leave the daily pull (and anyone else) refused with 45009.

``plan_pull(runtime, since)`` lists every call a pull would make (per endpoint: which days) from the
call log, without calling datacube; ``read_quotas(wechat, plan)`` reads today's quota of each
endpoint the plan uses (``openapi/quota/get``); ``plan.check(quotas, share)`` says whether the plan
stays within ``min(remain, floor(share × daily_limit))`` for every endpoint and words the answer
for staff. The pull, the CLI (``--dry-run``) and later the web or API use the same three steps.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from wxpub.stats.batch import Known
from wxpub.stats.failures import StatsPullError, describe_error
from wxpub.wechat.errors import WeChatError
from wxpub.stats.dates import FIRST_DAY, MAX_SPAN, REVISION_DAYS, chunks, clamp_first, days_between, \
    last_pullable_day

#: The order a pull makes its calls in (and the order staff read them in).
ENDPOINTS = ("getarticletotaldetail", "getarticleread", "getarticleshare", "getbizsummary")
CLAMP_NOTE = "微信只保存 2025-11-01 以后的统计数据，已从该日开始"

log = logging.getLogger("wxpub.stats")


def cgi_path(endpoint: str) -> str:
    """The path ``openapi/quota/get`` knows an endpoint by."""
    return f"/datacube/{endpoint}"


@dataclass(frozen=True)
class Quota:
    """Today's quota of one endpoint as WeChat reported it."""

    endpoint: str
    daily_limit: int
    used: int
    remain: int

    def allowed(self, share: float) -> int:
        """Calls a back-fill may make today: what remains, and at most ``share`` of the day's limit."""
        return max(0, min(self.remain, math.floor(share * self.daily_limit + 1e-9)))

    def text(self, share: float) -> str:
        """``"已用 12 / 1000 次、剩余 988 次、补拉最多可用 500 次"``."""
        return (f"已用 {self.used} / {self.daily_limit} 次、剩余 {self.remain} 次、"
                f"补拉最多可用 {self.allowed(share)} 次")


@dataclass(frozen=True)
class Plan:
    """Every datacube call one pull would make, worked out before making any.

    ``total_days``: days asked of getarticletotaldetail; ``read_days``: days asked of both
    getarticleread and getarticleshare; ``biz_ranges``: getbizsummary's (begin, end) ranges.
    """

    requested: date | None
    first_day: date | None
    last_day: date | None
    total_days: tuple[date, ...] = ()
    read_days: tuple[date, ...] = ()
    biz_ranges: tuple[tuple[date, date], ...] = ()
    known: Known | None = field(default=None, repr=False, compare=False)

    @property
    def clamped(self) -> bool:
        """True when the requested first day was before 2025-11-01 and was moved to it."""
        return self.requested is not None and self.requested < FIRST_DAY

    @property
    def calls(self) -> dict[str, int]:
        """Planned calls per endpoint (endpoints with none left out), in call order."""
        counts = {"getarticletotaldetail": len(self.total_days), "getarticleread": len(self.read_days),
                  "getarticleshare": len(self.read_days), "getbizsummary": len(self.biz_ranges)}
        return {name: counts[name] for name in ENDPOINTS if counts[name]}

    @property
    def total(self) -> int:
        """All planned calls."""
        return sum(self.calls.values())

    def describe(self) -> str:
        """``"将调用微信统计接口 N 次（getarticletotaldetail a 次、…）"`` (with the 2025-11-01 note)."""
        note = f"{CLAMP_NOTE}（--since {self.requested}）。" if self.clamped else ""
        if not self.total:
            return note + "没有需要调用的微信统计接口：这段时间的数据都已拉取。"
        parts = "、".join(f"{name} {count} 次" for name, count in self.calls.items())
        return f"{note}将调用微信统计接口 {self.total} 次（{parts}），范围 {self.first_day} 至 {self.last_day}"

    def check(self, quotas: dict[str, Quota], share: float) -> "Verdict":
        """Compare the plan with today's quotas; a refusal names every endpoint over its share."""
        over = [(name, count, quotas[name]) for name, count in self.calls.items()
                if count > quotas[name].allowed(share)]
        return Verdict(self, quotas, share, over)

    def narrowed(self, first: date) -> "Plan":
        """The same plan for a later first day (what ``--since first`` would ask)."""
        return schedule(self.known, first, self.last_day, self.requested)


@dataclass(frozen=True)
class Verdict:
    """A plan checked against today's quotas: ``allowed``, and the words for staff either way."""

    plan: Plan
    quotas: dict[str, Quota]
    share: float
    over: list[tuple[str, int, Quota]]

    @property
    def allowed(self) -> bool:
        """True when no endpoint would spend more than its allowed calls."""
        return not self.over

    def announcement(self) -> str:
        """What the pull will do and today's quota of every endpoint it uses."""
        if not self.plan.total:
            return self.plan.describe()
        quota = "；".join(f"{name} {self.quotas[name].text(self.share)}" for name in self.plan.calls)
        return (f"{self.plan.describe()}。今日额度：{quota}"
                f"（补拉最多用当日额度的 {self.share:.0%}）。")

    def refusal(self) -> str:
        """Why the back-fill was refused and what to do instead."""
        lines = "；".join(
            f"{name} 计划调用 {count} 次，超过允许的 {quota.allowed(self.share)} 次（今日额度 "
            f"{quota.daily_limit} 次，已用 {quota.used} 次，剩余 {quota.remain} 次，补拉最多用当日额度的 "
            f"{self.share:.0%}）" for name, count, quota in self.over)
        later = self.latest_fitting_since()
        hint = f"把 --since 改晚一些（--since {later} 以后在今日额度之内）" if later else "把 --since 改晚一些"
        note = f"{CLAMP_NOTE}（--since {self.plan.requested}）。" if self.plan.clamped else ""
        return (f"{note}统计补拉已取消，没有调用任何微信统计接口，也没有保存数据：{lines}。"
                f"可以：{hint}；或明天再补拉（额度在北京时间零点恢复，已拉取的日期不会重复调用）；"
                f"或调高 WXPUB_STATS_QUOTA_SHARE（当前 {self.share:g}，最高 1）。")

    def latest_fitting_since(self) -> date | None:
        """The earliest first day whose plan fits today's quotas (None if not even yesterday fits).

        Later first days never plan more calls, so a binary search over the window finds it.
        """
        first, last = self.plan.first_day, self.plan.last_day
        if self.plan.known is None or first is None or last is None:
            return None

        def fits(day: date) -> bool:
            return self.plan.narrowed(day).check(self.quotas, self.share).allowed

        low, high = 0, (last - first).days
        if not fits(first + timedelta(days=high)):
            return None
        while low < high:
            middle = (low + high) // 2
            if fits(first + timedelta(days=middle)):
                high = middle
            else:
                low = middle + 1
        return first + timedelta(days=low)


def schedule(known: Known, first: date, last: date, requested: date | None = None) -> Plan:
    """The calls of a pull over [first, last] given what the call log already ``known`` (pure).

    getarticletotaldetail: every day not final yet, and the last 30 days' days that listed articles
    (their totals still grow); getarticleread + getarticleshare: every day either lacks;
    getbizsummary: the days it lacks, in ranges of at most 30 days.
    """
    window = days_between(first, last)
    if not window:
        return Plan(requested, None, None, known=known)
    total_days = known.todo("getarticletotaldetail", window, last - timedelta(days=REVISION_DAYS - 1))
    read_days = sorted(set(known.todo("getarticleread", window)) | set(known.todo("getarticleshare", window)))
    biz_ranges = chunks(known.todo("getbizsummary", window), MAX_SPAN["getbizsummary"])
    return Plan(requested, first, last, tuple(total_days), tuple(read_days), tuple(biz_ranges), known)


def plan_pull(runtime, since: date | None = None, *, wechat=None, account_id: int | None = None) -> Plan:
    """Plan the pull ``wxpub.stats.ingest.pull(runtime, since)`` would make; calls no datacube.

    Without ``since`` the window is the last 30 days up to yesterday (WeChat's yesterday: asks
    WeChat's clock, one cheap call); a ``since`` before 2025-11-01 is moved to it (``plan.clamped``).
    Reads the call log (of ``account_id``: every account's when None) in one short read-only session.
    """
    wechat = runtime.wechat if wechat is None else wechat
    last = last_pullable_day(wechat_now(wechat, runtime))
    first = clamp_first(since if since is not None else last - timedelta(days=REVISION_DAYS - 1))
    window = days_between(first, last)
    if not window:
        return Plan(since, None, None)
    with runtime.db.session() as session:
        known = Known.read(session, window, account_id)
    return schedule(known, first, last, since)


def read_quotas(wechat, plan: Plan) -> dict[str, Quota]:
    """Today's quota of every endpoint ``plan`` calls (``openapi/quota/get``, one call each).

    Raises ``StatsPullError`` when WeChat does not tell: a back-fill never spends blind.
    """
    quotas = {}
    for name in plan.calls:
        try:
            answer = wechat.openapi.quota(cgi_path(name)).get("quota") or {}
            quotas[name] = Quota(name, int(answer["daily_limit"]), int(answer["used"]), int(answer["remain"]))
        except WeChatError as error:
            raise StatsPullError(f"统计补拉已取消，没有调用任何微信统计接口：读不到 {name} 今天的调用额度，"
                                 f"补拉前必须先确认额度。{describe_error(error)}") from error
        except (KeyError, TypeError, ValueError) as error:
            raise StatsPullError(f"统计补拉已取消，没有调用任何微信统计接口：微信返回的 {name} 调用额度"
                                 f"格式不对（{error!r}），补拉前必须先确认额度，请联系技术人员。") from error
    return quotas


def wechat_now(wechat, runtime):
    """WeChat's current time when it can tell us, else our own clock.

    "Yesterday" is WeChat's yesterday: its clock decides which days have statistics (a server whose
    clock runs ahead would otherwise ask for a day WeChat calls today and get 61501). The shared
    facade remembers the ``Date`` of its last answer, which may predate a jump of the sandbox's
    clock: ``fresh`` makes it ask once more (a refusal carries a Date too).
    """
    server_now = getattr(wechat, "server_now", None)
    if server_now is None:
        return runtime.clock.now()
    try:
        return server_now(fresh=True) or runtime.clock.now()
    except Exception as error:  # noqa: BLE001 - a failed probe must not stop the pull
        log.warning("could not read WeChat's clock (%s); using ours", type(error).__name__)
        return runtime.clock.now()
