"""What a chapter's messages went through: their versions, which one was sent, and what the
composer's preview needs to point into them (read-only; a handful of queries per page).

History is never rewritten: a version that was sent stays as it was; a later composition is a new
version for a new release. ``sent`` finds what actually went out, so the preview can show that
rather than the latest version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.release_states import State
from wxpub.models import Article, CaseVersion, Message, MessageVersion, Release


@dataclass
class VersionInfo:
    """One version of a message as the composer lists it."""

    version: MessageVersion
    previous: MessageVersion | None = None
    changed_articles: list[int] = field(default_factory=list)   # 1-based article numbers
    changed_cases: int = 0            # chosen cases whose content (or order) differs from before
    release: Release | None = None    # the published release that sent this version


@dataclass
class CaseRef:
    """Case number n of a version (the n-th chosen case): its case id and stored content."""

    number: int
    case_id: int
    content: dict


def sent(session: Session, message_id: int) -> Release | None:
    """The latest published release of the message (``sent_version_id``: what went out)."""
    return session.scalars(
        select(Release).where(Release.message_id == message_id,
                              Release.state.in_([State.PUBLISHED.value, State.MANUAL.value]),
                              Release.sent_version_id.is_not(None))
        .order_by(Release.published_at.desc(), Release.id.desc())).first()


def messages_of(session: Session, chapter_id: int) -> list[Message]:
    """The chapter's messages (installments) in order."""
    return list(session.scalars(select(Message).where(Message.chapter_id == chapter_id)
                                .order_by(Message.part)))


def versions(session: Session, messages: list[Message]) -> dict[int, list[VersionInfo]]:
    """Per message id, its versions newest first, each compared with the one before it (which
    articles and how many chosen cases changed) and marked with the release that sent it."""
    ids = [m.id for m in messages]
    if not ids:
        return {}
    rows = list(session.scalars(select(MessageVersion).where(MessageVersion.message_id.in_(ids))
                                .order_by(MessageVersion.message_id, MessageVersion.version)))
    hashes: dict[int, dict[int, str]] = {}
    for version_id, idx, sha in session.execute(
            select(Article.message_version_id, Article.idx, Article.sha256)
            .where(Article.message_version_id.in_([r.id for r in rows]))):
        hashes.setdefault(version_id, {})[idx] = sha
    published = {r.sent_version_id: r for r in session.scalars(
        select(Release).where(Release.message_id.in_(ids), Release.state.in_([State.PUBLISHED.value, State.MANUAL.value]),
                              Release.sent_version_id.is_not(None)))}
    out: dict[int, list[VersionInfo]] = {i: [] for i in ids}
    previous: dict[int, MessageVersion] = {}
    for row in rows:
        before = previous.get(row.message_id)
        info = VersionInfo(row, before, release=published.get(row.id))
        if before is not None:
            old, new = hashes.get(before.id, {}), hashes.get(row.id, {})
            info.changed_articles = sorted(i for i in set(old) | set(new) if old.get(i) != new.get(i))
            a, b = list(before.case_version_ids or []), list(row.case_version_ids or [])
            info.changed_cases = sum(1 for i in range(max(len(a), len(b)))
                                     if (a[i] if i < len(a) else None) != (b[i] if i < len(b) else None))
        out[row.message_id].insert(0, info)
        previous[row.message_id] = row
    return out


def cases_of(session: Session, version_list: list[MessageVersion]) -> dict[int, dict[int, CaseRef]]:
    """Per version id, its case numbers → ``CaseRef`` (one query for all of them): case n of a
    version is the n-th of its ``case_version_ids``."""
    wanted = {i for v in version_list for i in (v.case_version_ids or [])}
    rows = {r.id: r for r in session.scalars(select(CaseVersion).where(CaseVersion.id.in_(wanted)))} \
        if wanted else {}
    out = {}
    for version in version_list:
        out[version.id] = {n: CaseRef(n, rows[i].case_id, rows[i].content)
                           for n, i in enumerate(version.case_version_ids or [], start=1) if i in rows}
    return out
