"""Planning in the browser and over the API: a plan's YAML text (typed in the form, imported or
posted) checked like ``wxpub plan show`` and applied like ``wxpub plan apply``.

``check`` is a dry run (reads only): the computed calendar, the errors (with the YAML line when
there is one) and the warnings, as plain dicts for the page and the JSON API. ``apply`` is the one
use case that writes: the plan's releases and the stored plan, in one transaction
(``plans.apply_plan``); a plan with errors writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from wxpub.core import plans
from wxpub.core.errors import ValidationError
from wxpub.core.plans import form
from wxpub.core.plans.calendar import WEEKDAYS_ZH
from wxpub.core.plans.display import describe_schedule, skip_note
from wxpub.core.plans.model import MODE_LABELS, SEVERITY_LABELS
from wxpub.releases import plan_store, plans as release_plans

BROWSER_NAME = "网页表单.yaml"  # the name a plan typed in the browser has in messages
MAX_YAML_CHARS = 200_000


class PlanRejected(ValidationError):
    """A plan with errors: nothing was written. ``errors`` are ``{"line", "message"}`` dicts."""

    def __init__(self, errors: list[dict]):
        super().__init__("计划有错误，未应用：" + "；".join(e["message"] for e in errors), code="plan_invalid")
        self.errors = errors

    def to_dict(self) -> dict:
        """The API's 400 body: the usual ``error``/``message`` plus every error."""
        return {**super().to_dict(), "errors": self.errors}


@dataclass
class CheckResult:
    """What a dry run found: the calendar rows, errors and warnings (dicts), the schedule phrase."""

    text: str
    calendar: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    schedule: str = ""
    loaded: release_plans.LoadedPlan | None = None

    def to_dict(self) -> dict:
        """The API's dry-run answer."""
        return {"calendar": self.calendar, "errors": self.errors, "warnings": self.warnings,
                "schedule": self.schedule}


def _local(value: datetime, tz) -> str:
    return value.astimezone(tz).isoformat()


def calendar_rows(loaded: release_plans.LoadedPlan) -> list[dict]:
    """One dict per planned release, in plan order: chapter, local time (ISO and for people),
    mode, title, holiday / moved notes, and whether it is skipped (already out or in flight)."""
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(loaded.plan.timezone)
    rows = []
    for r in loaded.releases:
        local = r.effective_at.astimezone(tz)
        notes = []
        if r.done:
            notes.append(skip_note(r))
        elif r.explicit:
            notes.append("单独指定时间")
        elif r.moved_from is not None:
            moved = r.moved_from.astimezone(tz)
            notes.append(f"原定 {moved:%Y-%m-%d %H:%M} {WEEKDAYS_ZH[moved.weekday()]}，因{r.moved_because}顺延")
        if r.holiday:
            notes.append(f"法定节假日：{r.holiday}")
        if r.adjusted_workday:
            notes.append("调休上班日")
        rows.append({"index": r.index, "chapter": r.chapter, "part": r.part, "label": r.label, "key": r.key,
                     "at": local.isoformat(), "when": f"{local:%Y-%m-%d %H:%M} {WEEKDAYS_ZH[local.weekday()]}",
                     "mode": r.mode, "mode_name": MODE_LABELS.get(r.mode, r.mode), "title": r.title,
                     "holiday": r.holiday, "moved_from": _local(r.moved_from, tz) if r.moved_from else None,
                     "moved_because": r.moved_because, "notes": notes, "skipped": bool(r.done),
                     "skip_note": skip_note(r) if r.done else ""})
    return rows


def _issue(issue: plans.PlanIssue) -> dict:
    return {"line": issue.line, "chapter": issue.chapter, "message": issue.message, "code": issue.code,
            "severity": issue.severity, "severity_name": SEVERITY_LABELS[issue.severity]}


