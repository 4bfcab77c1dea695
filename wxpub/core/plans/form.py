"""The planning form's fields ⇄ a plan's YAML text (pure: strings in, strings out).

``fields_of(plan)`` gives the form's values for a parsed plan; ``to_yaml(fields)`` writes the YAML
of ``schedules/`` for the form's values (or raises ``FormError`` naming the field). A form that
was filled from a YAML text and not changed keeps that text byte for byte (``text_for``): only a
form somebody changed is written anew, and then the text's comments are not kept.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from wxpub.core.errors import ValidationError
from wxpub.core.plans.parse import parse_interval
from wxpub.core.plans.model import (DEFAULT_TIMEZONE, DEFAULT_TITLE_TEMPLATE, MASS_SEND, MODES, PUBLISH,
                                    SERVICE, SUBSCRIPTION, Plan)

REPEATS = ("interval", "cron", "none")  # 按间隔 / 按 cron / 每篇单独指定时间
HEADER = "# 发布计划（由网页表单生成；格式说明见 schedules/README.md）\n"
_BLACKOUT_RE = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:至|到|~|～|—)\s*(\d{4}-\d{1,2}-\d{1,2}))?(?:\s+(.*))?")
_PLAIN_RE = re.compile(r"[\w\u4e00-\u9fff\u3000-\u303f\uff00-\uffef][\w\u4e00-\u9fff\u3000-\u303f\uff00-\uffef .()（）/+\-·、，]*")
_SPECIAL_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


class FormError(ValidationError):
    """A form field that cannot be written as a plan: ``field`` names it, the message says why."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass
class ChapterRow:
    """One row of the chapters table: the chapter, and optionally its own time, mode, installment."""

    name: str = ""
    at_date: str = ""
    at_time: str = ""
    mode: str = ""  # "" = the plan's mode
    part: str = ""


@dataclass
class PlanFields:
    """Every value of the planning form, as the browser posts it (strings and one flag)."""

    series: str = ""
    account: str = ""
    account_type: str = SUBSCRIPTION
    mode: str = PUBLISH
    timezone: str = DEFAULT_TIMEZONE
    start_date: str = ""
    start_time: str = ""
    repeat: str = "interval"
    interval: str = "7"  # days, or 2h / 90m / 30s
    cron: str = ""
    time_of_day: str = ""
    workdays_only: bool = False
    blackout: str = ""  # one per line: "2026-12-13", "2026-12-20 至 2026-12-22 备注"
    holidays_file: str = ""
    title_template: str = DEFAULT_TITLE_TEMPLATE
    theme: str = ""
    chapters: list[ChapterRow] = field(default_factory=list)

    def normalized(self) -> "PlanFields":
        """The same values with blanks trimmed, empty chapter rows dropped, times as HH:MM."""
        rows = [ChapterRow(r.name.strip(), _day(r.at_date), _hhmm(r.at_time), r.mode.strip(), r.part.strip())
                for r in self.chapters if r.name.strip()]
        lines = "\n".join(line.strip() for line in self.blackout.splitlines() if line.strip())
        return replace(
            self, series=self.series.strip(), account=self.account.strip(),
            timezone=self.timezone.strip() or DEFAULT_TIMEZONE, start_date=_day(self.start_date),
            start_time=_hhmm(self.start_time), interval=_interval(self.interval) if self.repeat == "interval" else "",
            cron=" ".join(self.cron.split()) if self.repeat == "cron" else "",
            time_of_day=_hhmm(self.time_of_day), blackout=lines, holidays_file=self.holidays_file.strip(),
            title_template=self.title_template.strip() or DEFAULT_TITLE_TEMPLATE, theme=self.theme.strip(),
            chapters=rows)


def _interval(text: str) -> str:
    """An interval as the form shows it: ``7``, ``7d`` and ``1w`` are all ``7``; ``90m`` is ``1h30m``."""
    text = text.strip()
    if text.isdigit():
        return str(int(text))
    value = parse_interval(text)
    return interval_field(value) if value is not None and value > timedelta(0) else text


def _day(text: str) -> str:
    """A date as ``YYYY-MM-DD`` when it is one (``2027-1-5``, ``2027/1/5``, full-width digits too),
    else the text as typed."""
    text = _typed(text or "")
    try:
        text = text if not re.fullmatch(r"\d{4}[/.]\d{1,2}[/.]\d{1,2}", text) else re.sub(r"[/.]", "-", text)
        return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-"))).isoformat()
    except ValueError:
        return text


def _hhmm(text: str) -> str:
    text = _typed(text or "")
    if re.fullmatch(r"\d{1,2}:\d{2}:00", text):
        text = text[:-3]
    if re.fullmatch(r"\d:\d{2}", text):
        text = "0" + text
    return text


