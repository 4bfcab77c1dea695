"""Any change voids the review chain of the version it changes: its sign-offs are marked void (the
rows stay, for the record), the people who signed are told, and the message's approved releases go
back to planning (through the release state model). Helpers flush only; the use case that made the
change (compose, a case edit, an import) commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.release_states import FROZEN, State
from wxpub.models import Message, MessageVersion, Notice, Release, Signoff
from wxpub.releases import transitions


def _sent_versions(session: Session, message_id: int) -> set[int]:
    """Versions that went out or are going out: history is never rewritten."""
    rows = session.scalars(select(Release).where(Release.message_id == message_id,
                                                 Release.state.in_([s.value for s in FROZEN])))
    return {r.sent_version_id or r.approved_version_id for r in rows} - {None}


def void_signoffs(session: Session, version: MessageVersion, *, reason: str, now: datetime,
                  actor: str, link: str = "") -> list[str]:
    """Void every valid sign-off of ``version`` and tell each signer (not ``actor``) once;
    returns the signers' "display name（username）" labels."""
    if version.id in _sent_versions(session, version.message_id):
        return []
    rows = list(session.scalars(select(Signoff).where(Signoff.message_version_id == version.id,
                                                      Signoff.voided_at.is_(None))))
    people: dict[str, str] = {}
    for row in rows:
        row.voided_at = now
        row.void_reason = reason[:300]
        people.setdefault(row.username, row.display_name or row.username)
    title = version.articles[0].title if version.articles else f"消息 {version.message_id}"
    for username in sorted(people):
        if username == actor:
            continue
        session.add(Notice(username=username, created_at=now, kind="review.voided",
                           message=f"你签署过的《{title}》v{version.version} 审核已作废：{reason}"[:500],
                           link=link or f"/review/messages/{version.message_id}"))
    return [name if name == username else f"{name}（{username}）" for username, name in sorted(people.items())]


def unapprove_releases(session: Session, message: Message, *, reason: str, now: datetime, actor: str,
                       settings=None) -> list[Release]:
    """The message's approved releases go back to planning (those held or failed lose their
    approval too); sending and sent ones keep theirs."""
    out = []
    for release in session.scalars(select(Release).where(Release.message_id == message.id)):
        if release.state == State.APPROVED:
            transitions.void_approval(session, release, reason=reason, actor=actor, now=now,
                                      settings=settings)
            out.append(release)
        elif release.state in (State.PLANNED, State.HELD, State.FAILED) and release.approved_version_id:
            release.approved_version_id = None
            out.append(release)
    return out


def void_message(session: Session, message: Message, *, reason: str, now: datetime, actor: str,
                 settings=None, keep_version_id: int | None = None) -> list[str]:
    """Void the chains of every version of ``message`` except ``keep_version_id`` and take its
    releases out of "approved"; returns who was told."""
    told: list[str] = []
    version_ids = session.scalars(select(Signoff.message_version_id).where(
        Signoff.message_id == message.id, Signoff.voided_at.is_(None)).distinct())
    for version in [session.get(MessageVersion, i) for i in sorted(set(version_ids))]:
        if version.id != keep_version_id:
            told += [t for t in void_signoffs(session, version, reason=reason, now=now, actor=actor)
                     if t not in told]
    unapprove_releases(session, message, reason=reason, now=now, actor=actor, settings=settings)
    return told
