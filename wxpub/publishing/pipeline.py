"""The publishing pipeline: a persisted, resumable state machine that submits each release once.

::

    approved ──claim──▶ publishing: "" ─gate─▶ claimed ─images─▶ images_uploaded ─draft─▶ drafted
        ─submit─▶ submitted ─confirm─▶ published | failed
    (late beyond the tolerance → held; content changed since approval → planned again)

Every step stores its result (image URLs, media_id, publish_id / msg_id) and commits before the next
one starts, so a crash resumes from the last committed step. The submit step writes an attempt row
*before* calling WeChat; if a run dies (or the connection drops) with that attempt unresolved, the next
run asks WeChat what happened (``draft/get`` + ``freepublish/batchget``; for mass sends the
``clientmsgid`` makes WeChat answer 45065 with the earlier msg_id) before it would ever submit again.
A lease (``lease_owner``/``lease_until``), taken by an atomic conditional UPDATE, keeps a second
scheduler from working on the same release; every step's commit re-checks it.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wxpub.notify import alerts

from wxpub.editorial import compose

from wxpub.releases import service as releases
from wxpub.publishing.leases import LEASE, claim, crashpoint, release_lease
from wxpub.publishing.outcomes import mark_failed, publish_status_message, record_event
from wxpub.core.errors import WxpubError
from wxpub.models import MessageVersion, PublishAttempt, Release
from wxpub.publishing.uploads import draft_payload
from wxpub.infra.runtime import Runtime
from wxpub.wechat import PermanentWeChatError, TransientWeChatError, WeChat, WeChatError
from wxpub.core.readback import compare_draft

log = logging.getLogger("wxpub.publishing.pipeline")

INLINE_TRIES = 5            # quick retries inside one run before handing over to the scheduler
BACKOFF_BASE = 1.0          # seconds; doubles per try, with jitter
BACKOFF_CAP = 300.0
CONFIRM_POLL = 1.0          # seconds between freepublish/get polls while waiting inline
SUBMIT_SETTLE = timedelta(seconds=30)  # an uncertain submit whose draft is still there: wait this long


class LeaseLost(Exception):
    """Another worker owns the release now: stop without touching it."""


class Wait(Exception):
    """Nothing more to do now (WeChat is still working); the confirm job will come back."""


# --- the pipeline ---------------------------------------------------------------------------------

def run_release(rt: Runtime, release_id: int, *, worker: str, sleep=time.sleep,
                prepare: bool = False) -> str | None:
    """Claim and advance one release as far as it goes now; returns its state (None if not claimed).

    With ``prepare`` (shortly before the planned time) only the steps before submission run — images
    uploaded, the draft created and read back — so that at the planned time only the submit remains.
    """
    ahead = timedelta(seconds=rt.settings.prepare_ahead) if prepare else timedelta(0)
    with rt.db.session() as session:
        if not claim(session, release_id, worker, rt.clock.now(), ahead=ahead):
            return None
        pipeline = Pipeline(rt, session, release_id, worker, sleep=sleep, prepare_only=prepare)
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

    def __init__(self, rt: Runtime, session: Session, release_id: int, worker: str, *, sleep=time.sleep,
                 prepare_only: bool = False):
        self.rt, self.session, self.release_id, self.worker = rt, session, release_id, worker
        self.sleep, self.prepare_only = sleep, prepare_only
        self.wx = WeChat(rt.settings, rt.db, clock=rt.clock)

    @property
    def release(self) -> Release:
        return self.session.get(Release, self.release_id)

    def now(self) -> datetime:
        return self.rt.clock.now()

    def run(self) -> None:
        """Advance until published, failed, held, waiting, or out of quick retries."""
        tries = 0
        while True:
            release = self.release
            self.session.refresh(release)
            if release.state not in ("approved", "publishing"):
                return
            try:
                if not self.advance(release):
                    return
                tries = 0
            except Wait:
                return
            except PermanentWeChatError as error:
                self.fail(error.errcode, error.message, error)
                return
            except TransientWeChatError as error:
                tries += 1
                self.log_transient(error)
                if tries >= INLINE_TRIES:
                    self.defer(error)
                    return
                self.sleep(backoff(tries))
                self.guarded_commit()

    # One step per call; returns False when the release reached a resting state.
    def advance(self, release: Release) -> bool:
        step = release.step or ""
        if step == "":
            return self.gate(release)
        if step == "claimed":
            self.upload_images(release)
            return self.commit_step("images_uploaded")
        if step == "images_uploaded":
            self.make_draft(release)
            return True
        if step == "drafted":
            if self.prepare_only:
                return False  # prepared: the submit waits for the planned time
            if release.state == "approved" and not self.fire(release):
                return release.state == "approved"  # reset to prepare again, or stopped
            self.submit(release)
            return True
        if step == "submitted":
            return self.confirm(release, wait=self.rt.settings.confirm_wait)
        raise WxpubError(f"发布 {release.id} 处于未知步骤 {step!r}")

    # -- gate ------------------------------------------------------------------------------------
    def approved_and_unchanged(self, release: Release) -> bool:
        """Check the approval and the library; on failure send the release back to planning."""
        if not releases.approval_valid(self.session, release):
            self.back_to_planning(release, "审批已失效（内容已修改或未审批），等待重新审批")
            return False
        if compose.content_drifted(self.session, release):
            compose.recompose(self.session, release.message_id, now=self.now(), actor="publisher",
                              lexicon=compose.office_lexicon(self.rt.settings))
            self.back_to_planning(self.release, "案例内容在审批后有改动，已生成新版本，需重新审批")
            return False
        return True

    def too_late(self, release: Release) -> bool:
        """Hold the release for a person when it would go out later than the tolerance."""
        due = release.next_try_at or release.scheduled_at
        late = (self.now() - due).total_seconds()
        if late <= self.rt.settings.late_tolerance:
            return False
        self.hold(release, f"已超过计划时间 {late / 60:.0f} 分钟（允许 {self.rt.settings.late_tolerance / 60:.0f} 分钟），"
                           "为避免发出过时内容已暂停，请确认后执行 wxpub release retry")
        return True

    def gate(self, release: Release) -> bool:
        if not self.approved_and_unchanged(release):
            return False
        if not self.prepare_only and self.too_late(release):
            return False
        crashpoint("gate")
        if not self.prepare_only:
            release.state = "publishing"
        release.sent_version_id = release.approved_version_id
        # One idempotency key per submission round: stable across crashes and resumes (the gate is
        # passed once per round), new after a person retries a failed release.
        rounds = self.session.scalar(select(func.count(PublishAttempt.id)).where(
            PublishAttempt.release_id == release.id, PublishAttempt.step == "claimed")) or 0
        release.client_msg_id = f"wxpub-{release.id}-{self.sent_version().sha256[:20]}-{rounds + 1}"
        self.attempt("claimed", "ok", detail={"prepare": self.prepare_only})
        return self.commit_step("claimed")

    def fire(self, release: Release) -> bool:
        """At the planned time, for a release prepared in advance: is the draft still the approved
        version? If not, discard it and start over; if too late, hold. True when it may be submitted."""
        if release.sent_version_id != release.approved_version_id or not self.approved_and_unchanged(release):
            self.discard_prepared()
            return False
        if self.too_late(release):
            return False
        release = self.release
        release.state = "publishing"
        self.attempt("fire", "ok", detail={"late_seconds": round(
            (self.now() - (release.next_try_at or release.scheduled_at)).total_seconds(), 3)})
        self.guarded_commit()
        return True

    def discard_prepared(self) -> None:
        """Drop a draft prepared for a version that is no longer the approved one."""
        release = self.release
        if release.media_id:
            try:
                self.wx.draft.delete(release.media_id)
            except WeChatError as error:
                log.warning("release %s: prepared draft %s not deleted: %s", release.id, release.media_id,
                            error.message)
        release = self.release
        self.attempt("discard", "ok", detail={"media_id": release.media_id})
        release.media_id, release.sent_version_id, release.step = None, None, ""
        self.guarded_commit()

    def back_to_planning(self, release: Release, why: str) -> bool:
        release = self.release
        release.state, release.approved_version_id, release.updated_at = "planned", None, self.now()
        release.error_message = why
        alerts.raise_alert(self.session, cause=f"release:{release.id}:unapproved", severity="warning",
                           message=f"发布 {release.id}：{why}", now=self.now(), release_id=release.id,
                           webhook_url=self.rt.settings.alert_webhook_url)
        self.guarded_commit()
        return False

    def hold(self, release: Release, why: str) -> None:
        release.state, release.error_message, release.updated_at = "held", why, self.now()
        self.attempt("hold", "permanent", detail={"reason": why})
        alerts.raise_alert(self.session, cause=f"release:{release.id}:held", message=f"发布 {release.id}：{why}",
                           now=self.now(), release_id=release.id,
                           webhook_url=self.rt.settings.alert_webhook_url)
        self.guarded_commit()

    # -- images ----------------------------------------------------------------------------------
    def sent_version(self) -> MessageVersion:
        return self.session.get(MessageVersion, self.release.sent_version_id)

    def upload_images(self, release: Release) -> None:
        draft_payload(self.session, self.wx, release.account_id, self.sent_version(), now=self.now(),
                      commit=self.guarded_commit, before_store=lambda kind: crashpoint(f"upload:{kind}"))

    def draft_articles(self, release: Release) -> list[dict]:
        """The exact ``draft/add`` payload: approved HTML with uploaded image URLs (all cached)."""
        return draft_payload(self.session, self.wx, release.account_id, self.sent_version(),
                             now=self.now(), commit=self.guarded_commit)

    def make_draft(self, release: Release) -> None:
        payload = self.draft_articles(release)
        attempt = self.attempt("draft", "running")
        self.guarded_commit()
        result = self.wx.draft.add(payload)
        crashpoint("draft")
        release = self.release
        release.media_id = result["media_id"]
        release.step = "drafted"
        self.finish(attempt, "ok", detail={"media_id": release.media_id})
        self.guarded_commit()
        self.read_back(release, payload)

    def read_back(self, release: Release, payload: list[dict]) -> None:
        """Read the draft back and record what WeChat changed (never blocks publishing)."""
        try:
            stored = self.wx.draft.get(release.media_id)
        except WeChatError as error:
            self.attempt("readback", "transient", errcode=error.errcode, detail={"error": error.message})
            self.guarded_commit()
            return
        changes = compare_draft(payload, stored.get("news_item", []))
        self.attempt("readback", "ok", detail={"changes": changes})
        if changes:
            log.warning("release %s: WeChat changed the draft: %s", release.id, changes)
        self.guarded_commit()

    # -- submit ----------------------------------------------------------------------------------
    def unresolved_submit(self) -> PublishAttempt | None:
        """The last submit attempt if its outcome is unknown (crash or dropped connection)."""
        attempt = self.session.scalar(select(PublishAttempt).where(
            PublishAttempt.release_id == self.release_id, PublishAttempt.step == "submit")
            .order_by(PublishAttempt.id.desc()).limit(1))
        return attempt if attempt is not None and attempt.outcome in ("running", "uncertain") else None

    def submit(self, release: Release) -> None:
        pending = self.unresolved_submit()
        if pending is not None and release.mode == "publish":
            if self.reconcile_publish(release, pending):
                return
        attempt = self.attempt("submit", "running", detail={"media_id": release.media_id})
        self.guarded_commit()
        crashpoint("submit:before")
        try:
            if release.mode == "mass_send":
                result = self.send_mass(release)
            else:
                result = self.wx.freepublish.submit(release.media_id)
        except TransientWeChatError as error:
            self.finish(attempt, "uncertain" if error.maybe_applied else "transient",
                        errcode=error.errcode, detail={"error": error.message})
            self.guarded_commit()
            raise
        except WeChatError as error:
            self.finish(attempt, "permanent", errcode=error.errcode, detail={"error": error.message})
            self.guarded_commit()
            raise
        crashpoint("submit:after")
        release = self.release
        release.publish_id = str(result["publish_id"]) if result.get("publish_id") is not None else None
        release.msg_id = str(result["msg_id"]) if result.get("msg_id") is not None else None
        release.msg_data_id = str(result["msg_data_id"]) if result.get("msg_data_id") is not None else None
        release.submitted_at, release.step = self.now(), "submitted"
        self.finish(attempt, "ok", detail={k: v for k, v in result.items() if k != "errmsg"})
        self.guarded_commit()

    def send_mass(self, release: Release) -> dict:
        """Mass send with the release's clientmsgid; 45065 means our earlier send exists."""
        try:
            return self.wx.mass.sendall(release.media_id, clientmsgid=release.client_msg_id, is_to_all=True)
        except PermanentWeChatError as error:
            if error.errcode == 45065 and error.body.get("msg_id") is not None:
                log.info("release %s: mass send already accepted earlier (45065)", release.id)
                return {"msg_id": error.body["msg_id"], "msg_data_id": error.body.get("msg_data_id"),
                        "reconciled": True}
            raise

    def reconcile_publish(self, release: Release, pending: PublishAttempt) -> bool:
        """Before any resubmission: did the earlier submit reach WeChat? True if it did.

        The draft leaving the draft box, or a finished publish with our titles, proves it did. A
        draft still in the box proves nothing while WeChat may still be working on it, so within
        ``SUBMIT_SETTLE`` of the uncertain submit we wait instead of submitting again.
        """
        try:
            self.wx.draft.get(release.media_id)
        except PermanentWeChatError as error:
            if error.errcode != 40007:
                raise
            self.finish(pending, "ok", detail={"reconciled": "draft consumed by an earlier submit"})
            release = self.release
            release.submitted_at = release.submitted_at or pending.started_at
            release.step = "submitted"
            self.guarded_commit()
            return True
        if self.match_published(release, since=pending.started_at):
            return True
        settle_until = pending.started_at + SUBMIT_SETTLE
        if self.now() < settle_until:
            release = self.release
            release.next_try_at = settle_until
            self.guarded_commit()
            raise Wait()
        self.finish(pending, "not_applied", detail={"reconciled": "draft still in the draft box"})
        self.guarded_commit()
        return False

    def match_published(self, release: Release, *, since: datetime) -> bool:
        """Find a finished publish of this release's titles since ``since`` (freepublish/batchget)."""
        titles = [a.title for a in self.sent_version().articles]
        listing = self.wx.freepublish.batchget(0, 20, no_content=False)
        for item in listing.get("item", []):
            news = (item.get("content") or {}).get("news_item") or []
            if [n.get("title") for n in news] == titles and \
                    int(item.get("update_time", 0)) >= since.timestamp() - 120:
                self.published([n.get("url", "") for n in news], item.get("article_id"))
                return True
        return False

    # -- confirm ---------------------------------------------------------------------------------
    def confirm(self, release: Release, *, wait: float) -> bool:
        """Ask WeChat for the outcome, polling up to ``wait`` seconds; False once settled or waiting."""
        deadline = time.monotonic() + wait
        while True:
            outcome = self.check_outcome(self.release)
            if outcome != "pending":
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Wait()
            self.sleep(min(CONFIRM_POLL, remaining))
            self.guarded_commit()

    def check_outcome(self, release: Release) -> str:
        crashpoint("confirm")
        if release.mode == "mass_send":
            return self.check_mass(release)
        if release.publish_id is None:
            return self.find_in_batchget(release)
        result = self.wx.freepublish.get(release.publish_id)
        status = int(result.get("publish_status", 1))
        if status == 1:
            return "pending"
        if status == 0:
            items = (result.get("article_detail") or {}).get("item") or []
            self.published([i.get("article_url", "") for i in items], result.get("article_id"))
            return "published"
        self.fail(None, publish_status_message(status, result.get("fail_idx") or []), None,
                  detail={"publish_status": status})
        return "failed"

    def check_mass(self, release: Release) -> str:
        result = self.wx.mass.get(release.msg_id)
        status = result.get("msg_status")
        if status == "SENDING":
            return "pending"
        if status == "SEND_SUCCESS":
            self.published(list(release.article_urls or []), None)
            return "published"
        self.fail(None, f"群发失败（微信状态 {status}）", None, detail={"msg_status": status})
        return "failed"

    def find_in_batchget(self, release: Release) -> str:
        """Find a publish whose id we never learned (crash right after submit) by its titles."""
        if self.match_published(release, since=release.submitted_at or release.updated_at):
            return "published"
        try:
            self.wx.draft.get(release.media_id)
        except PermanentWeChatError as error:
            if error.errcode == 40007:
                return "pending"  # still being published: WeChat lists it once done
            raise
        # The draft is back in the draft box: that publish job failed; submitting again is safe.
        release.step = "drafted"
        self.attempt("reconcile", "ok", detail={"found": "draft returned: earlier publish failed"})
        self.guarded_commit()
        return "pending"

    def published(self, urls: list[str], article_id) -> None:
        release = self.release
        release.state, release.step = "published", "published"
        release.article_urls = [u for u in urls if u] or list(release.article_urls or [])
        release.published_at = release.published_at or self.now()
        release.error_code = release.error_message = None
        self.attempt("published", "ok", detail={"article_id": article_id, "urls": release.article_urls})
        alerts.resolve(self.session, f"release:{release.id}:held", self.now())
        self.guarded_commit()
        log.info("release %s published: %s", release.id, release.article_urls)

    # -- failure and retry -------------------------------------------------------------------------
    def fail(self, errcode, message: str, error, detail: dict | None = None) -> None:
        mark_failed(self.session, self.rt.settings, self.release, errcode, message, self.now(),
                    worker=self.worker, detail=detail)
        self.guarded_commit()

    def defer(self, error: TransientWeChatError) -> None:
        """Out of quick retries: try again later unless that would be past the tolerance."""
        if self.prepare_only:
            # Preparing early is an optimisation: the run at the planned time simply tries again.
            self.guarded_commit()
            return
        release = self.release
        release.attempts += 1
        retry_at = self.now() + timedelta(seconds=backoff(release.attempts + INLINE_TRIES))
        limit = (release.next_try_at or release.scheduled_at) + timedelta(seconds=self.rt.settings.late_tolerance)
        if release.step in ("", "claimed", "images_uploaded", "drafted") and retry_at > limit:
            self.hold(release, f"微信接口持续故障，已超过允许的延迟：{error.message}")
            return
        release.next_try_at = retry_at
        release.error_message = f"暂时失败，{retry_at.astimezone(self.rt.settings.tz):%H:%M:%S} 重试：{error.message}"
        self.guarded_commit()

    def log_transient(self, error: TransientWeChatError) -> None:
        self.attempt(self.release.step or "gate", "transient", errcode=error.errcode,
                     detail={"error": error.message, "maybe_applied": error.maybe_applied})
        self.guarded_commit()

    # -- bookkeeping -------------------------------------------------------------------------------
    def attempt(self, step: str, outcome: str, *, errcode=None, detail=None) -> PublishAttempt:
        row = PublishAttempt(release_id=self.release_id, step=step, worker=self.worker, started_at=self.now(),
                             finished_at=None if outcome == "running" else self.now(), outcome=outcome,
                             errcode=errcode, detail=detail or {})
        self.session.add(row)
        return row

    def finish(self, attempt: PublishAttempt, outcome: str, *, errcode=None, detail=None) -> None:
        attempt.outcome, attempt.finished_at, attempt.errcode = outcome, self.now(), errcode
        attempt.detail = {**(attempt.detail or {}), **(detail or {})}

    def commit_step(self, step: str) -> bool:
        release = self.release
        release.step, release.updated_at = step, self.now()
        self.guarded_commit()
        return True

    def guarded_commit(self) -> None:
        """Commit only while we still hold the lease (and extend it); before a long wait this is
        also how the lease is renewed. Raises ``LeaseLost`` if another worker took it over."""
        result = self.session.execute(
            update(Release).where(Release.id == self.release_id, Release.lease_owner == self.worker)
            .values(lease_until=self.now() + LEASE).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            self.session.rollback()
            raise LeaseLost()
        self.session.commit()


def backoff(tries: int) -> float:
    """Exponential backoff with full jitter (seconds)."""
    return random.uniform(0.5, 1.0) * min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (tries - 1)))


