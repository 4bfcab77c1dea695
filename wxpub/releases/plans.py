"""Plans into releases: read and validate a plan file, then reconcile it into the database.

The database is the single source of truth for releases; the scheduler only triggers them.
Applying a plan is one transaction: everything it needs (chapters, their composed installments) is
checked first, and only a plan that fits entirely is written. It is idempotent: the same plan
changes nothing, an edited plan moves only what changed, and a release that is publishing or
published (or was published by hand) never moves: re-applying a plan after the serial started skips
those chapters ("已发布，跳过") instead of refusing their past times. The applied plan's text becomes
the series' stored plan (``plan_store``) in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from wxpub.accounts import registry
from wxpub.core import plans
from wxpub.core.errors import ValidationError
from wxpub.core.importers.headings import normalize_chapter
from wxpub.core.release_states import FROZEN, State
from wxpub.infra.clock import as_utc
from wxpub.editorial import compose
from wxpub.models import Account, AuditEntry, Chapter, Message, Release, Series
from wxpub.releases import plan_store, transitions
from wxpub.releases.queries import approval_valid


# A plan entry whose release is in one of these states is done: shown as skipped, never written.
# (A state for releases published by hand, if the state model has one, counts as done too.)
DONE = frozenset(s for s in State if s in FROZEN or s.value == "manual")


@dataclass
class LoadedPlan:
    """A plan file read and expanded, with its issues, ready to show or apply."""

    plan: plans.Plan
    releases: list
    issues: list
    sha256: str = ""  # of the plan file's text (the audit row's content hash)
    text: str = ""  # the plan's YAML text exactly as given (stored as the series' current plan)

    @property
    def errors(self) -> list:
        """Issues that forbid applying the plan."""
        return [i for i in self.issues if i.severity == plans.ERROR]

    @property
    def skipped(self) -> list:
        """Planned releases already out or in flight (left as they are)."""
        return [r for r in self.releases if r.done]


@dataclass
class ApplyReport:
    """What ``apply_plan`` did."""

    created: list[Release] = field(default_factory=list)
    moved: list[Release] = field(default_factory=list)
    unchanged: list[Release] = field(default_factory=list)
    canceled: list[Release] = field(default_factory=list)
    skipped: list[Release] = field(default_factory=list)  # already out or in flight: left untouched


def load(session: Session, path: Path, *, now: datetime) -> LoadedPlan:
    """Read, expand and validate a plan file against the case library."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"找不到计划文件：{path}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path} 不是 UTF-8 编码的 YAML 文件") from None
    return load_text(session, text, name=str(path), now=now)


def load_text(session: Session, text: str, *, name: str, now: datetime,
              holidays_dir: Path | None = None) -> LoadedPlan:
    """Expand and validate a plan given as YAML text (``name`` in its messages) against the case
    library. ``holidays_file`` is taken from the folder of ``name``; with ``holidays_dir`` (the
    schedules directory, for a plan from the browser or the API) it must be a plain file name in
    that directory. Raises ``PlanError`` (with lines) for a plan that does not parse,
    ``ValidationError`` for a missing or disallowed holiday file."""
    plan = plans.load_plan(text, name)
    # "人文环境篇" in a plan means the chapter the library calls "人文环境".
    plan = replace(plan, chapters=tuple(replace(entry, name=normalize_chapter(entry.name))
                                        for entry in plan.chapters))
    holidays = None
    holiday_path = plans.holidays_path(plan, name)
    if holiday_path and holidays_dir is not None:
        # A plan from the browser or the API names a file of the schedules directory, nothing else.
        if Path(plan.holidays_file).name != plan.holidays_file or plan.holidays_file.startswith("."):
            raise ValidationError(f"{name}：节假日文件 holidays_file 只能写 schedules/ 目录中的文件名，"
                                  f"例如 holidays-2027.yaml，而不是“{plan.holidays_file}”")
        holiday_path = Path(holidays_dir) / plan.holidays_file
    if holiday_path:
        holiday_path = Path(holiday_path)
        if not holiday_path.is_file():
            raise ValidationError(f"{name}：找不到节假日文件 {holiday_path}")
        holidays = plans.load_holidays(holiday_path.read_text(encoding="utf-8"), str(holiday_path))
    expanded = plans.expand(plan, now=now, holidays=holidays)
    expanded = plans.mark_done(expanded, _done_releases(session, [r.key for r in expanded],
                                                        _account_id(session, plan.account)))
    known = _known_chapters(session, plan.series)
    issues = plans.validate(plan, expanded, now=now, known_chapters=known,
                            existing_mass_sends=_other_mass_sends(session, plan))
    if not known:
        issues.insert(0, plans.PlanIssue(plans.ERROR, f"案例库中没有系列“{plan.series}”，请先导入案例",
                                         code="unknown_series"))
    problem = _account_problem(session, plan)
    if problem:
        issues.insert(0, plans.PlanIssue(plans.ERROR, problem, code="unknown_account"))
    return LoadedPlan(plan, expanded, issues, hashlib.sha256(text.encode("utf-8")).hexdigest(), text)


