"""Where the review chain of a message version stands (reads only).

The rules live in ``wxpub.core.review_policy``; this module feeds them the version's valid
sign-offs. A chain is *sealed* when the sign-off that completed it froze the version's 审核表
(``ReviewSheet``) and none of its sign-offs has since been voided: that, and only that, lets a
release of the version be approved or start publishing (``wxpub.releases.transitions``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, ValidationError
from wxpub.core.review_policy import ChainState, Mark, Policy, chain_state
from wxpub.models import Chapter, Message, MessageVersion, ReviewComment, ReviewSheet, Signoff


def signoffs(session: Session, version_id: int, *, valid_only: bool = True) -> list[Signoff]:
    """The version's sign-offs, oldest first (without the voided ones unless asked)."""
    query = select(Signoff).where(Signoff.message_version_id == version_id)
    if valid_only:
        query = query.where(Signoff.voided_at.is_(None))
    return list(session.scalars(query.order_by(Signoff.at, Signoff.id)))


def marks(rows: list[Signoff]) -> list[Mark]:
    """The rows as the pure rules see them."""
    return [Mark(stage=r.stage, decision=r.decision, username=r.username, at=r.at, round=r.round,
                 comment=r.comment or "", display_name=r.display_name or r.username) for r in rows]


def state(session: Session, version_id: int, policy: Policy) -> ChainState:
    """The chain of one version under ``policy``."""
    return chain_state(policy, marks(signoffs(session, version_id)))


def open_comments(session: Session, version_id: int) -> int:
    """Unresolved comment threads of the version (replies are counted with their thread)."""
    return session.scalar(select(func.count(ReviewComment.id)).where(
        ReviewComment.message_version_id == version_id, ReviewComment.parent_id.is_(None),
        ReviewComment.resolved_at.is_(None))) or 0


def version_drifted(session: Session, version: MessageVersion) -> bool:
    """True when the chapter's chosen cases (or their versions or order) are no longer what the
    version was rendered from: a case was edited after composing, so the version is out of date
    (every installment records the whole chapter's case versions)."""
    from wxpub.editorial.selection import chosen_cases

    message = session.get(Message, version.message_id)
    chapter = session.get(Chapter, message.chapter_id)
    return [row.current_version_id for row in chosen_cases(chapter)] != list(version.case_version_ids)


def current_version(session: Session, message: Message, version_hash: str | None, *,
                    purpose: str = "审核") -> MessageVersion:
    """The message's current version, checked against the hash the person looked at before
    ``purpose`` (审核, 预览 …): ``Conflict`` (``stale_version``) when the content moved on since."""
    version = message.current_version
    if version is None:
        raise Conflict(f"消息 {message.id} 还没有排版好的内容", code="no_version")
    given = (version_hash or "").strip().lower()
    if not given:
        raise ValidationError(f"缺少 version_hash（要{purpose}的版本的哈希）")
    if given != version.sha256:
        raise Conflict(f"要{purpose}的版本（{given[:12]}）已不是当前版本（v{version.version}，{version.sha256[:12]}）："
                       f"内容已更新，请刷新页面后{purpose}新版本", code="stale_version")
    if version_drifted(session, version):
        raise Conflict(f"v{version.version} 生成后案例内容又有修改，这一版本已过时：请编辑重新生成后再{purpose}",
                       code="stale_version")
    return version


def sealed(session: Session, version_id: int | None) -> bool:
    """True when the version's chain completed (its 审核表 was frozen) and still stands."""
    if version_id is None:
        return False
    if session.scalar(select(ReviewSheet.id).where(ReviewSheet.message_version_id == version_id)) is None:
        return False
    voided = session.scalar(select(func.count(Signoff.id)).where(
        Signoff.message_version_id == version_id, Signoff.voided_at.is_not(None)))
    return not voided


@dataclass
class Snapshot:
    """A message's review as the pages and the API show it."""

    message: Message
    version: MessageVersion | None
    state: ChainState | None
    stale: bool
    open_comments: int
    sealed: bool


def snapshot(session: Session, message: Message, policy: Policy) -> Snapshot:
    """The current version of ``message`` with its chain."""
    version = message.current_version
    if version is None:
        return Snapshot(message, None, None, False, 0, False)
    return Snapshot(message, version, state(session, version.id, policy),
                    version_drifted(session, version), open_comments(session, version.id),
                    sealed(session, version.id))
