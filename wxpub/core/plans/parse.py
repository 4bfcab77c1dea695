"""Reading a plan file (YAML) into a ``Plan``; every problem is reported with its line, in Chinese.

Structural rules that need no calendar (timezone, interval, interval-vs-cron …) live in
``validate.structural_issues`` so a plan built in code is held to the same rules; ``load_plan``
runs them too and attaches the line of the offending key.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from wxpub.core.plans import yamlnodes as yn
from wxpub.core.render.titles import template_problem
from wxpub.core.plans.cron import CronSyntaxError, cron_trigger
from wxpub.core.plans.validate import structural_issues
from wxpub.core.plans.model import (ACCOUNT_TYPES, DEFAULT_TIMEZONE, DEFAULT_TITLE_TEMPLATE, ERROR, MASS_SEND,
                    MODES, PUBLISH, SERVICE, SUBSCRIPTION, TITLE_FIELDS, Blackout, ChapterEntry,
                    Plan, PlanError)

TOP_KEYS = ("series", "account", "mode", "account_type", "timezone", "start", "interval", "cron",
            "time_of_day", "workdays_only", "blackout", "holidays_file", "title_template", "theme",
            "chapters")
CHAPTER_KEYS = ("name", "at", "mode", "part")
BLACKOUT_KEYS = ("from", "to", "note")

# Staff may write the Chinese words they use every day.
MODE_ALIASES = {PUBLISH: PUBLISH, "发布": PUBLISH, MASS_SEND: MASS_SEND, "群发": MASS_SEND}
ACCOUNT_TYPE_ALIASES = {SUBSCRIPTION: SUBSCRIPTION, "订阅号": SUBSCRIPTION,
                        SERVICE: SERVICE, "服务号": SERVICE}

_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_INTERVAL_RE = re.compile(r"([+-]?)((?:\d+[wdhms])+)")
_INTERVAL_PART_RE = re.compile(r"(\d+)([wdhms])")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")


def parse_interval(text: str) -> timedelta | None:
    """``7d``, ``2h``, ``90m``, ``30s``, ``1w``, ``1h30m`` (and ``-1d``, ``0d``) → timedelta; else None."""
    match = _INTERVAL_RE.fullmatch(text.replace(" ", "").lower())
    if not match:
        return None
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _INTERVAL_PART_RE.findall(match.group(2)))
    return timedelta(seconds=-seconds if match.group(1) == "-" else seconds)


def parse_time_of_day(text: str) -> time | None:
    """``HH:MM`` → time, or None."""
    match = _TIME_RE.fullmatch(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_local_datetime(text: str, tz: ZoneInfo) -> datetime | None:
    """ISO 8601 date-time (or date) → aware datetime; a naive value is taken in ``tz``."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _date_of(node: yaml.Node):
    text = yn.scalar(node)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).date() if "T" in text or " " in text \
            else datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None


class _Reader:
    """Collects problems while turning nodes into values, so one run reports every mistake."""

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[tuple[int | None, str]] = []

    def fail(self, node: yaml.Node | None, message: str) -> None:
        self.problems.append((yn.line_of(node) if node is not None else None, message))

    def text(self, node: yaml.Node, what: str) -> str | None:
        value = yn.scalar(node)
        if value is None or value == "":
            self.fail(node, f"{what}必须是一段文字，不能为空")
            return None
        return value

    def choice(self, node: yaml.Node, what: str, aliases: dict[str, str]) -> str | None:
        value = self.text(node, what)
        if value is None:
            return None
        if value not in aliases:
            self.fail(node, f"{what}“{value}”无效，可选：{'、'.join(aliases)}")
            return None
        return aliases[value]

    def when(self, node: yaml.Node, what: str, tz: ZoneInfo) -> datetime | None:
        text = self.text(node, what)
        if text is None:
            return None
        value = parse_local_datetime(text, tz)
        if value is None:
            self.fail(node, f"{what}“{text}”不是 ISO 8601 时间，例如 2026-12-03T09:00 或 "
                            "2026-12-03T09:00:00+08:00")
        return value