def _account_problem(session: Session, plan: plans.Plan) -> str | None:
    """Why the plan's ``account`` cannot be published to, if it cannot: not registered (while
    some account is — before any, the environment's is registered under the plan's name),
    disabled, or of another type than the plan says."""
    account = _named_account(session, plan.account)
    if account is None:
        if not session.scalar(select(Account.id).where(Account.credentials_source == "env")):
            return None  # the environment's account is registered under this name when applied
        return _unregistered(session, plan.account)
    return _unusable(account, plan.account_type)


def _named_account(session: Session, name: str) -> Account | None:
    return session.scalar(select(Account).where(or_(Account.name == name, Account.code == name)))


def _unregistered(session: Session, name: str) -> str:
    known = "、".join(a.name for a in session.scalars(select(Account).order_by(Account.id)))
    return (f"公众号“{name}”还没有登记（已登记：{known}）；"
            "请管理员先在“公众号”页登记，或把 account 改为已登记的名称")


def _unusable(account: Account, account_type: str) -> str | None:
    """Why a plan of ``account_type`` cannot go to ``account`` (disabled, another type), if so."""
    if not account.enabled:
        return f"公众号“{account.name}”已停用，不能为它安排发布"
    if account.account_type != account_type:
        return (f"计划写的类型是{registry.type_name(account_type)}（account_type: {account_type}），"
                f"但公众号“{account.name}”登记为{registry.type_name(account.account_type)}；"
                "两者须一致（订阅号每天群发 1 次，服务号每月 4 次）")
    return None


def _kept_by_hand(release: Release) -> bool:
    """A release a person moved to its time, not (yet) out, and not canceled: the plan keeps it."""
    return bool(release.time_set_by) and release.state not in DONE and release.state != State.CANCELED


def _account_id(session: Session, key: str) -> int | None:
    """The id of the account a plan names (its name or code), None when not registered yet."""
    return session.scalar(select(Account.id).where(or_(Account.name == key, Account.code == key)))


def _done_releases(session: Session, keys: list[str], account_id: int | None) -> dict:
    """``plan key → (state, time)`` of the account's existing releases among ``keys`` that are out
    or going out, and ``(MOVED_BY_HAND, time)`` of those a person moved by hand."""
    if account_id is None:
        return {}
    rows = session.scalars(select(Release).where(Release.account_id == account_id,
                                                 Release.plan_key.in_(keys), Release.state.in_(DONE)
                                                 | Release.time_set_by.is_not(None)))
    return {r.plan_key: (plans.MOVED_BY_HAND if _kept_by_hand(r) else r.state,
                         as_utc(r.published_at or r.submitted_at or r.scheduled_at))
            for r in rows if r.state in DONE or _kept_by_hand(r)}


def _known_chapters(session: Session, series_name: str) -> dict[str, int]:
    series = session.scalar(select(Series).where(Series.name == series_name))
    if series is None:
        return {}
    return {chapter.name: len(compose.chosen_cases(chapter)) for chapter in series.chapters}


def _other_mass_sends(session: Session, plan: plans.Plan) -> list[datetime]:
    # Another series' planned mass sends, and any that already went out (this series' included: the
    # plan skips those, so the quota counts them here, at their own time).
    rows = session.scalars(select(Release).join(Account).where(
        or_(Account.name == plan.account, Account.code == plan.account), Release.mode == "mass_send",
        Release.state.not_in(["canceled", "failed"]),
        Release.plan_key.not_like(f"{plan.series}/%") | Release.state.in_(DONE)
        | Release.time_set_by.is_not(None)))
    return [as_utc(r.published_at or r.submitted_at or r.scheduled_at) for r in rows]


def account_for(session: Session, name: str, settings, account_type: str) -> Account:
    """The registered account a plan's ``account`` names (its name or code). Before any account is
    registered, the environment's account (``WXPUB_APPID``) is registered under that name."""
    account = _named_account(session, name)
    if account is None:
        if session.scalar(select(Account.id).where(Account.appid == settings.appid)) is not None:
            raise ValidationError("计划中的" + _unregistered(session, name))
        account = registry.import_env_account(session, settings, name=name)
    problem = _unusable(account, account_type)
    if problem:
        raise ValidationError(problem)
    return account


