"""Releases: reconcile plans into the database, approve exact versions, cancel, retry, list.

The database is the single source of truth for releases; the scheduler only triggers them.
Applying a plan is idempotent: the same plan changes nothing, an edited plan moves only what
changed, and a release that is publishing or published never moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.editorial import compose

from wxpub.core import plans
from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.core.importers.headings import normalize_chapter
from wxpub.models import Account, Approval, AuditEntry, Chapter, Message, Release, Series

STATES = ("planned", "approved", "publishing", "published", "held", "failed", "canceled")
STATE_NAMES = {"planned": "待审批", "approved": "已审批待发", "publishing": "发布中",
               "published": "已发布", "held": "已暂停（需人工处理）", "failed": "失败",
               "canceled": "已取消"}
MODE_NAMES = {"publish": "发布", "mass_send": "群发"}
FROZEN = ("publishing", "published")  # never moved by a plan


@dataclass
class LoadedPlan:
    """A plan file read and expanded, with its issues, ready to show or apply."""

    plan: plans.Plan
    releases: list
    issues: list

    @property
    def errors(self) -> list:
        """Issues that forbid applying the plan."""
        return [i for i in self.issues if i.severity == plans.ERROR]


@dataclass
class ApplyReport:
    """What ``apply_plan`` did."""

    created: list[Release] = field(default_factory=list)
    moved: list[Release] = field(default_factory=list)
    unchanged: list[Release] = field(default_factory=list)
    canceled: list[Release] = field(default_factory=list)
    frozen: list[str] = field(default_factory=list)  # messages about releases that could not move


def load(session: Session, path: Path, *, now: datetime) -> LoadedPlan:
    """Read, expand and validate a plan file against the case library."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"找不到计划文件：{path}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path} 不是 UTF-8 编码的 YAML 文件") from None
    plan = plans.load_plan(text, str(path))
    # "人文环境篇" in a plan means the chapter the library calls "人文环境".
    plan = replace(plan, chapters=tuple(replace(entry, name=normalize_chapter(entry.name))
                                        for entry in plan.chapters))
    holidays = None
    holiday_path = plans.holidays_path(plan, str(path))
    if holiday_path:
        holiday_path = Path(holiday_path)
        if not holiday_path.is_file():
            raise ValidationError(f"{path}：找不到节假日文件 {holiday_path}")
        holidays = plans.load_holidays(holiday_path.read_text(encoding="utf-8"), str(holiday_path))
    expanded = plans.expand(plan, now=now, holidays=holidays)
    known = _known_chapters(session, plan.series)
    issues = plans.validate(plan, expanded, now=now, known_chapters=known,
                            existing_mass_sends=_other_mass_sends(session, plan))
    if not known:
        issues.insert(0, plans.PlanIssue(plans.ERROR, f"案例库中没有系列“{plan.series}”，请先导入案例",
                                         code="unknown_series"))
    return LoadedPlan(plan, expanded, issues)


def _known_chapters(session: Session, series_name: str) -> dict[str, int]:
    series = session.scalar(select(Series).where(Series.name == series_name))
    if series is None:
        return {}
    return {chapter.name: len(compose.chosen_cases(chapter)) for chapter in series.chapters}


def _other_mass_sends(session: Session, plan: plans.Plan) -> list[datetime]:
    rows = session.scalars(select(Release).join(Account).where(
        Account.name == plan.account, Release.mode == "mass_send",
        Release.state.not_in(["canceled", "failed"]),
        Release.plan_key.not_like(f"{plan.series}/%")))
    return [r.scheduled_at for r in rows]


def account_for(session: Session, name: str, appid: str, account_type: str) -> Account:
    """The account row for a plan's ``account`` (created on first use)."""
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None:
        account = session.scalar(select(Account).where(Account.appid == appid))
        if account is not None and account.name != name:
            raise ValidationError(f"AppID {appid} 已登记为公众号“{account.name}”，计划中写的是“{name}”")
        account = Account(name=name, appid=appid, account_type=account_type)
        session.add(account)
        session.flush()
    return account