def load_plan(text: str, filename: str) -> Plan:
    """Parse a plan file; raises ``PlanError`` listing every problem with its line.

    Only the file is read: the holidays file it names is loaded by the caller (``load_holidays``).
    """
    root = yn.compose(text, filename)
    reader = _Reader(filename)
    if root is None or not isinstance(root, yaml.MappingNode):
        raise PlanError(filename, [(yn.line_of(root) if root is not None else None,
                                    "计划文件的最外层必须是“键: 值”的映射（series、account、chapters …）")])
    nodes = yn.mapping(root, TOP_KEYS, reader.problems)
    for required in ("series", "account", "mode", "chapters"):
        if required not in nodes:
            reader.fail(None, f"缺少必填的键“{required}”")

    tz = ZoneInfo(DEFAULT_TIMEZONE)
    tz_name = DEFAULT_TIMEZONE
    if "timezone" in nodes:
        tz_name = reader.text(nodes["timezone"], "时区 timezone") or DEFAULT_TIMEZONE
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # reported by structural_issues below, with this key's line

    fields: dict = {"timezone": tz_name, "filename": filename}
    for key, what in (("series", "系列名 series"), ("account", "公众号 account"),
                      ("holidays_file", "节假日文件 holidays_file"), ("theme", "主题 theme")):
        if key in nodes:
            fields[key] = reader.text(nodes[key], what)
    if "mode" in nodes:
        fields["mode"] = reader.choice(nodes["mode"], "发送方式 mode", MODE_ALIASES)
    if "account_type" in nodes:
        fields["account_type"] = reader.choice(nodes["account_type"], "账号类型 account_type",
                                               ACCOUNT_TYPE_ALIASES) or SUBSCRIPTION
    if "start" in nodes:
        fields["start"] = reader.when(nodes["start"], "开始时间 start", tz)
    if "interval" in nodes:
        raw = reader.text(nodes["interval"], "间隔 interval")
        if raw is not None:
            fields["interval"] = parse_interval(raw)
            if fields["interval"] is None:
                reader.fail(nodes["interval"], f"间隔“{raw}”无法识别，应写成 7d、1d、2h、90m、30s 这样的形式")
    if "cron" in nodes:
        fields["cron"] = _cron(reader, nodes["cron"], tz)
    if "time_of_day" in nodes:
        raw = reader.text(nodes["time_of_day"], "发布时刻 time_of_day")
        if raw is not None:
            fields["time_of_day"] = parse_time_of_day(raw)
            if fields["time_of_day"] is None:
                reader.fail(nodes["time_of_day"], f"发布时刻“{raw}”应写成 HH:MM，例如 \"09:00\"")
    if "workdays_only" in nodes:
        flag = yn.boolean(nodes["workdays_only"])
        if flag is None:
            reader.fail(nodes["workdays_only"], "workdays_only 只能是 true 或 false")
        fields["workdays_only"] = bool(flag)
    if "title_template" in nodes:
        fields["title_template"] = _title_template(reader, nodes["title_template"])
    if "blackout" in nodes:
        fields["blackout"] = _blackouts(reader, nodes["blackout"])
    if "chapters" in nodes:
        fields["chapters"] = _chapters(reader, nodes["chapters"], tz)

    if reader.problems:
        raise PlanError(filename, reader.problems)
    plan = Plan(**{k: v for k, v in fields.items() if v is not None})

    key_lines = {key: yn.line_of(node) for key, node in nodes.items()}
    for issue in structural_issues(plan):
        if issue.severity == ERROR:
            line = issue.line or key_lines.get(issue.code.split(":")[0])
            reader.problems.append((line, issue.message))
    if reader.problems:
        raise PlanError(filename, reader.problems)
    return plan


def _cron(reader: _Reader, node: yaml.Node, tz: ZoneInfo) -> str | None:
    expr = reader.text(node, "cron 表达式")
    if expr is None:
        return None
    try:
        cron_trigger(expr, tz)
    except CronSyntaxError as exc:
        reader.fail(node, str(exc))
        return None
    return expr


def _title_template(reader: _Reader, node: yaml.Node) -> str | None:
    template = reader.text(node, "标题模板 title_template")
    if template is None:
        return None
    problem = template_problem(template, TITLE_FIELDS)
    if problem:
        reader.fail(node, problem)
        return None
    return template or DEFAULT_TITLE_TEMPLATE


def _blackouts(reader: _Reader, node: yaml.Node) -> tuple[Blackout, ...]:
    if yn.is_null(node):
        return ()
    if not isinstance(node, yaml.SequenceNode):
        reader.fail(node, "停发日期 blackout 必须是列表，每项是日期或 {from: 日期, to: 日期}")
        return ()
    result = []
    for item in node.value:
        if isinstance(item, yaml.MappingNode):
            parts = yn.mapping(item, BLACKOUT_KEYS, reader.problems, "停发日期中")
            if "from" not in parts:
                reader.fail(item, "停发日期区间缺少 from")
                continue
            first = _date_of(parts["from"])
            last = _date_of(parts["to"]) if "to" in parts else first
            note = (yn.scalar(parts["note"]) or "") if "note" in parts else ""
        else:
            first = last = _date_of(item)
            note = ""
        if first is None or last is None:
            reader.fail(item, "停发日期必须写成 YYYY-MM-DD，或 {from: YYYY-MM-DD, to: YYYY-MM-DD}")
        elif last < first:
            reader.fail(item, f"停发日期区间的结束 {last} 早于开始 {first}")
        else:
            result.append(Blackout(first, last, note))
    return tuple(result)


def _chapters(reader: _Reader, node: yaml.Node, tz: ZoneInfo) -> tuple[ChapterEntry, ...]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        reader.fail(node, "篇章 chapters 必须是非空列表，按发布顺序排列")
        return ()
    result = []
    for item in node.value:
        line = yn.line_of(item)
        if isinstance(item, yaml.ScalarNode):
            name = reader.text(item, "篇章名")
            if name is not None:
                result.append(ChapterEntry(name=name, line=line))
            continue
        if not isinstance(item, yaml.MappingNode):
            reader.fail(item, "每个篇章是一个名称，或 {name: 名称, at: 时间, mode: 方式, part: 序号}")
            continue
        parts = yn.mapping(item, CHAPTER_KEYS, reader.problems, "篇章中")
        if "name" not in parts:
            reader.fail(item, "篇章缺少 name")
            continue
        name = reader.text(parts["name"], "篇章名")
        at = reader.when(parts["at"], "篇章时间 at", tz) if "at" in parts else None
        mode = reader.choice(parts["mode"], "篇章方式 mode", MODE_ALIASES) if "mode" in parts else None
        part = None
        if "part" in parts:
            raw = yn.scalar(parts["part"]) or ""
            if not raw.isdigit() or int(raw) < 1:
                reader.fail(parts["part"], f"篇章分期 part“{raw}”必须是从 1 开始的整数")
            else:
                part = int(raw)
        if name is not None:
            result.append(ChapterEntry(name=name, at=at, mode=mode, part=part, line=line))
    return tuple(result)


__all__ = ["load_plan", "parse_interval", "parse_time_of_day", "parse_local_datetime",
           "MODES", "ACCOUNT_TYPES"]
