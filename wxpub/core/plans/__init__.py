"""Release plans: YAML files in ``schedules/`` that say when each chapter of a serial goes out.

Pure core (no database, no network, time passed in)::

    plan = load_plan(text, filename)                       # PlanError with file:line on bad input
    office = load_holidays(text, name)                     # optional, for years past chinese_calendar
    releases = expand(plan, now=now, holidays=office)      # PlannedRelease, stable .key per chapter
    releases = mark_done(releases, {"系列/市场环境": ("published", at)})  # already out: skipped
    issues = validate(plan, releases, now=now, known_chapters={"市场环境": 12, ...})
    print(format_calendar(plan, releases, issues, plan.timezone))
"""

from wxpub.core.plans.calendar import (DayInfo, OfficeHolidays, WorkdayCalendar, holidays_path, load_holidays,
                       package_knows, package_last_year)
from wxpub.core.plans.display import describe_schedule, format_calendar
from wxpub.core.plans.expand import expand, mark_done
from wxpub.core.plans.model import (ERROR, MASS_SEND, MOVED_BY_HAND, PUBLISH, SERVICE, SUBSCRIPTION, WARNING,
                                    Blackout, ChapterEntry, Plan, PlanError, PlanIssue, PlannedRelease)
from wxpub.core.plans.parse import load_plan
from wxpub.core.plans.validate import structural_issues, validate

__all__ = [
    "load_plan", "expand", "mark_done", "validate", "structural_issues", "format_calendar", "describe_schedule",
    "load_holidays", "holidays_path", "package_knows", "package_last_year",
    "Plan", "ChapterEntry", "Blackout", "PlannedRelease", "PlanIssue", "PlanError",
    "OfficeHolidays", "WorkdayCalendar", "DayInfo",
    "PUBLISH", "MASS_SEND", "SUBSCRIPTION", "SERVICE", "ERROR", "WARNING", "MOVED_BY_HAND",
]