def apply_plan(session: Session, loaded: LoadedPlan, *, settings, now: datetime,
               actor: str = "cli") -> ApplyReport:
    """Reconcile the plan's releases into the database (composing chapter articles as needed)."""
    if loaded.errors:
        raise ValidationError("计划有错误，未应用：\n" + "\n".join(i.message for i in loaded.errors))
    plan = loaded.plan
    account = account_for(session, plan.account, settings.appid, plan.account_type)
    series = session.scalar(select(Series).where(Series.name == plan.series))
    options = compose.ComposeOptions(theme=plan.theme or "政务红",
                                     title_template=plan.title_template)
    lexicon = compose.office_lexicon(settings)
    report = ApplyReport()
    wanted = set()
    for planned in loaded.releases:
        wanted.add(planned.key)
        chapter = session.scalar(select(Chapter).where(Chapter.series_id == series.id,
                                                       Chapter.name == planned.chapter))
        message = _message_for(session, chapter, planned.part or 1, options, now, actor, lexicon)
        release = session.scalar(select(Release).where(Release.plan_key == planned.key))
        if release is None:
            release = Release(plan_key=planned.key, account_id=account.id, series_id=series.id,
                              chapter_id=chapter.id, message_id=message.id, mode=planned.mode,
                              scheduled_at=planned.scheduled_at, state="planned",
                              created_at=now, updated_at=now)
            session.add(release)
            session.flush()
            report.created.append(release)
            continue
        if release.scheduled_at == planned.scheduled_at and release.mode == planned.mode \
                and release.state != "canceled":
            report.unchanged.append(release)
            continue
        if release.state in FROZEN:
            report.frozen.append(f"{planned.chapter}：已{STATE_NAMES[release.state]}，计划中的修改不生效")
            report.unchanged.append(release)
            continue
        release.scheduled_at, release.mode, release.updated_at = planned.scheduled_at, planned.mode, now
        release.next_try_at = None
        if release.state in ("canceled", "held"):
            # Re-planned by a person: it may go out at its new time (a held one was never submitted).
            release.state = "approved" if _approval_valid(session, release) else "planned"
            release.error_message = None
        report.moved.append(release)
    for release in session.scalars(select(Release).where(Release.plan_key.like(f"{plan.series}/%"))):
        if release.plan_key not in wanted and release.state not in (*FROZEN, "canceled"):
            release.state, release.updated_at = "canceled", now
            report.canceled.append(release)
    session.add(AuditEntry(at=now, actor=actor, action="plan.apply", object_type="plan",
                           object_id=plan.filename,
                           detail={"created": len(report.created), "moved": len(report.moved),
                                   "canceled": len(report.canceled)}))
    session.commit()
    return report


def _message_for(session, chapter, part, options, now, actor, lexicon) -> Message:
    message = session.scalar(select(Message).where(Message.chapter_id == chapter.id,
                                                   Message.part == part))
    if message is None or message.current_version is None:
        composed = compose.compose_chapter(session, chapter, options=options, now=now, actor=actor,
                                           lexicon=lexicon)
        message = next((c.message for c in composed if c.message.part == part), None)
        if message is None:
            raise ValidationError(f"篇章“{chapter.name}”只有 {len(composed)} 期，计划中写了第 {part} 期")
    return message


def get(session: Session, release_id: int) -> Release:
    """The release with this id, or ``NotFound``."""
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound(f"没有编号为 {release_id} 的发布")
    return release


def _approval_valid(session: Session, release: Release) -> bool:
    message = session.get(Message, release.message_id)
    version = message.current_version if message else None
    if version is None or release.approved_version_id != version.id:
        return False
    return session.scalar(select(Approval).where(
        Approval.release_id == release.id, Approval.message_version_id == version.id,
        Approval.sha256 == version.sha256, Approval.voided_at.is_(None))) is not None


def approval_valid(session: Session, release: Release) -> bool:
    """True when the release's current content version carries a valid (not voided) approval."""
    return _approval_valid(session, release)