def check(session: Session, text: str, *, now: datetime, settings=None, name: str = BROWSER_NAME) -> CheckResult:
    """Dry run of a plan's YAML text: nothing is written."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("计划内容为空：请粘贴或上传计划的 YAML 文本")
    if len(text) > MAX_YAML_CHARS:
        raise ValidationError(f"计划文本太长（{len(text)} 字），最多 {MAX_YAML_CHARS} 字")
    result = CheckResult(text)
    try:
        loaded = release_plans.load_text(session, text, name=name, now=now,
                                         holidays_dir=plan_store.schedules_dir(settings))
    except plans.PlanError as error:
        result.errors = [{"line": line, "chapter": None, "message": message, "code": error.code,
                          "severity": plans.ERROR, "severity_name": "错误"} for line, message in error.problems]
        return result
    except ValidationError as error:
        result.errors = [{"line": None, "chapter": None, "message": error.message, "code": error.code,
                          "severity": plans.ERROR, "severity_name": "错误"}]
        return result
    result.loaded = loaded
    result.calendar = calendar_rows(loaded)
    result.schedule = describe_schedule(loaded.plan)
    result.errors = [_issue(i) for i in loaded.issues if i.severity == plans.ERROR]
    result.warnings = [_issue(i) for i in loaded.issues if i.severity == plans.WARNING]
    return result


def apply(session: Session, text: str, *, now: datetime, settings, actor: str,
          name: str = BROWSER_NAME) -> tuple[release_plans.ApplyReport, CheckResult]:
    """Apply a plan's YAML text (its releases and the stored plan, one transaction). A plan with
    errors raises ``PlanRejected`` and writes nothing."""
    result = check(session, text, now=now, settings=settings, name=name)
    if result.errors or result.loaded is None:
        session.rollback()
        raise PlanRejected(result.errors)
    report = release_plans.apply_plan(session, result.loaded, settings=settings, now=now, actor=actor)
    return report, result


def report_dict(report: release_plans.ApplyReport) -> dict:
    """``{"created": [ids], "moved": …, "unchanged": …, "canceled": …, "skipped": …}``."""
    return {name: [r.id for r in getattr(report, name)]
            for name in ("created", "moved", "unchanged", "canceled", "skipped")}


def report_line(report: release_plans.ApplyReport) -> str:
    """The one line ``wxpub plan apply`` prints."""
    return (f"计划已应用：新建 {len(report.created)}，改期 {len(report.moved)}，未变 {len(report.unchanged)}，"
            f"取消 {len(report.canceled)}，跳过 {len(report.skipped)}（已发布、发布中或已手动改期）。")


def fields_for_text(text: str, name: str = BROWSER_NAME) -> form.PlanFields:
    """The form's values for a YAML text (``PlanError`` with lines when it does not parse)."""
    return form.fields_of(plans.load_plan(text, name))


def source_fields(text: str | None) -> form.PlanFields | None:
    """The form values a source text gives, or None when there is none or it does not parse."""
    if not text:
        return None
    try:
        return fields_for_text(text)
    except plans.PlanError:
        return None


def fields_from_mapping(get, getlist) -> form.PlanFields:
    """The form's values from a request's fields (``get(name)``, ``getlist(name)``): the plan's
    keys by name, the chapters as parallel lists ``ch_name``, ``ch_date``, ``ch_time``,
    ``ch_mode``, ``ch_part``."""
    names, dates, times = getlist("ch_name"), getlist("ch_date"), getlist("ch_time")
    modes, parts = getlist("ch_mode"), getlist("ch_part")

    def at(values, i):
        return values[i] if i < len(values) else ""
    rows = [form.ChapterRow(str(n), str(at(dates, i)), str(at(times, i)), str(at(modes, i)), str(at(parts, i)))
            for i, n in enumerate(names)]
    text = {name: str(get(name) or "") for name in (
        "series", "account", "account_type", "mode", "timezone", "start_date", "start_time", "repeat",
        "interval", "cron", "time_of_day", "blackout", "holidays_file", "title_template", "theme")}
    flag = str(get("workdays_only") or "").strip().lower() in ("1", "true", "on", "yes")
    return form.PlanFields(**text, workdays_only=flag, chapters=rows)


def fields_from_json(data: dict) -> form.PlanFields:
    """The form's values from the API's ``"form"`` object (same names; ``chapters`` a list of
    ``{"name", "at_date", "at_time", "mode", "part"}``); a wrong type is named."""
    if not isinstance(data, dict):
        raise ValidationError("form 应为对象（表单各字段）")
    chapters = data.get("chapters", [])
    if not isinstance(chapters, list) or not all(isinstance(c, dict) for c in chapters):
        raise ValidationError("form.chapters 应为篇章对象的列表")

    def col(key):
        return [str(c.get(key) or "") for c in chapters]
    return fields_from_mapping(lambda k: data.get(k) if not isinstance(data.get(k), (dict, list)) else "",
                               lambda k: col({"ch_name": "name", "ch_date": "at_date", "ch_time": "at_time",
                                              "ch_mode": "mode", "ch_part": "part"}[k]))