def _clock(value: time | datetime) -> str:
    return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")


def interval_field(interval: timedelta) -> str:
    """The form's interval: whole days as a number (``7``), else ``1h30m`` / ``90s``."""
    seconds = int(interval.total_seconds())
    if seconds > 0 and seconds % 86400 == 0:
        return str(seconds // 86400)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def fields_of(plan: Plan) -> PlanFields:
    """The form's values for a parsed plan (its times in the plan's timezone)."""
    tz = ZoneInfo(plan.timezone)
    start_date = start_time = ""
    if plan.start is not None:
        local = plan.start.astimezone(tz)
        start_date = local.date().isoformat()
        start_time = "" if (local.time() == time(0) and plan.time_of_day is not None) else _clock(local)
    lines = []
    for b in plan.blackout:
        span = str(b.first) if b.first == b.last else f"{b.first} 至 {b.last}"
        lines.append(f"{span} {b.note}".strip())
    rows = []
    for entry in plan.chapters:
        at_date = at_time = ""
        if entry.at is not None:
            local = entry.at.astimezone(tz)
            at_date, at_time = local.date().isoformat(), _clock(local)
        rows.append(ChapterRow(entry.name, at_date, at_time, entry.mode or "",
                               "" if entry.part is None else str(entry.part)))
    repeat = "interval" if plan.interval is not None else "cron" if plan.cron else "none"
    return PlanFields(
        series=plan.series, account=plan.account, account_type=plan.account_type, mode=plan.mode,
        timezone=plan.timezone, start_date=start_date, start_time=start_time, repeat=repeat,
        interval=interval_field(plan.interval) if plan.interval is not None else "",
        cron=plan.cron or "", time_of_day=_clock(plan.time_of_day) if plan.time_of_day else "",
        workdays_only=plan.workdays_only, blackout="\n".join(lines),
        holidays_file=plan.holidays_file or "", title_template=plan.title_template or DEFAULT_TITLE_TEMPLATE,
        theme=plan.theme or "", chapters=rows)


def same(a: PlanFields, b: PlanFields) -> bool:
    """Whether two sets of form values mean the same form (blanks and empty rows aside)."""
    return a.normalized() == b.normalized()


def quote(text: str) -> str:
    """``text`` as a YAML scalar: plain when that reads back as the same string, else double-quoted."""
    if (_PLAIN_RE.fullmatch(text) and text.lower() not in _SPECIAL_WORDS and text == text.strip()
            and not re.fullmatch(r"[-+.\d:_eE]+", text)):
        return text
    return json.dumps(text, ensure_ascii=False)


def _typed(text: str) -> str:
    """What a person typed, with full-width digits and punctuation (a Chinese input method's) made
    half-width: the date and time fields are plain text, so that no browser shows them in English."""
    return unicodedata.normalize("NFKC", text).strip()


def _date(text: str, what: str, field_name: str) -> str:
    try:
        typed = _typed(text).replace("/", "-").replace(".", "-")
        return date.fromisoformat("-".join(p.zfill(2) for p in typed.split("-"))).isoformat()
    except ValueError:
        raise FormError(field_name, f"{what}“{text}”不是有效日期，应写成 YYYY-MM-DD，例如 2026-12-03") from None


def _time(text: str, what: str, field_name: str) -> str:
    typed = _typed(text)
    if re.fullmatch(r"\d:\d{2}(:\d{2})?", typed):
        typed = "0" + typed
    if not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", typed) or int(typed[:2]) > 23 or int(typed[3:5]) > 59:
        raise FormError(field_name, f"{what}“{text}”应写成 HH:MM，例如 09:00")
    return typed


def blackout_items(text: str) -> list[tuple[str, str, str]]:
    """The blackout lines as ``(first, last, note)``; a line that is not a date or a range is a
    ``FormError`` naming its line."""
    items = []
    for number, line in enumerate((l.strip() for l in text.splitlines()), 1):
        if not line:
            continue
        match = _BLACKOUT_RE.fullmatch(line)
        if not match:
            raise FormError("blackout", f"停发日期第 {number} 行“{line}”无法识别，应写成 2026-12-13，"
                                        "或 2026-12-20 至 2026-12-22 备注")
        first = _date(match.group(1), f"停发日期第 {number} 行的日期", "blackout")
        last = _date(match.group(2), f"停发日期第 {number} 行的结束日期", "blackout") if match.group(2) else first
        if last < first:
            raise FormError("blackout", f"停发日期第 {number} 行：结束 {last} 早于开始 {first}")
        items.append((first, last, (match.group(3) or "").strip()))
    return items


def to_yaml(fields: PlanFields) -> str:
    """The plan file for the form's values (keys in the order of ``schedules/README.md``)."""
    f = fields.normalized()
    for name, what in (("series", "系列"), ("account", "公众号名称")):
        if not getattr(f, name):
            raise FormError(name, f"请填写{what}")
    if f.mode not in MODES:
        raise FormError("mode", "请选择发送方式：发布或群发")
    if f.account_type not in (SUBSCRIPTION, SERVICE):
        raise FormError("account_type", "请选择账号类型：订阅号或服务号")
    if f.repeat not in REPEATS:
        raise FormError("repeat", "请选择排期方式：按间隔、按 cron，或每篇单独指定时间")
    if not f.chapters:
        raise FormError("chapters", "请至少填写一个篇章")
    out = [HEADER, f"series: {quote(f.series)}\n", f"account: {quote(f.account)}\n",
           f"account_type: {f.account_type}\n", f"mode: {f.mode}\n"]
    if f.timezone != DEFAULT_TIMEZONE:
        out.append(f"timezone: {quote(f.timezone)}\n")
    if f.start_date:
        day = _date(f.start_date, "开始日期", "start_date")
        if f.start_time:
            out.append(f"start: {day}T{_time(f.start_time, '开始时刻', 'start_time')}\n")
        else:
            out.append(f"start: {day}\n")
    elif f.start_time:
        raise FormError("start_date", "填了开始时刻，请同时填写开始日期")
    if f.repeat == "interval":
        if not f.interval:
            raise FormError("interval", "请填写间隔天数，例如 7")
        interval = f"{f.interval}d" if f.interval.isdigit() else f.interval
        out.append(f"interval: {quote(interval)}\n")
    elif f.repeat == "cron":
        if not f.cron:
            raise FormError("cron", "请填写 cron 表达式，例如 0 9 * * 4（每周四 9:00）")
        out.append(f"cron: {json.dumps(f.cron, ensure_ascii=False)}\n")
    if f.time_of_day:
        out.append(f'time_of_day: "{_time(f.time_of_day, "发布时刻", "time_of_day")}"\n')
    out.append(f"workdays_only: {'true' if f.workdays_only else 'false'}\n")
    items = blackout_items(f.blackout)
    if items:
        out.append("blackout:\n")
        for first, last, note in items:
            if first == last and not note:
                out.append(f"  - {first}\n")
            else:
                to = "" if first == last else f", to: {last}"
                out.append(f"  - {{from: {first}{to}" + (f", note: {quote(note)}" if note else "") + "}\n")
    if f.holidays_file:
        out.append(f"holidays_file: {quote(f.holidays_file)}\n")
    if f.title_template != DEFAULT_TITLE_TEMPLATE:
        out.append(f"title_template: {json.dumps(f.title_template, ensure_ascii=False)}\n")
    if f.theme:
        out.append(f"theme: {quote(f.theme)}\n")
    out.append("chapters:\n")
    for number, row in enumerate(f.chapters, 1):
        out.append(f"  - {_chapter(row, number)}\n")
    return "".join(out)


def _chapter(row: ChapterRow, number: int) -> str:
    parts = []
    if row.at_date or row.at_time:
        if not row.at_date:
            raise FormError("chapters", f"第 {number} 个篇章“{row.name}”填了时刻，请同时填写日期")
        day = _date(row.at_date, f"第 {number} 个篇章“{row.name}”的日期", "chapters")
        clock = _time(row.at_time, f"第 {number} 个篇章“{row.name}”的时刻", "chapters") if row.at_time else "00:00"
        parts.append(f"at: {day}T{clock}")
    if row.mode:
        if row.mode not in MODES:
            raise FormError("chapters", f"第 {number} 个篇章“{row.name}”的发送方式无效")
        parts.append(f"mode: {row.mode}")
    if row.part:
        if not row.part.isdigit() or int(row.part) < 1:
            raise FormError("chapters", f"第 {number} 个篇章“{row.name}”的分期应为从 1 开始的整数")
        parts.append(f"part: {int(row.part)}")
    if not parts:
        return quote(row.name)
    return "{" + ", ".join([f"name: {quote(row.name)}", *parts]) + "}"


def text_for(fields: PlanFields, source_text: str | None, source_fields: PlanFields | None) -> str:
    """The YAML to keep for the posted form: the source text unchanged when the form still says
    what the source said, else the form written anew."""
    if source_text is not None and source_fields is not None and same(fields, source_fields):
        return source_text
    return to_yaml(fields)


MODE_CHOICES = ((PUBLISH, "发布"), (MASS_SEND, "群发"))
