"""The stored plans: one current plan per series (its YAML text as given), and what other views
read from them — the blackout days and the office holiday file they name.

Reading only: the plan is stored by ``wxpub.releases.plans.apply_text`` in the apply's transaction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core import plans
from wxpub.models import Account
from wxpub.models.plans import ReleasePlan

DEFAULT_BLACKOUT_NOTE = "停发"
# Where plan files and the holiday files they name live (``schedules/`` of the project).
PROJECT_SCHEDULES = Path(__file__).resolve().parents[2] / "schedules"


def schedules_dir(settings=None) -> Path:
    """The schedules directory: ``settings.schedules_dir`` when the settings have one, else
    ``schedules/`` in the working directory when it exists, else the project's ``schedules/``."""
    configured = getattr(settings, "schedules_dir", None) if settings is not None else None
    if configured:
        return Path(configured)
    here = Path.cwd() / "schedules"
    return here if here.is_dir() else PROJECT_SCHEDULES


def stored_plans(session: Session, *, account_id: int | None = None) -> list[ReleasePlan]:
    """Every stored plan (optionally of one account), by series name."""
    query = select(ReleasePlan).order_by(ReleasePlan.series_name)
    if account_id is not None:
        query = query.where(ReleasePlan.account_id == account_id)
    return list(session.scalars(query))


def get(session: Session, plan_id: int) -> ReleasePlan | None:
    """The stored plan with this id, or None."""
    return session.get(ReleasePlan, plan_id)


def for_series(session: Session, series_name: str, account_id: int | None = None) -> ReleasePlan | None:
    """The current stored plan of a series for ``account_id`` (None: its first plan), or None."""
    query = select(ReleasePlan).where(ReleasePlan.series_name == series_name)
    if account_id is not None:
        query = query.where(ReleasePlan.account_id == account_id)
    return session.scalars(query.order_by(ReleasePlan.id).limit(1)).first()


def for_plan(session: Session, series_name: str, account: str | None) -> ReleasePlan | None:
    """The stored plan of a series for the account a plan names (its name or code; any account's
    first plan when that account is not registered or not named)."""
    from sqlalchemy import or_

    account_id = session.scalar(select(Account.id).where(
        or_(Account.name == account, Account.code == account))) if account else None
    return for_series(session, series_name, account_id) if account_id is not None else \
        for_series(session, series_name)


def parsed(row: ReleasePlan) -> plans.Plan | None:
    """The stored plan's text parsed (None when it no longer parses: it is then ignored)."""
    return _parse(row.yaml_text, row.filename or f"{row.series_name}.yaml")


@lru_cache(maxsize=64)
def _parse(text: str, filename: str) -> plans.Plan | None:
    # Plans are frozen dataclasses: one parse per text serves every calendar page.
    try:
        return plans.load_plan(text, filename)
    except plans.PlanError:
        return None


@lru_cache(maxsize=16)
def _holidays(path: str, mtime_ns: int) -> plans.OfficeHolidays | None:
    try:
        return plans.load_holidays(Path(path).read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError, plans.PlanError):
        return None


def blackout_days(session: Session, *, account_id: int | None = None) -> dict[date, str]:
    """Every day covered by a stored plan's blackout → its note ("停发" when it has none).

    Several plans blacking out the same day with different notes give the notes joined by "；".
    """
    days: dict[date, str] = {}
    for row in stored_plans(session, account_id=account_id):
        plan = parsed(row)
        if plan is None:
            continue
        for blackout in plan.blackout:
            note = blackout.note or DEFAULT_BLACKOUT_NOTE
            day = blackout.first
            while day <= blackout.last:
                if day not in days:
                    days[day] = note
                elif note not in days[day].split("；") and note != DEFAULT_BLACKOUT_NOTE:
                    days[day] = note if days[day] == DEFAULT_BLACKOUT_NOTE else f"{days[day]}；{note}"
                day += timedelta(days=1)
    return days


def holidays_file_path(row: ReleasePlan, plan: plans.Plan, settings=None) -> Path | None:
    """Where a stored plan's ``holidays_file`` lies: absolute as written, else in the schedules
    directory (a plan applied from a file elsewhere: next to that file when it is there)."""
    if not plan.holidays_file:
        return None
    target = Path(plan.holidays_file)
    if target.is_absolute():
        return target
    if row.filename:
        beside = Path(plans.holidays_path(plan, row.filename))
        if beside.is_file():
            return beside
    return schedules_dir(settings) / target


def office_holidays(session: Session, settings) -> plans.OfficeHolidays | None:
    """The office holiday file(s) the stored plans name, merged (None when no plan names one or no
    named file can be read). A file that is missing or malformed is left out, never guessed."""
    merged: plans.OfficeHolidays | None = None
    seen: set[Path] = set()
    for row in stored_plans(session):
        plan = parsed(row)
        path = holidays_file_path(row, plan, settings) if plan is not None else None
        if path is None or path in seen:
            continue
        seen.add(path)
        try:
            office = _holidays(str(path), path.stat().st_mtime_ns)
        except OSError:
            continue
        if office is None:
            continue
        merged = office if merged is None else _merge(merged, office)
    return merged


def _merge(a: plans.OfficeHolidays, b: plans.OfficeHolidays) -> plans.OfficeHolidays:
    return plans.OfficeHolidays(years=a.years | b.years, holidays={**b.holidays, **a.holidays},
                                workdays=a.workdays | b.workdays,
                                source="；".join(s for s in (a.source, b.source) if s),
                                filename=a.filename)


def account_name(session: Session, row: ReleasePlan) -> str:
    """The name of the account a stored plan publishes to."""
    account = session.get(Account, row.account_id)
    return account.name if account is not None else ""


def store(session: Session, *, series_name: str, account_id: int, text: str, sha256: str,
          filename: str, actor: str, now: datetime) -> ReleasePlan:
    """Make ``text`` the series' current plan (flushed, not committed: part of the apply)."""
    row = for_series(session, series_name, account_id)
    if row is None:
        row = ReleasePlan(series_name=series_name, account_id=account_id, created_at=now)
        session.add(row)
    row.account_id, row.yaml_text, row.sha256 = account_id, text, sha256
    row.filename, row.updated_at, row.updated_by = filename[-300:], now, actor[:100]
    session.flush()
    return row
