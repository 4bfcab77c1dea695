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
from wxpub.models import Case, Release

# Releases that are still to go out: a change under them matters.
WAITING = (State.PLANNED, State.APPROVED, State.HELD, State.FAILED)


def releases_carrying(session: Session, case: Case) -> list[Release]:
    """The releases still to go out whose chapter article carries ``case`` (by its chapter)."""
    rows = session.scalars(select(Release).where(Release.chapter_id == case.chapter_id,
                                                 Release.state.in_([s.value for s in WAITING]))
                           .order_by(Release.scheduled_at))
    return list(rows)


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
    """``flag_change`` that also says who was told: (the waiting releases, the signers notified
    as "display name" or "display name（username）", sorted).

    A change under a composed chapter article voids the review chain of its current version at once
    (``wxpub.editorial.voids``): the people who signed are told, and its approved releases go back
    to planning until the article is composed again and signed again."""
    from wxpub.editorial import voids
    from wxpub.editorial.chain import version_drifted
    from wxpub.models import Message

    releases = releases_carrying(session, case)
    notified: list[str] = []
    messages = session.scalars(select(Message).where(Message.chapter_id == case.chapter_id))
    for message in messages:
        version = message.current_version
        if version is None or not version_drifted(session, version):
            continue
        waiting = "、".join(describe(r, tz) for r in releases if r.message_id == message.id)
        reason = (f"案例《{case.title}》已被 {who(session, actor)} {what}；{waiting or '这篇文章'}"
                  "审核的是修改前的内容，已退回待审批：请重新生成并重新审核，否则到计划时间不会发布")
        for name in voids.void_signoffs(session, version, reason=reason, now=now, actor=actor,
                                        link=f"/library/cases/{case.id}"):
            if name not in notified:
                notified.append(name)
        voids.unapprove_releases(session, message, reason=reason, now=now, actor=actor)
    return releases, sorted(notified)