def approve(session: Session, release_ids: list[int], *, by: str, now: datetime,
            stage: str = "终审") -> list[Release]:
    """Approve the exact current content version of each release (blocking findings refuse)."""
    if not by or not by.strip():
        raise ValidationError("请用 --by 写明审批人")
    approved = []
    for release_id in release_ids:
        release = get(session, release_id)
        if release.state in ("published", "publishing", "canceled"):
            raise Conflict(f"发布 {release.id} 状态为“{STATE_NAMES[release.state]}”，不能审批")
        message = session.get(Message, release.message_id)
        version = message.current_version if message else None
        if version is None:
            raise Conflict(f"发布 {release.id} 还没有排版好的内容")
        blocking = [f for f in version.findings if f["severity"] == "blocking"]
        if blocking:
            lines = "\n".join(f"  - {f['location']}：{f['message']}" for f in blocking[:10])
            raise Conflict(f"发布 {release.id} 的内容有 {len(blocking)} 个阻断问题，不能审批：\n{lines}")
        if not _approval_valid(session, release):
            session.add(Approval(release_id=release.id, message_version_id=version.id,
                                 sha256=version.sha256, stage=stage, approved_by=by.strip(),
                                 approved_at=now))
            release.approved_version_id = version.id
        if release.state == "planned":
            release.state = "approved"
        release.updated_at = now
        session.add(AuditEntry(at=now, actor=by.strip(), action="release.approve",
                               object_type="release", object_id=str(release.id),
                               detail={"sha256": version.sha256, "version": version.version}))
        approved.append(release)
    session.commit()
    return approved


def cancel(session: Session, release_id: int, *, by: str, now: datetime) -> Release:
    """Cancel a release that has not been submitted to WeChat."""
    release = get(session, release_id)
    if release.state == "published":
        raise Conflict(f"发布 {release.id} 已发布，不能取消（如需撤回请在公众号后台删除文章）")
    if release.state == "publishing" and release.step in ("submitted",):
        raise Conflict(f"发布 {release.id} 已提交微信，不能取消，请等待结果或在公众号后台处理")
    if release.lease_until is not None and release.lease_until > now:
        raise Conflict(f"发布 {release.id} 正在发布中，请稍后再试")
    release.state, release.updated_at = "canceled", now
    session.add(AuditEntry(at=now, actor=by, action="release.cancel", object_type="release",
                           object_id=str(release.id)))
    session.commit()
    return release


def retry(session: Session, release_id: int, *, by: str, now: datetime) -> Release:
    """Send a held or failed release again now (it still needs a valid approval)."""
    release = get(session, release_id)
    if release.state not in ("held", "failed"):
        raise Conflict(f"只有“已暂停”或“失败”的发布可以重试，发布 {release.id} 为“{STATE_NAMES[release.state]}”")
    if not _approval_valid(session, release):
        raise Conflict(f"发布 {release.id} 的内容没有有效审批，请先审批（wxpub release approve {release.id} --by 姓名）")
    if release.state == "failed":
        # Start the submission over with a fresh draft: the failed job's draft and ids are spent.
        release.step, release.sent_version_id = "", None
        release.media_id = release.publish_id = release.msg_id = release.msg_data_id = None
        release.submitted_at = None
    release.state, release.next_try_at, release.attempts = "approved", now, 0
    release.error_code = release.error_message = None
    release.lease_owner = release.lease_until = None
    release.updated_at = now
    session.add(AuditEntry(at=now, actor=by, action="release.retry", object_type="release",
                           object_id=str(release.id)))
    session.commit()
    return release


def listing(session: Session, *, tz) -> list[dict]:
    """Every release, soonest first, in the ``release list --json`` shape."""
    rows = session.execute(select(Release, Chapter.name).join(Chapter, Release.chapter_id == Chapter.id)
                           .order_by(Release.scheduled_at, Release.id)).all()
    return [{"id": r.id, "chapter": name, "mode": r.mode,
             "scheduled_at": r.scheduled_at.astimezone(tz).isoformat(), "state": r.state,
             "article_urls": list(r.article_urls or []), "plan_key": r.plan_key,
             "step": r.step, "error_code": r.error_code, "error_message": r.error_message,
             "published_at": r.published_at.astimezone(tz).isoformat() if r.published_at else None,
             "approved": r.approved_version_id is not None}
            for r, name in rows]