# --- the periodic job -----------------------------------------------------------------------------

def resume_and_confirm(rt: Runtime, *, worker) -> list[int]:
    """Resume releases whose worker died or whose retry is due, confirm submitted ones, and prepare
    (images, draft) those due within ``prepare_ahead``. ``worker`` makes a fresh lease identity."""
    now = rt.clock.now()
    with rt.db.session() as session:
        # Leased rows are included: ``claim`` takes over leases of dead local workers (kill -9)
        # at once and skips live ones, so a restart does not wait for the lease to expire.
        ids = list(session.scalars(select(Release.id).where(
            Release.state.in_(("approved", "publishing")), Release.scheduled_at <= now,
            (Release.next_try_at.is_(None)) | (Release.next_try_at <= now))
            .order_by(Release.scheduled_at)))
        ahead = now + timedelta(seconds=rt.settings.prepare_ahead)
        prepare = list(session.scalars(select(Release.id).where(
            Release.state == "approved", Release.scheduled_at > now, Release.scheduled_at <= ahead,
            Release.step != "drafted").order_by(Release.scheduled_at)))
    for release_id in ids:
        try:
            run_release(rt, release_id, worker=worker())
        except Exception:  # one broken release must not stop the others
            log.exception("release %s: pipeline error", release_id)
    for release_id in prepare:
        try:
            run_release(rt, release_id, worker=worker(), prepare=True)
        except Exception:
            log.exception("release %s: preparation error", release_id)
    return ids


__all__ = ["run_release", "resume_and_confirm", "claim", "record_event", "mark_failed", "Pipeline",
           "backoff"]
