"""The publishing pipeline: a persisted, resumable state machine that submits each release once.

::

    approved ──claim──▶ "" ─gate─▶ claimed ─images─▶ images_uploaded ─draft─▶ drafted
        ─submit─▶ submitted ─confirm─▶ published | failed
    (late beyond the tolerance → held; content changed since approval → planned again)

Each step is a handler (``wxpub.publishing.steps``) that stores its result (image URLs, media_id,
publish_id / msg_id) and commits before the next one starts, so a crash resumes from the last
committed step; the two modes (发布 / 群发) are channels (``wxpub.publishing.channels``). The submit
step writes an attempt row *before* calling WeChat; if a run dies (or the connection drops) with
that attempt unresolved, the next run asks WeChat what happened (``wxpub.publishing.reconcile``)
before it would ever submit again. A lease (``lease_owner``/``lease_until``), taken by an atomic
conditional UPDATE, keeps a second worker off the release; every commit re-checks it. State moves
go through ``wxpub.releases.transitions`` only.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from wxpub.core.errors import WxpubError
from wxpub.core.release_states import ACTIVE, Step
from wxpub.infra.runtime import Runtime
from wxpub.models import MessageVersion, PublishAttempt, Release
from wxpub.publishing.flow import LeaseLost, Wait, with_rid
from wxpub.publishing.leases import claim, release_lease
from wxpub.publishing.steps import HANDLERS
from wxpub.releases import transitions
from wxpub.wechat import PermanentWeChatError, TransientWeChatError
from wxpub.wechat.limits import RateLimited

log = logging.getLogger("wxpub.publishing.pipeline")

INLINE_TRIES = 5            # quick retries inside one run before handing over to the scheduler
QUICK_TRIES = 3             # the engine's: a burst must not park worker threads in backoffs
QUICK_BACKOFF = 0.2         # seconds, the engine's first inline backoff
BACKOFF_BASE = 1.0          # seconds; doubles per try, with jitter
BACKOFF_CAP = 300.0
PUBLISHER = "publisher"     # the actor named in transitions made by the pipeline


def run_release(rt: Runtime, release_id: int, *, worker: str, sleep=time.sleep,
                prepare: bool = False) -> str | None:
    """Claim and advance one release as far as it goes now; returns its state (None if not claimed).

    With ``prepare`` (shortly before the planned time) only the steps before submission run — images
    uploaded, the draft created and read back — so that at the planned time only the submit remains.
    This is the one-release way (operators, tests): after the submit it waits for WeChat's verdict a
    bounded time. The scheduler's engine (``wxpub.publishing.engine``) never waits: see ``run_claimed``.
    """
    ahead = timedelta(seconds=rt.settings.prepare_ahead) if prepare else timedelta(0)
    lease = timedelta(seconds=rt.settings.lease_seconds)
    with rt.db.session() as session:
        if not claim(session, release_id, worker, rt.clock.now(), ahead=ahead, lease=lease):
            return None
        return _advance(Pipeline(rt, session, release_id, worker, sleep=sleep, prepare_only=prepare))


def run_claimed(rt: Runtime, release_id: int, *, worker: str, prepare: bool = False,
                sleep=time.sleep) -> str | None:
    """Advance a release already claimed by ``worker`` (a batch claim) without ever waiting for
    WeChat's verdict: after the submit, or after one question whose answer is "still publishing",
    the release rests in ``submitted`` with its next question due at ``next_try_at``, and the
    worker thread is free for the next release. Transient failures get two quick retries, then the
    release is deferred (``next_try_at``) instead of holding a thread through a backoff."""
    with rt.db.session() as session:
        return _advance(Pipeline(rt, session, release_id, worker, sleep=sleep, prepare_only=prepare,
                                 waits=False))


def _advance(pipeline: "Pipeline") -> str | None:
    session, release_id, worker = pipeline.session, pipeline.release_id, pipeline.worker
    try:
        pipeline.run()
    except LeaseLost:
        log.warning("release %s: lease lost to another worker; stopping", release_id)
        session.rollback()
        return None
    finally:
        if session.is_active:
            release_lease(session, release_id, worker)
    return session.get(Release, release_id).state


class Pipeline:
    """Advances one claimed release step by step; every step commits before the next."""

    log = log

    def __init__(self, rt: Runtime, session: Session, release_id: int, worker: str, *, sleep=time.sleep,
                 prepare_only: bool = False, waits: bool = True):
        self.rt, self.session, self.release_id, self.worker = rt, session, release_id, worker
        self.sleep, self.prepare_only = sleep, prepare_only
        # ``waits``: poll for the verdict in this run (one release at a time), or leave it to the
        # verdict work of the engine. The engine also retries less inline and defers sooner.
        self.waits = waits
        self.inline_tries, self.backoff_base = (INLINE_TRIES, BACKOFF_BASE) if waits else (QUICK_TRIES, QUICK_BACKOFF)
        self.actor = PUBLISHER
        self.lease = timedelta(seconds=rt.settings.lease_seconds)

    @property
    def wx(self):
        """The WeChat facade of the release's own account (its token, its quotas)."""
        return self.rt.wechat_for(self.release.account)

    @property
    def release(self) -> Release:
        return self.session.get(Release, self.release_id)

    def now(self) -> datetime:
        return self.rt.clock.now()

    def sent_version(self) -> MessageVersion:
        return self.session.get(MessageVersion, self.release.sent_version_id)

    def run(self) -> None:
        """Advance until published, failed, held, waiting, or out of quick retries.

        Transient failures are retried inline (``INLINE_TRIES``, with backoff) and recorded as one
        attempt row per run — when the step finally goes through, or when the run defers — not
        one row per try: while WeChat is down that would be a row every second or so."""
        tries = 0
        self.transients: list[tuple[str, TransientWeChatError]] = []
        while True:
            release = self.release
            self.session.refresh(release)
            if release.state not in ACTIVE:
                self.log_transient()
                return
            try:
                step = Step(release.step or "")
            except ValueError:
                raise WxpubError(f"发布 {release.id} 处于未知步骤 {release.step!r}") from None
            try:
                go_on = HANDLERS[step](self, release)
            except Wait:
                self.log_transient()
                return
            except RateLimited as error:
                self.log_transient()
                self.wait_for_rate(error)
                return
            except PermanentWeChatError as error:
                self.log_transient()
                self.fail(error.errcode, error.message, detail=with_rid({}, error))
                return
            except TransientWeChatError as error:
                tries += 1
                self.transients.append((self.release.step or "gate", error))
                if tries >= self.inline_tries:
                    self.defer(error)
                    return
                self.sleep(backoff(tries, base=self.backoff_base))
                self.guarded_commit()
                continue
            self.log_transient(recovered=True)
            if not go_on:
                return
            tries = 0

    # -- settling (through the one state writer) ---------------------------------------------------
    def published(self, urls: list[str], article_id, *, reason: str = "微信确认发布成功") -> None:
        transitions.published(self.session, self.release, urls=urls, actor=self.actor, now=self.now(),
                              article_id=article_id, reason=reason)
        self.guarded_commit()

    def fail(self, errcode, message: str, detail: dict | None = None) -> None:
        transitions.failed(self.session, self.release, errcode=errcode, message=message,
                           actor=self.actor, now=self.now(), settings=self.rt.settings, detail=detail)
        self.guarded_commit()

    def hold(self, why: str) -> None:
        transitions.hold(self.session, self.release, reason=why, actor=self.actor, now=self.now(),
                         settings=self.rt.settings)
        self.guarded_commit()

    def back_to_planning(self, why: str) -> None:
        release = self.release
        if release.state in ACTIVE:
            transitions.void_approval(self.session, release, reason=why, actor=self.actor,
                                      now=self.now(), settings=self.rt.settings)
        else:  # the re-render already voided the approval (and said so); keep the publisher's reason
            release.error_message = why
        self.guarded_commit()

    def defer(self, error: TransientWeChatError) -> None:
        """Out of quick retries: try again later unless that would be past the tolerance."""
        if self.prepare_only:
            # Preparing early is an optimisation: the run at the planned time simply tries again,
            # and the periodic job prepares again only after a backoff (``Release.prepare_after``).
            deferrals = _prepare_deferrals(self.session, self.release_id)
            retry_at = self.now() + timedelta(seconds=backoff(deferrals + 1 + INLINE_TRIES))
            self.release.prepare_after = retry_at
            self.log_transient(prepare_retry_at=retry_at)
            return
        self.log_transient()
        release = self.release
        release.attempts += 1
        # The one-release run has already tried for a while (INLINE_TRIES with backoff); the engine's
        # quick tries took under a second, so its first deferral is short too.
        offset = INLINE_TRIES if self.waits else 0
        retry_at = self.now() + timedelta(seconds=backoff(release.attempts + offset))
        limit = (release.next_try_at or release.scheduled_at) + timedelta(seconds=self.rt.settings.late_tolerance)
        before_submit = (Step.NONE, Step.CLAIMED, Step.IMAGES_UPLOADED, Step.DRAFTED)
        if release.step in before_submit and retry_at > limit:
            self.hold(f"微信接口持续故障，已超过允许的延迟：{error.message}")
            return
        release.next_try_at = retry_at
        release.error_message = f"暂时失败，{retry_at.astimezone(self.rt.settings.tz):%H:%M:%S} 重试：{error.message}"
        self.guarded_commit()

    def wait_for_rate(self, error: RateLimited) -> None:
        """The endpoint's calls of this minute are used up for the account: take the release up
        again when the next minute starts (not a failure; no backoff, no attempt counted)."""
        release = self.release
        if self.prepare_only:
            release.prepare_after = error.retry_at
        else:
            release.next_try_at = error.retry_at
            release.error_message = (f"{error.endpoint} 本分钟限额已用完，"
                                     f"{error.retry_at.astimezone(self.rt.settings.tz):%H:%M:%S} 继续")
        self.attempt(release.step or "gate", "rate_limited", errcode=error.errcode,
                     detail=with_rid({"error": error.message, "retry_at": error.retry_at.isoformat()}, error))
        self.guarded_commit()

    def log_transient(self, *, recovered: bool = False, prepare_retry_at: datetime | None = None) -> None:
        """One attempt row for the transient failures since the last one (nothing if none): the
        step, how many tries failed, the last errors (with WeChat's rid) and whether a retry
        then went through."""
        failures, self.transients = getattr(self, "transients", []), []
        if not failures:
            if prepare_retry_at is not None:
                self.guarded_commit()
            return
        step, last = failures[0][0], failures[-1][1]
        detail = {"error": last.message, "maybe_applied": any(e.maybe_applied for _, e in failures),
                  "tries": len(failures), "errors": [e.message for _, e in failures[-INLINE_TRIES:]],
                  "recovered": recovered}
        with_rid(detail, last)
        if prepare_retry_at is not None:
            detail["prepare_retry_at"] = prepare_retry_at.isoformat()
        self.attempt(step, "transient", errcode=last.errcode, detail=detail)
        self.guarded_commit()

    # -- bookkeeping -------------------------------------------------------------------------------
    def unresolved_submit(self) -> PublishAttempt | None:
        """The last submit attempt if its outcome is unknown (crash or dropped connection)."""
        attempt = self.session.scalar(select(PublishAttempt).where(
            PublishAttempt.release_id == self.release_id, PublishAttempt.step == "submit")
            .order_by(PublishAttempt.id.desc()).limit(1))
        return attempt if attempt is not None and attempt.outcome in ("running", "uncertain") else None

    def attempt(self, step: str, outcome: str, *, errcode=None, detail=None) -> PublishAttempt:
        row = PublishAttempt(release_id=self.release_id, step=step, worker=self.worker, started_at=self.now(),
                             finished_at=None if outcome == "running" else self.now(), outcome=outcome,
                             errcode=errcode, detail=detail or {})
        self.session.add(row)
        return row

    def finish(self, attempt: PublishAttempt, outcome: str, *, errcode=None, detail=None) -> None:
        attempt.outcome, attempt.finished_at, attempt.errcode = outcome, self.now(), errcode
        attempt.detail = {**(attempt.detail or {}), **(detail or {})}

    def commit_step(self, step: Step) -> bool:
        release = self.release
        release.step, release.updated_at = step.value, self.now()
        self.guarded_commit()
        return True

    def guarded_commit(self) -> None:
        """Commit only while we still hold the lease (and extend it); before a long wait this is
        also how the lease is renewed. Raises ``LeaseLost`` (after rolling back everything this
        step wrote, its alerts and outbox rows included) if another worker took it over."""
        result = self.session.execute(
            update(Release).where(Release.id == self.release_id, Release.lease_owner == self.worker)
            .values(lease_until=self.now() + self.lease).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            self.session.rollback()
            raise LeaseLost()
        self.session.commit()


def _prepare_deferrals(session: Session, release_id: int) -> int:
    """How many preparation runs in a row ended in transient failures (the latest rows)."""
    rows = session.scalars(select(PublishAttempt).where(PublishAttempt.release_id == release_id)
                           .order_by(PublishAttempt.id.desc()).limit(20))
    count = 0
    for row in rows:
        if row.outcome != "transient" or "prepare_retry_at" not in (row.detail or {}):
            break
        count += 1
    return count


def backoff(tries: int, *, base: float = BACKOFF_BASE) -> float:
    """Exponential backoff with full jitter (seconds)."""
    return random.uniform(0.5, 1.0) * min(BACKOFF_CAP, base * (2 ** (tries - 1)))
