"""Checking a plan and its releases: errors block scheduling, warnings must be seen by staff.

Quota days and months are counted in Beijing time whatever the plan's timezone, because that is
the clock WeChat counts mass-send quota by.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wxpub.core.plans.calendar import NONE, OFFICE, WEEKDAYS_ZH, package_last_year
from wxpub.core.plans.cron import CronSyntaxError, cron_trigger
from wxpub.core.plans.model import (is_day_based, ACCOUNT_TYPES, ERROR, MASS_SEND, MODES, SERVICE, SUBSCRIPTION,
                    TITLE_FIELDS, WARNING, Plan, PlanIssue, PlannedRelease)
from wxpub.core.render.titles import template_problem

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_GAP = timedelta(days=14)
SERVICE_MONTHLY_MASS_SENDS = 4  # each follower of a service account: four a calendar month
SUBSCRIPTION_DAILY_MASS_SENDS = 1  # a subscription account: once a Beijing day
TITLE_LIMIT = 32


def structural_issues(plan: Plan) -> list[PlanIssue]:
    """Rules about the plan's own settings; ``code`` starts with the plan key concerned."""
    issues = []

    def error(code: str, message: str) -> None:
        issues.append(PlanIssue(ERROR, message, code=code))

    try:
        tz = ZoneInfo(plan.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = None
        error("timezone", f"时区“{plan.timezone}”无效，应写 IANA 时区名，例如 Asia/Shanghai")
    if plan.cron and tz is not None:
        try:
            cron_trigger(plan.cron, tz)
        except CronSyntaxError as exc:
            error("cron", str(exc))
    problem = template_problem(plan.title_template, TITLE_FIELDS)
    if problem:
        error("title_template", problem)
    if plan.mode not in MODES:
        error("mode", f"发送方式“{plan.mode}”无效，可选 publish（发布）或 mass_send（群发）")
    if plan.account_type not in ACCOUNT_TYPES:
        error("account_type", f"账号类型“{plan.account_type}”无效，可选 subscription（订阅号）或 service（服务号）")
    if not plan.chapters:
        error("chapters", "计划没有任何篇章")
    needs_schedule = any(entry.at is None for entry in plan.chapters)
    if plan.interval is not None and plan.interval <= timedelta(0):
        error("interval", f"间隔必须大于 0（现在是 {_interval_text(plan.interval)}）")
    if plan.interval is not None and plan.cron:
        error("interval", "interval 和 cron 只能二选一")
    elif plan.interval is None and not plan.cron and needs_schedule:
        error("chapters", "没有排期规则：请写 interval 或 cron，或者为每个篇章写明 at")
    if (plan.interval is not None or plan.cron) and needs_schedule and plan.start is None:
        error("start", "缺少开始时间 start")
    if plan.time_of_day is not None:
        if plan.cron:
            error("time_of_day", "time_of_day 不能与 cron 同时使用：cron 已规定发布时刻")
        elif plan.interval is not None and plan.interval > timedelta(0) \
                and not is_day_based(plan.interval):
            error("time_of_day", f"time_of_day 只适用于按天计的间隔（如 1d、7d），不适用于 "
                                 f"{_interval_text(plan.interval)}")
    return issues


def validate(plan: Plan, releases: list[PlannedRelease], *, now: datetime,
             known_chapters: dict[str, int] | None = None,
             existing_mass_sends: Iterable[datetime] = ()) -> list[PlanIssue]:
    """Every error and warning about ``releases`` (from ``expand``) at time ``now``.

    ``known_chapters`` maps chapter name → number of selected cases (from the case library);
    ``existing_mass_sends`` are mass sends of the same account outside this plan (already sent or
    planned by another series, and this plan's own mass sends that are already out) so the quota
    is counted across them. Releases marked ``done`` (``mark_done``: published or in flight) are
    skipped: their time lying in the past is no error, and they are not counted twice; gaps and
    order are checked with their real times.
    """
    issues = list(structural_issues(plan))
    lines: dict = {}  # (name, part) and name → line of the first such chapter in the file
    for entry in plan.chapters:
        lines.setdefault((entry.name, entry.part), entry.line)
        lines.setdefault(entry.name, entry.line)

    def add(severity: str, code: str, message: str, release: PlannedRelease | None = None,
            chapter: str | None = None, line: int | None = None) -> None:
        if release is not None:
            chapter, line = release.chapter, lines.get((release.chapter, release.part))
        issues.append(PlanIssue(severity, message, chapter, line or lines.get(chapter), code))

    # A chapter that only has releases already out needs nothing more from the case library.
    out = {r.chapter for r in releases if r.done} - {r.chapter for r in releases if not r.done}
    _check_chapters(plan, known_chapters, add, out)
    for release in releases:
        if not release.done:
            _check_release(plan, release, now, add)
    _check_quota(plan, releases, existing_mass_sends, add)
    _check_gaps_and_order(releases, add)
    return issues


def _check_chapters(plan: Plan, known_chapters, add, out: set[str]) -> None:
    seen = Counter((entry.name, entry.part) for entry in plan.chapters)
    first_lines: dict = {}
    for entry in plan.chapters:
        ident = (entry.name, entry.part)
        if ident not in first_lines:
            first_lines[ident] = entry.line
        elif first_lines[ident] != "reported":
            first_lines[ident] = "reported"
            add(ERROR, "duplicate", f"篇章“{entry.label}”在计划中出现了 {seen[ident]} 次："
                                    "同一篇章只能排一次（分期请用 part 区分）",
                chapter=entry.name, line=entry.line)
    if known_chapters is None:
        return
    for name in dict.fromkeys(entry.name for entry in plan.chapters):
        if name in out:
            continue
        if name not in known_chapters:
            known = "、".join(known_chapters) or "（案例库里还没有篇章）"
            add(ERROR, "unknown_chapter", f"未知篇章“{name}”：案例库中没有这个篇章（现有：{known}）",
                chapter=name)
        elif known_chapters[name] <= 0:
            add(ERROR, "empty_chapter", f"篇章“{name}”还没有选入任何案例，发出去会是空文章", chapter=name)


def _check_release(plan: Plan, release: PlannedRelease, now: datetime, add) -> None:
    local = release.local_time
    when = f"{local:%Y-%m-%d %H:%M} {WEEKDAYS_ZH[local.weekday()]}"
    if release.scheduled_at <= now:
        add(ERROR, "past", f"“{release.label}”的发布时间 {when} 已经过去"
                           f"（现在是 {now.astimezone(local.tzinfo):%Y-%m-%d %H:%M}），这一篇并未发出："
                           "请把它改到以后（调整 start，或为这一篇写 at），"
                           "或从计划中删去这一篇（应用后它的发布记录会被取消）", release)
    if len(release.title) > TITLE_LIMIT:
        add(ERROR, "title_too_long", f"标题“{release.title}”有 {len(release.title)} 字，"
                                     f"超过微信 {TITLE_LIMIT} 字上限", release)
    day = local.date()
    if release.calendar == NONE:
        latest = package_last_year() or "?"
        if plan.workdays_only:
            effect = "暂按周一至周五为工作日排期，调休无法核对"
        else:
            effect = "无法核对当天是否为法定节假日或调休"
        office = (f"节假日文件 {plan.holidays_file} 也未覆盖 {day.year} 年" if plan.holidays_file
                  else "计划没有指定办公室节假日文件 holidays_file")
        add(WARNING, "beyond_calendar",
            f"“{release.label}”在 {when}：{day.year} 年超出节假日数据范围（chinese_calendar 只到 "
            f"{latest} 年），{office}；{effect}。国务院公布安排后请补充节假日文件", release)
    elif release.calendar == OFFICE:
        add(WARNING, "office_calendar",
            f"“{release.label}”在 {when}：{day.year} 年的节假日与调休按办公室节假日文件"
            f"{' ' + plan.holidays_file + ' ' if plan.holidays_file else ''}核对（chinese_calendar 无该年数据），"
            "请确认它与国务院公告一致", release)
    if release.explicit:
        for blackout in plan.blackout:
            if blackout.covers(day):
                add(ERROR, "at_blackout", f"“{release.label}”指定的时间 {when} 落在停发日期"
                                          f"{blackout.first}～{blackout.last}内", release)
        if plan.workdays_only and not release.workday:
            add(WARNING, "at_non_workday", f"“{release.label}”指定的时间 {when} 不是工作日"
                                           f"{'（' + release.holiday + '）' if release.holiday else ''}，"
                                           "计划要求仅工作日发布", release)
    if not plan.workdays_only:
        if release.holiday:
            add(WARNING, "holiday", f"“{release.label}”在 {when}，是{release.holiday}假期", release)
        elif local.weekday() >= 5:
            note = "（当天是调休上班日）" if release.adjusted_workday else ""
            add(WARNING, "weekend", f"“{release.label}”在 {when}，是周末{note}；"
                                    "计划未限定工作日（workdays_only: false）", release)


def _check_quota(plan: Plan, releases, existing_mass_sends, add) -> None:
    ours = [r for r in releases if r.mode == MASS_SEND and not r.done]
    if not ours:
        return
    others = [t for t in existing_mass_sends]
    if plan.account_type == SUBSCRIPTION:
        def bucket(t): return t.astimezone(BEIJING).date()
    elif plan.account_type == SERVICE:
        def bucket(t): return t.astimezone(BEIJING).strftime("%Y-%m")
    else:
        return
    counts = Counter(bucket(t) for t in others)
    groups: dict = defaultdict(list)
    for release in ours:
        groups[bucket(release.scheduled_at)].append(release)
    for period, members in groups.items():
        total = counts[period] + len(members)
        names = "、".join(f"“{r.label}”" for r in members)
        extra = f"（另有 {counts[period]} 次已在别处安排）" if counts[period] else ""
        if plan.account_type == SUBSCRIPTION and total > SUBSCRIPTION_DAILY_MASS_SENDS:
            for release in members:
                add(ERROR, "mass_daily", f"北京时间 {period} 共有 {total} 次群发：{names}{extra}；"
                                         "订阅号每天只能群发 1 次", release)
        elif plan.account_type == SERVICE and total > SERVICE_MONTHLY_MASS_SENDS:
            year, month = period.split("-")
            for release in members:
                add(ERROR, "mass_monthly", f"{year}年{int(month)}月共有 {total} 次群发{extra}："
                                           f"服务号每位粉丝每月最多收到 {SERVICE_MONTHLY_MASS_SENDS} 次，"
                                           "超出的粉丝收不到", release)


def _check_gaps_and_order(releases: list[PlannedRelease], add) -> None:
    ordered = sorted(releases, key=lambda r: r.effective_at)
    for before, after in zip(ordered, ordered[1:]):
        gap = after.effective_at - before.effective_at
        if gap > MAX_GAP:
            add(WARNING, "gap", f"“{before.label}”与“{after.label}”相隔 {gap.days} 天"
                                f"{'多' if gap % timedelta(days=1) else ''}：政务新媒体超过 14 天不更新，"
                                "检查时会被判为不合格", after)
    for before, after in zip(releases, releases[1:]):
        if after.effective_at < before.effective_at:
            local = after.effective_at.astimezone(after.local_time.tzinfo)
            add(WARNING, "order", f"“{after.label}”排在“{before.label}”之后，却更早发布"
                                  f"（{local:%m-%d %H:%M}）：请确认篇章顺序", after)


def _interval_text(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("天", 86400), ("小时", 3600), ("分钟", 60)):
        if seconds and seconds % size == 0:
            return f"{sign}{seconds // size} {unit}"
    return f"{sign}{seconds} 秒"


interval_text = _interval_text
