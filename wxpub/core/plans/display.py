"""The text ``wxpub plan show FILE`` prints: one line per release, then the issues."""

from __future__ import annotations

import unicodedata
from zoneinfo import ZoneInfo

from wxpub.core.plans.calendar import WEEKDAYS_ZH
from wxpub.core.plans.expand import is_day_based
from wxpub.core.plans.model import (ACCOUNT_TYPE_LABELS, ERROR, MODE_LABELS, MOVED_BY_HAND, SEVERITY_LABELS,
                                    WARNING, Plan, PlanIssue, PlannedRelease)
from wxpub.core.plans.validate import interval_text
from wxpub.core.release_states import state_name


def _width(text: str) -> int:
    """Columns a terminal uses for ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _local(value, tz) -> str:
    local = value.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {WEEKDAYS_ZH[local.weekday()]}"


def describe_schedule(plan: Plan) -> str:
    """The plan's rhythm in one Chinese phrase, e.g. ``每 7 天 09:00，仅工作日``."""
    if plan.cron:
        rule = f"cron “{plan.cron}”"
    elif plan.interval is not None:
        rule = f"每 {interval_text(plan.interval)}"
        if is_day_based(plan.interval) and plan.time_of_day is not None:
            rule += f" {plan.time_of_day:%H:%M}"
    else:
        rule = "每篇单独指定时间"
    if plan.start is not None and (plan.cron or plan.interval is not None):
        rule = f"自 {plan.start:%Y-%m-%d %H:%M} 起{rule}"
    if plan.workdays_only:
        rule += "，仅工作日（按法定节假日与调休顺延）"
    if plan.blackout:
        spans = "、".join(str(b.first) if b.first == b.last else f"{b.first}～{b.last}"
                          for b in plan.blackout)
        rule += f"，停发 {spans}"
    return rule


def skip_note(release: PlannedRelease) -> str:
    """What a plan does with a release that is already out (``已发布，跳过``) or was moved by hand."""
    if release.done == MOVED_BY_HAND:
        return "已在发布页面手动改期，保留该时间"
    return f"{state_name(release.done)}，跳过"


def format_calendar(plan: Plan, releases: list[PlannedRelease], issues: list[PlanIssue],
                    tz: ZoneInfo | str | None = None) -> str:
    """Plain-text calendar of ``releases`` shown in ``tz`` (default: the plan's timezone).

    Columns: 序号, 篇章, 本地时间 (with the Chinese weekday), 方式 (发布/群发), and a 说明 column
    when a release was moved or has its own time. A release already out or in flight (``done``)
    shows its own time and ``已发布，跳过`` / ``发布中，跳过``. Errors are listed before warnings.
    """
    if tz is None:
        tz = plan.timezone
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    account_type = ACCOUNT_TYPE_LABELS.get(plan.account_type, plan.account_type)
    lines = [
        f"系列：{plan.series}",
        f"公众号：{plan.account}（{account_type}）  默认方式：{MODE_LABELS.get(plan.mode, plan.mode)}"
        f"  时区：{getattr(zone, 'key', str(zone))}",
        f"排期：{describe_schedule(plan)}",
        "",
    ]
    rows = [("序号", "篇章", "本地时间", "方式", "说明")]
    for release in releases:
        note = ""
        if release.done:
            note = skip_note(release)
        elif release.explicit:
            note = "单独指定时间"
        elif release.moved_from is not None:
            note = f"原定 {_local(release.moved_from, zone)}，因{release.moved_because}顺延"
        rows.append((str(release.index), release.label, _local(release.effective_at, zone),
                     MODE_LABELS.get(release.mode, release.mode), note))
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [_pad(cell, width) for cell, width in zip(row[:4], widths)]
        lines.append("  ".join(cells + [row[4]]).rstrip())
    if not releases:
        lines.append("（没有任何发布）")
    skipped = sum(1 for r in releases if r.done and r.done != MOVED_BY_HAND)
    if skipped:
        lines.append(f"其中 {skipped} 篇已发布或正在发布，应用计划时跳过，不作任何改动。")
    kept = sum(1 for r in releases if r.done == MOVED_BY_HAND)
    if kept:
        lines.append(f"其中 {kept} 篇已手动改期，应用计划时保留改期后的时间（要再改，请在该发布的页面改期）。")
    lines.append("")
    errors = [i for i in issues if i.severity == ERROR]
    warnings = [i for i in issues if i.severity == WARNING]
    if not issues:
        lines.append("检查通过：没有错误，也没有警告。")
    else:
        lines.append(f"问题：{len(errors)} 个错误，{len(warnings)} 个警告")
        for issue in errors + warnings:
            where = f"[{issue.chapter}] " if issue.chapter else ""
            at_line = f"（第 {issue.line} 行）" if issue.line else ""
            lines.append(f"  {SEVERITY_LABELS[issue.severity]} {where}{issue.message}{at_line}")
    return "\n".join(lines) + "\n"
