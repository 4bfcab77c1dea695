"""The engine's fast path at the planned time: fire a group of prepared releases in two short
transactions.

A burst is a thousand releases whose images, draft and read-back were done ahead
(``wxpub.publishing.claims.Work.PREPARE``): what is left at the planned time is the checks, the
submit and its bookkeeping. Done through the ORM pipeline that costs about twenty-five statements a
release; here a group of releases (the engine hands over a few at once) costs seven statements
before the calls and one or two a release after them, with the same guarantees:

1. one read checks, for the whole group, what the pipeline's ``fire`` checks — still approved for
   the message's current version, that version's review chain complete and not voided (先审后发),
   the draft made from the approved version, the chapter's chosen cases unchanged since
   (``content_drifted``), on time, the account enabled and its credentials readable — and anything
   unusual goes to the pipeline, which says what is wrong (back to planning, held, discarded draft);
2. approved → publishing (``transitions.start_claimed``, only while we hold the lease), the fire and
   the ``running`` submit attempt rows, committed *before* WeChat is called — so a crash after a
   call is reconciled, never resubmitted blindly (a crash in the middle of a group leaves the
   releases not yet called with a running attempt too: reconciling finds their drafts unconsumed);
3. the submits (side by side when the engine runs them); then for each the ids WeChat gave, ``submitted`` with the first
   verdict question due, the attempt finished and the lease given back, in one commit.

A WeChat error after step 2 is recorded on the attempt as the pipeline records it, then the release
is handed to the pipeline (permanent: it fails; transient or uncertain: it retries or reconciles).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, exists, insert, select, update

from wxpub.core.errors import WxpubError
from wxpub.core.release_states import Mode, State, Step
from wxpub.editorial.selection import chosen_cases
from wxpub.infra.runtime import Runtime
from wxpub.models import Account, Case, Message, MessageVersion, PublishAttempt, Release, ReviewSheet, Signoff
from wxpub.publishing.channels import CHANNELS
from wxpub.publishing.flow import with_rid
from wxpub.publishing.leases import crashpoint
from wxpub.releases import transitions
from wxpub.wechat import PermanentWeChatError, WeChatError

log = logging.getLogger("wxpub.publishing.fire")
ACTOR = "publisher"


def _checks(release_ids: list[int]):
    sheet = exists().where(ReviewSheet.message_version_id == Release.approved_version_id)
    voided = exists().where(Signoff.message_version_id == Release.approved_version_id,
                            Signoff.voided_at.is_not(None))
    return (select(Release.id, Release.state, Release.step, Release.approved_version_id,
                   Release.sent_version_id, Release.scheduled_at, Release.next_try_at, Release.media_id,
                   Release.mode, Release.client_msg_id, Release.lease_owner, Release.account_id,
                   Release.chapter_id, Message.current_version_id, MessageVersion.case_version_ids,
                   sheet.label("sealed"), voided.label("voided"))
            .join(Message, Message.id == Release.message_id)
            .join(MessageVersion, MessageVersion.id == Release.approved_version_id)
            .where(Release.id.in_(release_ids)))


@dataclass
class _Shot:
    """One release of a group, from its checks to WeChat's answer."""

    row: object
    wx: object
    attempt_id: int = 0
    result: dict | None = None
    answered_at: datetime | None = None
    error: WeChatError | None = None


def fire_group(rt: Runtime, release_ids: list[int], *, owner: str, call_map=map) -> list[int]:
    """Fire the claimed, prepared releases ``release_ids`` together: one transaction before the
    calls, the submits, one transaction after them. Returns the ids that are not plain prepared
    releases (nothing written for them: the pipeline takes them up and says why).

    ``call_map`` runs the submits (the engine passes its callers pool's ``map``, so that a slow
    answer for one account does not hold up the other accounts' submits; default: one by one)."""
    now = rt.clock.now()
    with rt.db.pinned_session() as session:
        shots, others = _ready(rt, session, release_ids, owner=owner, now=now)
        if not shots:
            return others
        db = session.connection()
        moved = transitions.start_claimed(session, list(shots), owner=owner, step=Step.DRAFTED.value,
                                          actor=ACTOR, now=now)
        others += [rid for rid in shots if rid not in moved]  # approval withdrawn meanwhile
        shots = {rid: shot for rid, shot in shots.items() if rid in moved}
        if not shots:
            session.rollback()
            return others
        rows = []
        for shot in shots.values():
            due = shot.row.next_try_at or shot.row.scheduled_at
            rows += [dict(release_id=shot.row.id, step="fire", worker=owner, started_at=now, finished_at=now,
                          outcome="ok", errcode=None,
                          detail={"late_seconds": round((now - due).total_seconds(), 3)}),
                     dict(release_id=shot.row.id, step="submit", worker=owner, started_at=now,
                          finished_at=None, outcome="running", errcode=None,
                          detail={"media_id": shot.row.media_id})]
        ids = db.execute(insert(PublishAttempt).returning(PublishAttempt.id, sort_by_parameter_order=True),
                         rows).scalars().all()
        for shot, attempt_id in zip(shots.values(), ids[1::2]):
            shot.attempt_id = attempt_id
        session.commit()  # before any call: a crash after a call is reconciled, never resubmitted blindly
        list(call_map(lambda shot: _submit(rt, shot), list(shots.values())))
        _record(rt, session, [s for s in shots.values() if s.error is None], owner)
    for shot in shots.values():
        if shot.error is not None:
            _hand_over(rt, shot.row.id, shot.attempt_id, owner, shot.error)
    return others


