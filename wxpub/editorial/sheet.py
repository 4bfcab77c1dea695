"""The 信息发布审核表 of one message version: every field as it is printed, built from the version,
its chain and its release; frozen (``ReviewSheet``) by the sign-off that completes the chain, and
never changed after that. Before then, ``build`` gives the sheet as it stands (marked 未完成).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.release_states import mode_name
from wxpub.core.review_policy import APPROVE, DECISION_NAMES, PROOFREAD, Policy
from wxpub.editorial import chain
from wxpub.editorial.history import cases_of
from wxpub.models import Account, AuditHead, Chapter, Message, MessageVersion, Release, ReviewSheet
from wxpub.staff.users import role_name

DEFAULT_SOURCE = "滨海新区营商环境办"


def _local(value: datetime | None, tz) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def release_of(session: Session, message: Message) -> Release | None:
    """The release the version is for: the next one still to go out, else the latest."""
    rows = list(session.scalars(select(Release).where(Release.message_id == message.id)
                                .order_by(Release.scheduled_at)))
    waiting = [r for r in rows if r.state not in ("published", "canceled")]
    return (waiting or rows or [None])[0] if rows else None


def build(session: Session, message: Message, version: MessageVersion, *, policy: Policy, tz) -> dict:
    """The sheet's fields (plain JSON) for ``version`` as things stand now."""
    chapter = session.get(Chapter, message.chapter_id)
    settings = chapter.settings or {}
    refs = cases_of(session, [version]).get(version.id, {})
    units = []
    for ref in refs.values():
        unit = (ref.content or {}).get("unit") or ""
        if unit and unit not in units:
            units.append(unit)
    release = release_of(session, message)
    account = session.get(Account, release.account_id) if release else None
    rows = chain.signoffs(session, version.id)
    state = chain.state(session, version.id, policy)
    stages = []
    secrecy = {}
    for stage in policy.stages:
        mark = state.latest.get(stage.name)
        row = next((r for r in reversed(rows) if r.stage == stage.name), None)
        if stage.name == policy.secrecy_stage and row is not None:
            secrecy = dict(row.details or {}, by=row.display_name or row.username)
        stages.append({"stage": stage.name, "duty": stage.duty,
                       "roles": [role_name(r) for r in stage.roles],
                       "decision": DECISION_NAMES.get(mark.decision, "") if mark else "",
                       "comment": mark.comment if mark else "",
                       "by": mark.username if mark else "", "name": mark.display_name if mark else "",
                       "at": _local(mark.at, tz) if mark else ""})
    personal = [f for f in version.findings or [] if str(f.get("rule", "")).startswith("personal.")]
    proof_findings = [f for f in version.findings or []
                      if str(f.get("rule", "")).startswith(("punct", "proofread", "lexicon.wording"))]
    head = session.get(AuditHead, 1)
    return {
        "form": "信息发布审核表",
        "units": units,
        "submitted_at": _local(version.created_at, tz),
        "titles": [a.title for a in version.articles],
        "digests": [a.digest for a in version.articles],
        "source": {"kind": "原创", "origin": settings.get("source") or DEFAULT_SOURCE},
        "account": account.name if account else "",
        "column": f"{chapter.series.name if chapter.series else ''} · {chapter.name}",
        "planned_at": _local(release.scheduled_at, tz) if release else "",
        "mode": mode_name(release.mode) if release else "",
        "secret": bool(secrecy.get("secret")) if secrecy else None,
        "secrecy_opinion": secrecy.get("secrecy_opinion", ""),
        "secrecy_by": secrecy.get("by", ""),
        "personal_data": ("未发现身份证号、手机号、银行卡号等个人信息" if not personal else
                          "发现 " + "；".join(f"{f.get('message', '')}" for f in personal[:5])),
        "proofreading": {"rounds": [{"round": m.round, "by": m.username, "name": m.display_name,
                                     "at": _local(m.at, tz), "comment": m.comment}
                                    for m in state.proofreads],
                         "required": policy.proofread_rounds,
                         "findings": len(proof_findings)},
        "stages": stages,
        "complete": state.complete,
        "version": version.version,
        "version_hash": version.sha256,
        "policy": policy.describe(role_name),
        "audit_head": head.row_hash if head else "",
        "stage_marks": [r.stage for r in rows if r.decision == APPROVE and r.stage != PROOFREAD],
    }


def digest(data: dict) -> str:
    """The canonical SHA-256 of a sheet's data."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def freeze(session: Session, message: Message, version: MessageVersion, *, policy: Policy,
           now: datetime, tz) -> ReviewSheet:
    """Archive the complete sheet of ``version`` (once; flushes, the sign-off commits)."""
    existing = frozen(session, version.id)
    if existing is not None:
        return existing
    data = build(session, message, version, policy=policy, tz=tz)
    data["frozen_at"] = _local(now, tz)
    release = release_of(session, message)
    row = ReviewSheet(message_version_id=version.id, release_id=release.id if release else None,
                      data=data, sha256=digest(data), created_at=now)
    session.add(row)
    session.flush()
    return row


def frozen(session: Session, version_id: int) -> ReviewSheet | None:
    """The archived sheet of a version, if its chain completed."""
    return session.scalar(select(ReviewSheet).where(ReviewSheet.message_version_id == version_id))
