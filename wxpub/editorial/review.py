"""三审三校 use cases: sign a stage off, return a version with a reason, record a 校对 round.

``sign`` is one use case and one transaction. It checks, in this order, that the message and its
current version exist, that the version hash the person looked at is still the current one and
that no case changed under it, that the person is an enabled account whose role allows the stage
(``Forbidden``), the rules of ``wxpub.core.review_policy`` (order, one stage per person, 校对 before
the last stage, open comments), blocking findings and the secrecy review; then it writes the
sign-off and its audit row. The sign-off that completes the chain freezes the 信息发布审核表
(``wxpub.editorial.sheet``) and approves the message's waiting releases through the release state
model; a return tells whoever composed and signed the version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, Forbidden, NotFound, ValidationError
from wxpub.core.release_states import State
from wxpub.core.review_policy import APPROVE, DECISION_NAMES, PROOFREAD, Policy, RuleError, check
from wxpub.editorial import chain, sheet
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import AuditEntry, Message, MessageVersion, Notice, Release, Signoff, User
from wxpub.releases import transitions
from wxpub.staff.users import role_name

MAX_COMMENT = 2000
MAX_OPINION = 300
DEFAULT_SECRECY_OPINION = "经审查，不涉及国家秘密和工作秘密，同意公开发布"


@dataclass
class Signed:
    """What a sign-off did: the row, the chain after it, and the releases it approved."""

    signoff: Signoff
    state: object
    approved: list[Release]
    completed: bool


def get_message(session: Session, message_id: int) -> Message:
    """The message, or ``NotFound``."""
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"没有编号为 {message_id} 的消息")
    return message


def signer(session: Session, username: str | None) -> User:
    """The enabled account that signs (``NotFound`` / ``Conflict`` naming it)."""
    name = (username or "").strip()
    user = session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        raise NotFound(f"没有用户名为“{name}”的账号" if name else "没有指定签署人")
    if not user.active:
        raise Conflict(f"账号“{name}”已停用，不能签署")
    return user


def current_version(session: Session, message: Message, version_hash: str | None) -> MessageVersion:
    """The message's current version, checked against the hash the person reviewed."""
    return chain.current_version(session, message, version_hash, purpose="审核")


def sign(session: Session, message_id: int, *, version_hash: str, stage: str, decision: str,
         comment: str = "", by: str, now: datetime, policy: Policy, tz,
         secret: bool | None = None, secrecy_opinion: str = "") -> Signed:
    """Record ``by``'s ``decision`` (approve / reject) on ``stage`` (or a 校对 round) of the message's
    current version, which must be ``version_hash``; one commit."""
    return commit_or_roll_back(session, lambda: record_signoff(
        session, message_id, version_hash=version_hash, stage=stage, decision=decision,
        comment=comment, by=by, now=now, policy=policy, tz=tz, secret=secret,
        secrecy_opinion=secrecy_opinion))


