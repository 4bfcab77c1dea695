"""我的待办: what the review chain waits for from one person, and every message under review.

A message is *under review* while its current version may still go out: it has a release that is
waiting (planned, approved, held, failed) or has never been planned at all. For each one whose
chain is not sealed, a person's next action is

* to sign the next stage, when their role is one the stage allows and they have not signed another
  stage of the version (the last stage only once every 校对 round is done);
* to record a 校对 round, when their role may proofread, rounds are missing, the last stage is not
  approved and they have not recorded one yet;
* for editors: to rework a returned version, or to compose again a version whose cases changed.

Reads only, in a fixed handful of queries whatever the number of messages (the header shows the
count on every page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from wxpub.core.release_states import State
from wxpub.core.review_policy import APPROVE, PROOFREAD, ChainState, Policy, chain_state
from wxpub.editorial import chain
from wxpub.editorial.selection import chosen_cases
from wxpub.infra.clock import as_utc, local
from wxpub.models import Article, Chapter, Message, Release, ReviewComment, ReviewSheet, Signoff

WAITING_STATES = (State.PLANNED.value, State.APPROVED.value, State.HELD.value, State.FAILED.value)
EDITOR = "editor"
REASON_CHARS = 40


@dataclass
class UnderReview:
    """One message under review: its current version, the chain, and its next release."""

    message: Message
    version: object
    chapter: Chapter
    title: str
    progress: ChainState          # the chain of the current version
    stale: bool
    stale_since: datetime | None
    sealed: bool
    open_comments: int
    release: Release | None       # the next waiting release (None: not planned)

    @property
    def planned(self) -> datetime | None:
        return self.release.scheduled_at if self.release is not None else None

    @property
    def status(self) -> str:
        """Where the chain stands, in words: 已完成, 退回（复审）, 内容已修改, 等待复审 …"""
        state = self.progress
        if self.sealed:
            return "已完成"
        if self.stale:
            return "内容已修改，需重新生成"
        if state.returned is not None:
            return f"已退回（{state.returned.stage}）"
        if state.complete:
            return "已完成"
        nxt = state.next_stage
        if nxt is state.policy.last and state.proofreads_missing:
            return f"等待{PROOFREAD}（{len(state.proofreads)}/{state.policy.proofread_rounds}）"
        return f"等待{nxt.name}"


@dataclass
class Waiting:
    """One item of a person's 我的待办."""

    kind: str                     # sign | proofread | returned | stale
    what: str                     # "复审", "校对（第 2 轮）", "退回修改：理由…", "内容已修改，需重新生成"
    review: UnderReview
    since: datetime | None        # when it became waiting
    stage: str = ""               # the stage to sign (kind sign), 校对 (kind proofread)

    @property
    def message(self) -> Message:
        return self.review.message

    @property
    def version(self):
        return self.review.version

    @property
    def title(self) -> str:
        return self.review.title

    @property
    def planned(self) -> datetime | None:
        return self.review.planned

    def as_dict(self, tz) -> dict:
        """The item as plain JSON (times ISO, Beijing time)."""
        def iso(value):
            return local(value, tz).isoformat(timespec="seconds") if value is not None else None
        return {"message_id": self.message.id, "version": self.version.version,
                "version_hash": self.version.sha256, "title": self.title, "kind": self.kind,
                "what": self.what, "stage": self.stage, "since": iso(self.since), "planned": iso(self.planned),
                "link": f"/review/messages/{self.message.id}"}


def _latest(values) -> datetime | None:
    present = [as_utc(v) for v in values if v is not None]
    return max(present) if present else None