def _ready(rt: Runtime, session, release_ids: list[int], *, owner: str, now: datetime):
    """The releases that pass every check, as shots by id; and the ids that do not."""
    db = session.connection()  # Core statements: the ORM's per-statement work is most of the cost
    rows = {row.id: row for row in db.execute(_checks(release_ids))}
    chapters: dict[int, list] = {}
    for case in db.execute(select(Case.chapter_id, Case.id, Case.position, Case.status, Case.current_version_id)
                           .where(Case.chapter_id.in_({r.chapter_id for r in rows.values()}))):
        chapters.setdefault(case.chapter_id, []).append(case)
    accounts = {a.id: a for a in session.scalars(
        select(Account).where(Account.id.in_({r.account_id for r in rows.values()})))}
    shots, others = {}, []
    for rid in release_ids:
        row = rows.get(rid)
        wx = _plain(rt, row, owner, chapters, accounts, now) if row is not None else None
        if wx is None:
            others.append(rid)
        else:
            shots[rid] = _Shot(row, wx)
    return shots, others


def _plain(rt: Runtime, row, owner: str, chapters: dict, accounts: dict, now: datetime):
    """The account's WeChat facade when ``row`` is a plain prepared release, on time; else None."""
    if row.lease_owner != owner or row.state != State.APPROVED.value or row.step != Step.DRAFTED.value \
            or row.sent_version_id != row.approved_version_id \
            or row.current_version_id != row.approved_version_id or not row.sealed or row.voided:
        return None
    chosen = chosen_cases(SimpleNamespace(cases=chapters.get(row.chapter_id, [])))
    if [c.current_version_id for c in chosen] != list(row.case_version_ids):
        return None
    if (now - (row.next_try_at or row.scheduled_at)).total_seconds() > rt.settings.late_tolerance:
        return None
    account = accounts.get(row.account_id)
    if account is None or not account.enabled:
        return None
    try:
        return rt.wechat_for(account)
    except WxpubError:
        return None


def _submit(rt: Runtime, shot: _Shot) -> None:
    crashpoint("submit:before")
    release = SimpleNamespace(id=shot.row.id, media_id=shot.row.media_id, client_msg_id=shot.row.client_msg_id)
    try:
        shot.result = CHANNELS[Mode(shot.row.mode)].submit(SimpleNamespace(wx=shot.wx), release)
    except WeChatError as error:
        shot.error = error
        return
    shot.answered_at = rt.clock.now()
    crashpoint("submit:after")


def _record(rt: Runtime, session, shots: list[_Shot], owner: str) -> None:
    """WeChat's ids, ``submitted`` with the first verdict question due, the attempts finished and
    the leases given back: one commit for the group."""
    if not shots:
        return
    db = session.connection()
    finished = []
    for shot in shots:
        at, result = shot.answered_at, shot.result
        ids = {name: str(result[name]) for name in ("publish_id", "msg_id", "msg_data_id")
               if result.get(name) is not None}
        kept = db.execute(
            update(Release).where(Release.id == shot.row.id, Release.lease_owner == owner)
            .values(**ids, submitted_at=at, step=Step.SUBMITTED.value, updated_at=at,
                    next_try_at=at + timedelta(seconds=rt.settings.verdict_first),
                    lease_owner=None, lease_until=None)).rowcount
        if kept != 1:
            # Another worker took the release over meanwhile: leave the attempt "running" for it
            # to reconcile (it finds the draft consumed), exactly as the pipeline's lost lease does.
            log.warning("release %s: lease lost after the submit; the new owner reconciles", shot.row.id)
            continue
        finished.append(dict(attempt_id=shot.attempt_id, b_finished=at, b_detail={
            "media_id": shot.row.media_id, **{k: v for k, v in result.items() if k != "errmsg"}}))
    if finished:
        db.execute(update(PublishAttempt).where(PublishAttempt.id == bindparam("attempt_id"))
                   .values(outcome="ok", finished_at=bindparam("b_finished"), detail=bindparam("b_detail")),
                   finished)
    session.commit()


def _hand_over(rt: Runtime, release_id: int, attempt_id: int, owner: str, error: WeChatError) -> None:
    """Record the failed submit as the pipeline does, then let the pipeline decide what follows."""
    from wxpub.publishing.pipeline import Pipeline, run_claimed

    now = rt.clock.now()
    if isinstance(error, PermanentWeChatError):
        outcome = "permanent"
    else:
        outcome = "uncertain" if error.maybe_applied else "transient"
    with rt.db.session() as session:
        session.execute(update(PublishAttempt).where(PublishAttempt.id == attempt_id).values(
            outcome=outcome, finished_at=now, errcode=error.errcode,
            detail=with_rid({"error": error.message}, error)))
        session.commit()
    if outcome != "permanent":
        run_claimed(rt, release_id, worker=owner)  # retries, waits for the minute, or reconciles
        return
    with rt.db.session() as session:
        pipeline = Pipeline(rt, session, release_id, owner, waits=False)
        pipeline.fail(error.errcode, error.message, detail=with_rid({}, error))
        session.execute(update(Release).where(Release.id == release_id, Release.lease_owner == owner)
                        .values(lease_owner=None, lease_until=None))
        session.commit()