def record_signoff(session: Session, message_id: int, *, version_hash: str, stage: str, decision: str,
                   comment: str = "", by: str, now: datetime, policy: Policy, tz,
                   secret: bool | None = None, secrecy_opinion: str = "") -> Signed:
    """``sign`` without its commit (flushes only), for use cases that sign several at once."""
    message = get_message(session, message_id)
    version = current_version(session, message, version_hash)
    user = signer(session, by)
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise ValidationError(f"意见太长：最多 {MAX_COMMENT} 字，现有 {len(text)} 字")
    before = chain.state(session, version.id, policy)
    try:
        check(before, stage=(stage or "").strip(), decision=(decision or "").strip(),
              username=user.username, role=user.role, comment=text,
              open_comments=chain.open_comments(session, version.id), role_name=role_name)
    except RuleError as refused:
        if refused.code == "role":
            raise Forbidden(refused.message, code="role") from None
        if refused.code in ("reason", "decision", "stage"):
            raise ValidationError(refused.message, code=refused.code) from None
        raise Conflict(refused.message, code=refused.code) from None
    stage_name, choice = stage.strip(), decision.strip()
    if choice == APPROVE and stage_name != PROOFREAD:
        blocking = [f for f in version.findings or [] if f.get("severity") == "blocking"]
        if blocking:
            lines = "；".join(f"{f.get('message', '')}" for f in blocking[:5])
            raise Conflict(f"v{version.version} 有 {len(blocking)} 个阻断问题，须修改后才能通过：{lines}",
                           code="blocking_findings")
    details = _secrecy(policy, stage_name, choice, secret, secrecy_opinion)
    row = Signoff(message_id=message.id, message_version_id=version.id, sha256=version.sha256,
                  stage=stage_name, round=len(before.proofreads) + 1 if stage_name == PROOFREAD else 0,
                  decision=choice, username=user.username,
                  display_name=user.display_name or user.username, role=user.role, comment=text,
                  details=details, at=now)
    session.add(row)
    session.flush()
    what = f"{stage_name}第 {row.round} 轮" if stage_name == PROOFREAD else stage_name
    session.add(AuditEntry(at=now, actor=user.username, action=f"review.{choice}",
                           object_type="message", object_id=str(message.id),
                           before_sha256=version.sha256, after_sha256=version.sha256,
                           detail={"stage": stage_name, "round": row.round, "version": version.version,
                                   "decision": DECISION_NAMES[choice], "comment": text[:300],
                                   **({"secret": details["secret"]} if details else {})}))
    after = chain.state(session, version.id, policy)
    approved: list[Release] = []
    if choice != APPROVE:
        _tell_about_return(session, message, version, row, what, now)
    elif after.complete:
        sheet.freeze(session, message, version, policy=policy, now=now, tz=tz)
        approved = _approve_releases(session, message, version, actor=user.username, now=now)
    return Signed(row, after, approved, after.complete)


def _secrecy(policy: Policy, stage: str, decision: str, secret, opinion: str) -> dict:
    """The secrecy review recorded with the stage that does it (复审 by default)."""
    if stage != policy.secrecy_stage:
        return {}
    opinion = (opinion or "").strip()
    if len(opinion) > MAX_OPINION:
        raise ValidationError(f"保密审查意见太长：最多 {MAX_OPINION} 字")
    if secret is not None and not isinstance(secret, bool):
        raise ValidationError("secret（是否涉密）应为 true 或 false")
    if decision == APPROVE and secret:
        raise Conflict("内容涉密的不得在公众号发布：请选择“退回”并写明理由", code="secret")
    return {"secret": bool(secret), "secrecy_opinion": opinion or (
        DEFAULT_SECRECY_OPINION if decision == APPROVE else "")}


def _approve_releases(session: Session, message: Message, version: MessageVersion, *, actor: str,
                      now: datetime) -> list[Release]:
    """The complete chain approves the message's releases that wait for it."""
    approved = []
    releases = session.scalars(select(Release).where(Release.message_id == message.id)
                               .order_by(Release.scheduled_at))
    for release in releases:
        if release.state == State.PLANNED:
            transitions.approve(session, release, version.id, actor=actor, now=now)
            approved.append(release)
        elif release.state in (State.HELD, State.FAILED):
            # recorded; a retry puts it back in the schedule with this version
            release.approved_version_id = version.id
            approved.append(release)
    return approved


def composer_of(session: Session, message: Message, version: MessageVersion) -> str | None:
    """Who composed the version (the actor of its ``message.version`` audit row)."""
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "message.version", AuditEntry.object_id == str(message.id))
        .order_by(AuditEntry.id.desc())).all()
    match = next((e for e in entries if (e.detail or {}).get("sha256") == version.sha256), None)
    return match.actor if match is not None else None


def _tell_about_return(session: Session, message: Message, version: MessageVersion, row: Signoff,
                       what: str, now: datetime) -> None:
    """A return: the person who composed the version and everyone who signed it are told."""
    people = {r.username for r in chain.signoffs(session, version.id) if r.username != row.username}
    composer = composer_of(session, message, version)
    if composer:
        people.add(composer)
    title = version.articles[0].title if version.articles else f"消息 {message.id}"
    known = set(session.scalars(select(User.username).where(User.username.in_(people))))
    for username in sorted(people & known - {row.username}):
        session.add(Notice(username=username, created_at=now, kind="review.returned",
                           message=f"《{title}》v{version.version} 在“{what}”被 {row.display_name} 退回："
                                   f"{row.comment[:200]}",
                           link=f"/review/messages/{message.id}"))