def under_review(session: Session, policy: Policy, *, titles: bool = True) -> list[UnderReview]:
    """Every message under review, soonest release first (those not planned last)."""
    waiting_ids = select(Release.message_id).where(Release.state.in_(WAITING_STATES))
    planned_ids = select(Release.message_id).where(Release.message_id.is_not(None))
    messages = list(session.scalars(
        select(Message).where(Message.current_version_id.is_not(None),
                              or_(Message.id.in_(waiting_ids), Message.id.not_in(planned_ids)))
        .options(joinedload(Message.current_version))))
    if not messages:
        return []
    nxt: dict[int, Release] = {}
    for release in session.scalars(select(Release).where(Release.message_id.in_([m.id for m in messages]),
                                                         Release.state.in_(WAITING_STATES))
                                   .order_by(Release.scheduled_at, Release.id)):
        nxt.setdefault(release.message_id, release)
    chosen = [(message, nxt.get(message.id)) for message in messages]
    version_ids = [m.current_version_id for m, _ in chosen]
    chapters = {c.id: c for c in session.scalars(
        select(Chapter).where(Chapter.id.in_({m.chapter_id for m, _ in chosen}))
        .options(selectinload(Chapter.cases)))}
    signoffs: dict[int, list[Signoff]] = {}
    voided: set[int] = set()
    for row in session.scalars(select(Signoff).where(Signoff.message_version_id.in_(version_ids))
                               .order_by(Signoff.at, Signoff.id)):
        if row.voided_at is None:
            signoffs.setdefault(row.message_version_id, []).append(row)
        else:
            voided.add(row.message_version_id)
    sheets = set(session.scalars(select(ReviewSheet.message_version_id)
                                 .where(ReviewSheet.message_version_id.in_(version_ids))))
    open_counts = dict(session.execute(
        select(ReviewComment.message_version_id, func.count(ReviewComment.id))
        .where(ReviewComment.message_version_id.in_(version_ids), ReviewComment.parent_id.is_(None),
               ReviewComment.resolved_at.is_(None))
        .group_by(ReviewComment.message_version_id)).all())
    names = dict(session.execute(select(Article.message_version_id, Article.title).where(
        Article.message_version_id.in_(version_ids), Article.idx == 1)).all()) if titles else {}
    out = []
    for message, release in chosen:
        version = message.current_version
        chapter = chapters[message.chapter_id]
        cases = chosen_cases(chapter)
        stale = [c.current_version_id for c in cases] != list(version.case_version_ids or [])
        out.append(UnderReview(
            message=message, version=version, chapter=chapter,
            title=names.get(version.id) or f"{chapter.name}（消息 {message.id}）",
            progress=chain_state(policy, chain.marks(signoffs.get(version.id, []))), stale=stale,
            stale_since=_latest([version.created_at, *(c.updated_at for c in chapter.cases)]) if stale else None,
            sealed=version.id in sheets and version.id not in voided,
            open_comments=open_counts.get(version.id, 0), release=release))
    out.sort(key=lambda r: (r.planned is None, as_utc(r.planned) if r.planned else as_utc(r.version.created_at),
                            r.message.id))
    return out


def _stage_since(state: ChainState, index: int, version) -> datetime | None:
    """When stage ``index`` became signable: the previous stage's approval (or the version)."""
    if index == 0:
        return version.created_at
    mark = state.latest.get(state.policy.stages[index - 1].name)
    return mark.at if mark is not None else version.created_at


def items_for(row: UnderReview, username: str, role: str) -> list[Waiting]:
    """What ``row`` waits for from ``username`` (with ``role``): none, one or two items."""
    if row.sealed:
        return []
    if row.stale:
        return [Waiting("stale", "内容已修改，需重新生成", row, row.stale_since)] if role == EDITOR else []
    state, policy = row.progress, row.progress.policy
    returned = state.returned
    if returned is not None:
        if role != EDITOR:
            return []
        reason = returned.comment if len(returned.comment) <= REASON_CHARS else returned.comment[:REASON_CHARS] + "…"
        return [Waiting("returned", f"退回修改：{reason}", row, returned.at, returned.stage)]
    out = []
    nxt = state.next_stage
    if nxt is not None and role in nxt.roles and state.signers.get(username) in (None, nxt.name):
        since = _stage_since(state, policy.stages.index(nxt), row.version)
        if nxt is not policy.last:
            out.append(Waiting("sign", nxt.name, row, since, nxt.name))
        elif not state.proofreads_missing:
            since = _latest([since, *(m.at for m in state.proofreads)])
            what = nxt.name + (f"（有 {row.open_comments} 条意见未解决）" if row.open_comments else "")
            out.append(Waiting("sign", what, row, since, nxt.name))
    last = state.latest.get(policy.last.name)
    if (role in policy.proofread_roles and state.proofreads_missing
            and not (last is not None and last.decision == APPROVE)
            and not any(m.username == username for m in state.proofreads)):
        since = state.proofreads[-1].at if state.proofreads else row.version.created_at
        out.append(Waiting("proofread", f"{PROOFREAD}（第 {len(state.proofreads) + 1} 轮）", row, since,
                           PROOFREAD))
    return out


def waiting_for(session: Session, user, policy: Policy, *, titles: bool = True) -> list[Waiting]:
    """``user``'s 我的待办 (an account or the logged-in person: ``username`` and ``role``),
    soonest release first."""
    out = []
    for row in under_review(session, policy, titles=titles):
        out += items_for(row, user.username, user.role)
    return out


def count(session: Session, user, policy: Policy) -> int:
    """How many items ``user``'s 我的待办 has (for the header)."""
    return len(waiting_for(session, user, policy, titles=False))
