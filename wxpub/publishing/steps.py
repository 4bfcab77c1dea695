"""One handler per pipeline step: each advances a claimed release by one step and commits it.

``HANDLERS`` maps the release's last committed step to the handler that takes the next one; a
handler returns True to go on, False when the release reached a resting state (settled, waiting for
its time, or sent back to planning). Handlers receive the ``Pipeline`` (``p``) for its WeChat
facade, clock, lease-guarded commit and bookkeeping.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import func, select

from wxpub.core.release_states import State, Step
from wxpub.core.readback import compare_draft
from wxpub.editorial import compose
from wxpub.publishing.flow import Wait, with_rid
from wxpub.models import PublishAttempt, Release
from wxpub.publishing.channels import channel_for
from wxpub.publishing.leases import crashpoint
from wxpub.publishing.uploads import draft_payload
from wxpub.releases import transitions
from wxpub.releases.queries import approval_valid
from wxpub.core.errors import WxpubError
from wxpub.wechat import TransientWeChatError, WeChatError


# --- checks shared by the gate and the fire ------------------------------------------------------

def approved_and_unchanged(p, release: Release) -> bool:
    """Check the approval and the library; on failure send the release back to planning."""
    if not approval_valid(p.session, release):
        p.back_to_planning("审批已失效（内容已修改或未审批），等待重新审批")
        return False
    if compose.content_drifted(p.session, release):
        compose.recompose(p.session, release.message_id, now=p.now(), actor=p.actor,
                          lexicon=compose.office_lexicon(p.rt.settings), settings=p.rt.settings)
        p.back_to_planning("案例内容在审批后有改动，已生成新版本，需重新审批")
        return False
    return True


def too_late(p, release: Release) -> bool:
    """Hold the release for a person when it would go out later than the tolerance."""
    due = release.next_try_at or release.scheduled_at
    late = (p.now() - due).total_seconds()
    tolerance = p.rt.settings.late_tolerance
    if late <= tolerance:
        return False
    p.hold(f"已超过计划时间 {late / 60:.0f} 分钟（允许 {tolerance / 60:.0f} 分钟），"
           "为避免发出过时内容已暂停，请确认后重试")
    return True


# --- the steps -------------------------------------------------------------------------------------

def gate(p, release: Release) -> bool:
    """Approved, unchanged, on time and on an enabled account: claim a submission round (its
    idempotency key)."""
    if not approved_and_unchanged(p, release):
        return False
    if not release.account.enabled:
        p.hold(f"公众号“{release.account.name}”已由 {release.account.disabled_by or '管理员'} 停用，"
               "不再发布；重新启用后请恢复这次发布")
        return False
    try:
        p.wx
    except WxpubError as error:  # the account's credentials cannot be read
        p.hold(error.message)
        return False
    if not p.prepare_only and too_late(p, release):
        return False
    crashpoint("gate")
    if not p.prepare_only and release.state == State.APPROVED:
        transitions.start(p.session, release, actor=p.actor, now=p.now())
    release.sent_version_id = release.approved_version_id
    # One idempotency key per submission round: stable across crashes and resumes (the gate is
    # passed once per round), new after a person retries a failed release.
    rounds = p.session.scalar(select(func.count(PublishAttempt.id)).where(
        PublishAttempt.release_id == release.id, PublishAttempt.step == Step.CLAIMED.value)) or 0
    release.client_msg_id = f"wxpub-{release.id}-{p.sent_version().sha256[:20]}-{rounds + 1}"
    p.attempt(Step.CLAIMED.value, "ok", detail={"prepare": p.prepare_only})
    return p.commit_step(Step.CLAIMED)


def upload_images(p, release: Release) -> bool:
    """Every body image and cover uploaded once (through the content-hash cache)."""
    draft_payload(p.session, p.wx, release.account_id, p.sent_version(), now=p.now(),
                  commit=p.guarded_commit, before_store=lambda kind: crashpoint(f"upload:{kind}"))
    return p.commit_step(Step.IMAGES_UPLOADED)


def make_draft(p, release: Release) -> bool:
    """``draft/add`` with the approved HTML and uploaded image URLs, then read it back."""
    payload = draft_payload(p.session, p.wx, release.account_id, p.sent_version(), now=p.now(),
                            commit=p.guarded_commit)
    attempt = p.attempt("draft", "running")
    p.guarded_commit()
    result = p.wx.draft.add(payload)
    crashpoint("draft")
    release = p.release
    release.media_id = result["media_id"]
    release.step = Step.DRAFTED.value
    p.finish(attempt, "ok", detail={"media_id": release.media_id})
    p.guarded_commit()
    read_back(p, release, payload)
    return True


def read_back(p, release: Release, payload: list[dict]) -> None:
    """Read the draft back and record what WeChat changed (never blocks publishing)."""
    try:
        stored = p.wx.draft.get(release.media_id)
    except WeChatError as error:
        p.attempt("readback", "transient", errcode=error.errcode,
                  detail=with_rid({"error": error.message}, error))
        p.guarded_commit()
        return
    changes = compare_draft(payload, stored.get("news_item", []))
    p.attempt("readback", "ok", detail={"changes": changes})
    p.guarded_commit()


def submit_when_due(p, release: Release) -> bool:
    """At the planned time: fire a prepared release (if still valid), then submit it."""
    if p.prepare_only:
        return False  # prepared: the submit waits for the planned time
    if release.state == State.APPROVED and not fire(p, release):
        return p.release.state == State.APPROVED  # reset to prepare again, or stopped
    submit(p, p.release)
    return True


def fire(p, release: Release) -> bool:
    """For a release prepared in advance: is the draft still the approved version? If not, discard
    it and start over; if too late, hold. True when it may be submitted."""
    if release.sent_version_id != release.approved_version_id or not approved_and_unchanged(p, release):
        discard_prepared(p)
        return False
    if too_late(p, release):
        return False
    release = p.release
    transitions.start(p.session, release, actor=p.actor, now=p.now())
    p.attempt("fire", "ok", detail={"late_seconds": round(
        (p.now() - (release.next_try_at or release.scheduled_at)).total_seconds(), 3)})
    p.guarded_commit()
    return True


def discard_prepared(p) -> None:
    """Drop a draft prepared for a version that is no longer the approved one."""
    release = p.release
    if release.media_id:
        try:
            p.wx.draft.delete(release.media_id)
        except WeChatError as error:
            p.log.warning("release %s: prepared draft %s not deleted: %s", release.id,
                          release.media_id, error.message)
    release = p.release
    p.attempt("discard", "ok", detail={"media_id": release.media_id})
    release.media_id, release.sent_version_id, release.step = None, None, Step.NONE.value
    p.guarded_commit()


def submit(p, release: Release) -> None:
    """Submit once per round: an earlier submit whose outcome is unknown is reconciled first."""
    channel = channel_for(release)
    pending = p.unresolved_submit()
    if pending is not None and not channel.safe_to_submit(p, release, pending):
        return
    attempt = p.attempt("submit", "running", detail={"media_id": release.media_id})
    p.guarded_commit()
    crashpoint("submit:before")
    try:
        result = channel.submit(p, release)
    except TransientWeChatError as error:
        p.finish(attempt, "uncertain" if error.maybe_applied else "transient",
                 errcode=error.errcode, detail=with_rid({"error": error.message}, error))
        p.guarded_commit()
        raise
    except WeChatError as error:
        p.finish(attempt, "permanent", errcode=error.errcode,
                 detail=with_rid({"error": error.message}, error))
        p.guarded_commit()
        raise
    crashpoint("submit:after")
    release = p.release
    for name in ("publish_id", "msg_id", "msg_data_id"):
        if result.get(name) is not None:
            setattr(release, name, str(result[name]))
    release.submitted_at, release.step = p.now(), Step.SUBMITTED.value
    # Waiting for the verdict is a state: the first question is due a moment later (asking at once
    # only spends freepublish/get quota on "still publishing"); WeChat's event may settle it first.
    if not p.waits:  # a one-release run asks at once, in ``confirm``
        release.next_try_at = p.now() + timedelta(seconds=p.rt.settings.verdict_first)
    p.finish(attempt, "ok", detail={k: v for k, v in result.items() if k != "errmsg"})
    p.guarded_commit()


def confirm(p, release: Release) -> bool:
    """Ask WeChat for its verdict. In the engine (``p.waits`` false): once, when the question is due,
    and if WeChat is still publishing, schedule the next one and rest. In a one-release run: a
    bounded number of times, ``confirm_poll`` apart, for at most ``confirm_wait``, then hand over to
    the engine (``Wait``). The bound holds whatever the injected clock and sleep do."""
    if not p.waits:
        return ask_once(p, release)
    settings = p.rt.settings
    polls = math.ceil(settings.confirm_wait / settings.confirm_poll) + 1
    deadline = p.now() + timedelta(seconds=settings.confirm_wait)
    for asked in range(1, polls + 1):
        crashpoint("confirm")
        if channel_for(p.release).check(p, p.release) != "pending":
            return False
        remaining = (deadline - p.now()).total_seconds()
        if asked == polls or remaining <= 0:
            break
        p.sleep(min(settings.confirm_poll, remaining))
        p.guarded_commit()
    raise Wait()


VERDICT_GAP_CAP = 60.0  # seconds: the longest gap between two questions about one submission


def ask_once(p, release: Release) -> bool:
    """One question about a submitted release whose question is due; then the next one is planned
    at twice the time since the submission (2 s, 4 s, 8 s … at most a minute apart)."""
    now = p.now()
    if release.next_try_at is not None and release.next_try_at > now:
        return False
    crashpoint("confirm")
    if channel_for(release).check(p, release) != "pending":
        return False
    release = p.release
    elapsed = (now - (release.submitted_at or now)).total_seconds()
    gap = min(VERDICT_GAP_CAP, max(p.rt.settings.verdict_first, elapsed))
    release.next_try_at = now + timedelta(seconds=gap)
    p.guarded_commit()
    return False


HANDLERS = {
    Step.NONE: gate,
    Step.CLAIMED: upload_images,
    Step.IMAGES_UPLOADED: make_draft,
    Step.DRAFTED: submit_when_due,
    Step.SUBMITTED: confirm,
}
