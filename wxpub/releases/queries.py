"""Read-only views of releases for lists, commands and the API."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.errors import NotFound
from wxpub.editorial import chain
from wxpub.models import Account, Chapter, Message, MessageVersion, Release


def listing(session: Session, *, tz) -> list[dict]:
    """Every release, soonest first, in the ``release list --json`` shape."""
    rows = session.execute(select(Release, Chapter.name).join(Chapter, Release.chapter_id == Chapter.id)
                           .order_by(Release.scheduled_at, Release.id)).all()
    return listed(session, rows, tz=tz)


def listed(session: Session, rows, *, tz) -> list[dict]:
    """``(release, chapter name)`` rows in the ``release list --json`` shape, the version hashes
    of all of them read in two queries (not two per release)."""
    releases = [r for r, _ in rows]
    message_ids = {r.message_id for r in releases if r.message_id}
    current = dict(session.execute(select(Message.id, Message.current_version_id)
                                   .where(Message.id.in_(message_ids))).all()) if message_ids else {}
    carried = {r.id: r.sent_version_id or r.approved_version_id or current.get(r.message_id)
               for r in releases if r.message_id}
    wanted = {v for v in carried.values() if v}
    hashes = dict(session.execute(select(MessageVersion.id, MessageVersion.sha256)
                                  .where(MessageVersion.id.in_(wanted))).all()) if wanted else {}
    accounts = {row.id: row for row in session.execute(select(Account.id, Account.code, Account.name))}
    return [release_dict(r, name, tz, version_hash=hashes.get(carried.get(r.id)),
                         account=accounts.get(r.account_id))
            for r, name in rows]


def release_dict(r: Release, chapter: str, tz, *, version_hash: str | None | object = ...,
                 account=None) -> dict:
    """One release in the ``release list --json`` shape (``version_hash`` and ``account`` (its code
    and name) when the caller read them already, as ``listed`` does)."""
    account = account if account is not None else r.account
    return {"id": r.id, "chapter": chapter, "mode": r.mode,
            "account": account.code if account is not None else None,
            "account_name": account.name if account is not None else None,
            "scheduled_at": r.scheduled_at.astimezone(tz).isoformat(), "state": r.state,
            "article_urls": list(r.article_urls or []), "plan_key": r.plan_key,
            "step": r.step, "error_code": r.error_code, "error_message": r.error_message,
            "published_at": r.published_at.astimezone(tz).isoformat() if r.published_at else None,
            "approved": r.approved_version_id is not None, "message_id": r.message_id,
            "version_hash": _version_hash(r) if version_hash is ... else version_hash}


def _version_hash(r: Release) -> str | None:
    """The hash of the version the release carries: what it sent, else what was approved, else
    its message's current version."""
    if r.message is None:
        return None
    from sqlalchemy.orm import object_session
    session = object_session(r)
    version_id = r.sent_version_id or r.approved_version_id or r.message.current_version_id
    version = session.get(MessageVersion, version_id) if session is not None and version_id else None
    return version.sha256 if version is not None else None


def get(session: Session, release_id: int) -> Release:
    """The release with this id, or ``NotFound``."""
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound(f"没有编号为 {release_id} 的发布")
    return release


def approval_valid(session: Session, release: Release) -> bool:
    """True when the release is approved for its message's current version and that version's
    review chain is complete and still stands (``wxpub.editorial.chain.sealed``)."""
    message = session.get(Message, release.message_id)
    version = message.current_version if message else None
    if version is None or release.approved_version_id != version.id:
        return False
    return chain.sealed(session, version.id)
