"""Content that changes under a release already planned or approved: say so at once.

An edit (or a re-import) of a case that an approved or scheduled chapter article carries does not
change what was approved — that message version is immutable — but what was approved is now not the
latest content. The editor sees it on the page (``releases_carrying``), and every person who signed
off the release gets a notice right away, not at the planned time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.release_states import STATE_NAMES, State
from wxpub.models import Approval, Case, Notice, Release

# Releases that are still to go out: a change under them matters.
WAITING = (State.PLANNED, State.APPROVED, State.HELD, State.FAILED)


def releases_carrying(session: Session, case: Case) -> list[Release]:
    """The releases still to go out whose chapter article carries ``case`` (by its chapter)."""
    rows = session.scalars(select(Release).where(Release.chapter_id == case.chapter_id,
                                                 Release.state.in_([s.value for s in WAITING]))
                           .order_by(Release.scheduled_at))
    return list(rows)


def _approved_content_differs(session: Session, release: Release) -> bool:
    """True when what the release's approved version was rendered from is no longer the
    chapter's content — the very test the publisher applies before sending
    (``selection.content_drifted``), so a notice goes out exactly when the release will need a new
    approval (an edit of a case the article leaves out, e.g. a rejected one, needs none)."""
    from wxpub.editorial.selection import content_drifted

    if release.approved_version_id is None:
        return True
    return content_drifted(session, release)


def who(session: Session, username: str) -> str:
    """How staff see a colleague: "张三（zhangsan）", or the username when that is all there is."""
    from wxpub.models import User

    user = session.scalar(select(User).where(User.username == username))
    shown = getattr(user, "display_name", "") or username
    return shown if shown == username else f"{shown}（{username}）"


def describe(release: Release, tz) -> str:
    """"2023-12-05 09:00 的发布（已审批待发）" for notices and banners."""
    when = release.scheduled_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return f"{when} 的发布（{STATE_NAMES.get(State(release.state), release.state)}）"


def flag_change(session: Session, case: Case, *, actor: str, now: datetime, tz,
                what: str = "修改") -> list[Release]:
    """Tell everyone who approved a waiting release that carries ``case`` that its content changed
    (one notice each); flushes, the caller's use case commits. Returns those releases."""
    return notify_change(session, case, actor=actor, now=now, tz=tz, what=what)[0]


def notify_change(session: Session, case: Case, *, actor: str, now: datetime, tz,
                  what: str = "修改") -> tuple[list[Release], list[str]]:
    """``flag_change`` that also says who was told: (the waiting releases, the approvers notified
    as "display name" or "display name（username）", sorted)."""
    releases = releases_carrying(session, case)
    notified: dict[str, str] = {}
    for release in releases:
        if not _approved_content_differs(session, release):
            continue
        approvers = dict(session.execute(
            select(Approval.approver_username, Approval.approved_by).where(
                Approval.release_id == release.id, Approval.voided_at.is_(None),
                Approval.approver_username.is_not(None))).all())
        message = (f"案例《{case.title}》已被 {who(session, actor)} {what}；{describe(release, tz)}"
                   "审批的是修改前的内容：请重新生成并重新审批，否则到计划时间不会发布。")
        for username in sorted(approvers):
            session.add(Notice(username=username, created_at=now, kind="content_changed",
                               message=message[:500], link=f"/library/cases/{case.id}"))
            shown = approvers[username] or username
            notified[username] = shown if shown == username else f"{shown}（{username}）"
    return releases, sorted(notified.values())