def apply_plan(session: Session, loaded: LoadedPlan, *, settings, now: datetime,
               actor: str) -> ApplyReport:
    """Reconcile the plan's releases into the database (composing chapter articles as needed).

    One use case, one commit: the chapters' installments are composed and every planned part is
    checked before any release is written; on any error nothing is left behind.
    """
    try:
        report = _apply(session, loaded, settings=settings, now=now, actor=actor)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return report


def _apply(session: Session, loaded: LoadedPlan, *, settings, now: datetime, actor: str) -> ApplyReport:
    if loaded.errors:
        raise ValidationError("计划有错误，未应用：\n" + "\n".join(i.message for i in loaded.errors))
    plan = loaded.plan
    series = session.scalar(select(Series).where(Series.name == plan.series))
    options = compose.ComposeOptions(theme=plan.theme or "政务红",
                                     title_template=plan.title_template)
    # Chapters already out need no articles: nothing is composed for them.
    messages = _messages_for_plan(session, series, [r for r in loaded.releases if not r.done],
                                  options, now, actor, compose.office_lexicon(settings))
    account = account_for(session, plan.account, settings, plan.account_type)
    report = ApplyReport()
    wanted = set()
    for planned in loaded.releases:
        wanted.add(planned.key)
        release = session.scalar(select(Release).where(Release.account_id == account.id,
                                                       Release.plan_key == planned.key))
        if planned.done or (release is not None and (release.state in DONE or _kept_by_hand(release))):
            # Out or going out (also when the scheduler got to it since the plan was read), or
            # moved by hand: its time, state, message and approvals stay exactly as they are.
            if release is not None:
                report.skipped.append(release)
            continue
        chapter, message = messages[(planned.chapter, planned.part or 1)]
        if release is None:
            release = Release(plan_key=planned.key, account_id=account.id, series_id=series.id,
                              chapter_id=chapter.id, message_id=message.id, mode=planned.mode,
                              scheduled_at=planned.scheduled_at,
                              created_at=now, updated_at=now)
            session.add(release)
            session.flush()
            report.created.append(release)
            continue
        if release.scheduled_at == planned.scheduled_at and release.mode == planned.mode \
                and release.state != State.CANCELED:
            report.unchanged.append(release)
            continue
        release.scheduled_at, release.mode, release.updated_at = planned.scheduled_at, planned.mode, now
        release.next_try_at, release.time_set_by = None, None  # the plan sets its time again
        if release.state in (State.CANCELED, State.HELD):
            # Re-planned by a person: it may go out at its new time (a held one was never submitted).
            transitions.rearm(session, release, approved=approval_valid(session, release),
                              reason="计划重新应用，已改期", actor=actor, now=now)
        report.moved.append(release)
    for release in session.scalars(select(Release).where(Release.account_id == account.id,
                                                         Release.plan_key.like(f"{plan.series}/%"))):
        if release.plan_key not in wanted and release.state not in (*DONE, State.CANCELED):
            transitions.cancel(session, release, reason="计划中已删除该篇章", actor=actor, now=now)
            report.canceled.append(release)
    if loaded.text:
        plan_store.store(session, series_name=plan.series, account_id=account.id, text=loaded.text,
                         sha256=loaded.sha256, filename=plan.filename, actor=actor, now=now)
    session.add(AuditEntry(at=now, actor=actor, action="plan.apply", object_type="plan",
                           object_id=plan.filename[-100:], after_sha256=loaded.sha256,
                           detail={"created": len(report.created), "moved": len(report.moved),
                                   "canceled": len(report.canceled), "skipped": len(report.skipped)}))
    return report


def _messages_for_plan(session, series, planned_releases, options, now, actor, lexicon) -> dict:
    """``(chapter, part) → (Chapter, Message)`` for every planned release, composing chapters that
    have no articles yet (flushed, not committed); a part the chapter does not have is an error."""
    out, composed = {}, {}
    for planned in planned_releases:
        part = planned.part or 1
        chapter = session.scalar(select(Chapter).where(Chapter.series_id == series.id,
                                                       Chapter.name == planned.chapter))
        message = session.scalar(select(Message).where(Message.chapter_id == chapter.id,
                                                       Message.part == part))
        if message is None or message.current_version is None:
            if chapter.id not in composed:
                composed[chapter.id] = compose.build_versions(session, chapter, options=options,
                                                              now=now, actor=actor, lexicon=lexicon)
            message = next((c.message for c in composed[chapter.id] if c.message.part == part), None)
            if message is None:
                raise ValidationError(f"篇章“{chapter.name}”只有 {len(composed[chapter.id])} 期，"
                                      f"计划中写了第 {part} 期（part: {part}）")
        out[(planned.chapter, part)] = (chapter, message)
    return out
