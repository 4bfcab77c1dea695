"""The engine's fast path at the planned time: fire a prepared release in two short transactions.

A burst is a thousand releases whose images, draft and read-back were done ahead
(``wxpub.publishing.claims.Work.PREPARE``): what is left at the planned time is the checks, the
submit and its bookkeeping. Done through the ORM pipeline that costs about twenty-five statements a
release; here it is five before the call and two after it, with the same guarantees:

1. one read checks what the pipeline's ``fire`` checks — still approved for the message's current
   version, that version's review chain complete and not voided (先审后发), the draft made from the
   approved version, the chapter's chosen cases unchanged since (``content_drifted``), on time, the
   account enabled and its credentials readable — and anything unusual goes to the pipeline, which
   says what is wrong (back to planning, held, discarded draft);
2. approved → publishing (``transitions.start_claimed``, only while we hold the lease), the fire and
   the ``running`` submit attempt rows, committed *before* WeChat is called — so a crash after the
   call is reconciled, never resubmitted blindly;
3. the submit; then the ids WeChat gave, ``submitted`` with the first verdict question due, the
   attempt finished and the lease given back, in one commit.

A WeChat error after step 2 is recorded on the attempt as the pipeline records it, then the release
is handed to the pipeline (permanent: it fails; transient or uncertain: it retries or reconciles).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import exists, insert, select, update

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


def _checks(release_id: int):
    sheet = exists().where(ReviewSheet.message_version_id == Release.approved_version_id)
    voided = exists().where(Signoff.message_version_id == Release.approved_version_id,
                            Signoff.voided_at.is_not(None))
    return (select(Release.state, Release.step, Release.approved_version_id, Release.sent_version_id,
                   Release.scheduled_at, Release.next_try_at, Release.media_id, Release.mode,
                   Release.client_msg_id, Release.lease_owner, Release.account_id, Release.chapter_id,
                   Message.current_version_id, MessageVersion.case_version_ids,
                   sheet.label("sealed"), voided.label("voided"))
            .join(Message, Message.id == Release.message_id)
            .join(MessageVersion, MessageVersion.id == Release.approved_version_id)
            .where(Release.id == release_id))


def fire_prepared(rt: Runtime, release_id: int, *, owner: str) -> bool:
    """Fire the claimed, prepared release ``release_id``; False when it is not a plain prepared
    release (nothing written: the pipeline takes it up and says why)."""
    now = rt.clock.now()
    with rt.db.session() as session:
        db = session.connection()  # Core statements: the ORM's per-statement work is most of the cost
        row = db.execute(_checks(release_id)).one_or_none()
        if row is None or row.lease_owner != owner or row.state != State.APPROVED.value \
                or row.step != Step.DRAFTED.value or row.sent_version_id != row.approved_version_id \
                or row.current_version_id != row.approved_version_id or not row.sealed or row.voided:
            return False
        cases = db.execute(select(Case.id, Case.position, Case.status, Case.current_version_id)
                                .where(Case.chapter_id == row.chapter_id)).all()
        if [c.current_version_id for c in chosen_cases(SimpleNamespace(cases=cases))] != list(row.case_version_ids):
            return False
        due = row.next_try_at or row.scheduled_at
        if (now - due).total_seconds() > rt.settings.late_tolerance:
            return False
        account = session.get(Account, row.account_id)
        if account is None or not account.enabled:
            return False
        try:
            wx = rt.wechat_for(account)
        except WxpubError:
            return False
        if not transitions.start_claimed(session, release_id, owner=owner, step=row.step, actor=ACTOR, now=now):
            session.rollback()
            return False
        attempt_id = db.execute(insert(PublishAttempt).returning(PublishAttempt.id, sort_by_parameter_order=True), [
            dict(release_id=release_id, step="fire", worker=owner, started_at=now, finished_at=now, outcome="ok",
                 errcode=None, detail={"late_seconds": round((now - due).total_seconds(), 3)}),
            dict(release_id=release_id, step="submit", worker=owner, started_at=now, finished_at=None,
                 outcome="running", errcode=None, detail={"media_id": row.media_id}),
        ]).scalars().all()[-1]
        session.commit()
    crashpoint("submit:before")
    release = SimpleNamespace(id=release_id, media_id=row.media_id, client_msg_id=row.client_msg_id)
    try:
        result = CHANNELS[Mode(row.mode)].submit(SimpleNamespace(wx=wx), release)
    except WeChatError as error:
        _hand_over(rt, release_id, attempt_id, owner, error)
        return True
    crashpoint("submit:after")
    _submitted(rt, release_id, attempt_id, owner, result, media_id=row.media_id)
    return True


def _submitted(rt: Runtime, release_id: int, attempt_id: int, owner: str, result: dict, *,
               media_id: str | None) -> None:
    now = rt.clock.now()
    ids = {name: str(result[name]) for name in ("publish_id", "msg_id", "msg_data_id") if result.get(name) is not None}
    with rt.db.session() as session:
        db = session.connection()
        kept = db.execute(
            update(Release).where(Release.id == release_id, Release.lease_owner == owner)
            .values(**ids, submitted_at=now, step=Step.SUBMITTED.value, updated_at=now,
                    next_try_at=now + timedelta(seconds=rt.settings.verdict_first),
                    lease_owner=None, lease_until=None)
            ).rowcount
        if kept != 1:
            # Another worker took the release over meanwhile: leave the attempt "running" for it to
            # reconcile (it finds the draft consumed), exactly as the pipeline's lost lease does.
            session.rollback()
            log.warning("release %s: lease lost after the submit; the new owner reconciles", release_id)
            return
        db.execute(update(PublishAttempt).where(PublishAttempt.id == attempt_id).values(
            outcome="ok", finished_at=now,
            detail={"media_id": media_id, **{k: v for k, v in result.items() if k != "errmsg"}}))
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
