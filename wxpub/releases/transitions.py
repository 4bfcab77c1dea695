"""The one writer of ``Release.state``: every move is checked, logged, and has the same side effects
whoever makes it — the publisher, WeChat's callback, or a person.

``move`` checks the move against ``core.release_states.TRANSITIONS``, records a
``ReleaseTransition`` row (from, to, step, who or what, why, when) and applies the bookkeeping that
belongs to the target state. The named functions below are what services call; each only flushes —
the calling use case commits.
"""

from __future__ import annotations

import logging
from datetime import datetime

from wxpub.core.errors import Conflict
from wxpub.core.release_states import State, Step, allowed, state_name
from wxpub.editorial import chain
from wxpub.models import PublishAttempt, Release, ReleaseTransition
from wxpub.notify import alerts
from wxpub.wechat.errors import rid_of

log = logging.getLogger("wxpub.releases.transitions")


def move(session, release: Release, to: State, *, reason: str, actor: str,
         now: datetime) -> ReleaseTransition:
    """Move ``release`` to ``to`` (the only assignment of ``Release.state`` in wxpub)."""
    source = release.state
    if not allowed(source, to):
        raise Conflict(f"发布 {release.id} 不能从“{state_name(source)}”变为“{state_name(to)}”",
                       code="bad_transition")
    if State(to) in (State.APPROVED, State.PUBLISHING) and not chain.sealed(session, release.approved_version_id):
        # 先审后发, in the state model itself: only a version whose whole review chain stands goes out.
        raise Conflict(f"发布 {release.id} 的内容版本没有完成审核（三审三校），不能“{state_name(to)}”",
                       code="review_incomplete")
    release.state = State(to).value
    release.updated_at = now
    row = ReleaseTransition(release_id=release.id, from_state=source, to_state=State(to).value,
                            step=release.step or "", reason=reason[:500], actor=actor[:100], at=now)
    session.add(row)
    return row


def approve(session, release: Release, version_id: int, *, actor: str, now: datetime) -> None:
    """The exact version ``version_id`` is approved: the release may go out at its time."""
    release.approved_version_id = version_id
    release.error_message = None
    if release.state != State.APPROVED:
        move(session, release, State.APPROVED, reason="审批通过", actor=actor, now=now)


def void_approval(session, release: Release, *, reason: str, actor: str, now: datetime,
                  settings=None) -> None:
    """The content changed or the approval lapsed: back to planning, and the people are told."""
    release.approved_version_id = None
    release.error_message = reason
    move(session, release, State.PLANNED, reason=reason, actor=actor, now=now)
    alerts.raise_alert(session, cause=f"release:{release.id}:unapproved", severity="warning",
                       message=f"发布 {release.id}：{reason}", now=now, release_id=release.id,
                       webhook_url=getattr(settings, "alert_webhook_url", ""), settings=settings)


def start(session, release: Release, *, actor: str, now: datetime) -> None:
    """The planned time has come and the gate passed: publishing begins."""
    move(session, release, State.PUBLISHING, reason="到达计划时间，开始发布", actor=actor, now=now)


def hold(session, release: Release, *, reason: str, actor: str, now: datetime, settings) -> None:
    """Stop for a person (too late, WeChat down too long): nothing is sent until someone decides."""
    release.error_message = reason
    move(session, release, State.HELD, reason=reason, actor=actor, now=now)
    session.add(PublishAttempt(release_id=release.id, step="hold", worker=actor, started_at=now,
                               finished_at=now, outcome="permanent", detail={"reason": reason}))
    alerts.raise_alert(session, cause=f"release:{release.id}:held", message=f"发布 {release.id}：{reason}",
                       now=now, release_id=release.id, webhook_url=settings.alert_webhook_url,
                       settings=settings)


def pause(session, release: Release, *, reason: str, actor: str, now: datetime) -> None:
    """A person stops the release (no alert: they know): held until someone decides."""
    release.error_message = reason
    move(session, release, State.HELD, reason=reason, actor=actor, now=now)


def published(session, release: Release, *, urls: list[str], actor: str, now: datetime,
              article_id=None, reason: str = "微信确认发布成功") -> None:
    """WeChat confirmed the publication (by polling or by its event): the same bookkeeping either way."""
    release.step = Step.PUBLISHED.value
    release.article_urls = [u for u in urls if u] or list(release.article_urls or [])
    release.published_at = release.published_at or now
    release.error_code = release.error_message = None
    move(session, release, State.PUBLISHED, reason=reason, actor=actor, now=now)
    session.add(PublishAttempt(release_id=release.id, step="published", worker=actor, started_at=now,
                               finished_at=now, outcome="ok",
                               detail={"article_id": article_id, "urls": release.article_urls}))
    for what in ("held", "unapproved", "failed"):
        alerts.resolve(session, f"release:{release.id}:{what}", now)
    log.info("release %s published: %s", release.id, release.article_urls)


# Where staff find the fallback pack: the release's page (a download), not the server's directory,
# which a member of staff in a robot group can neither open nor should see.
PACK_HINT = "手工发布材料可在该发布的页面下载"


def failed(session, release: Release, *, errcode, message: str, actor: str, now: datetime, settings,
           detail: dict | None = None, rid: str | None = None) -> None:
    """WeChat refused for good: the reason in plain Chinese, a manual fallback pack, one alert per cause.

    WeChat's request id of the refusal (``rid``; else the one in ``detail`` or at the end of
    ``message``) goes into the attempt's detail and the alert, whose text then ends with it: staff
    diagnose it (``openapi/rid/get``) or give it to WeChat's support."""
    from wxpub.publishing.fallback import write_pack

    rid = rid or (detail or {}).get("rid") or rid_of(message)

    release.error_code, release.error_message = errcode, message
    move(session, release, State.FAILED, reason=message, actor=actor, now=now)
    try:
        release.fallback_path = str(write_pack(session, settings, release))
    except Exception as pack_error:  # the pack is a courtesy; the failure must still be recorded
        log.exception("release %s: fallback pack failed: %s", release.id, pack_error)
    session.add(PublishAttempt(release_id=release.id, step="failed", worker=actor, started_at=now,
                               finished_at=now, outcome="permanent", errcode=errcode,
                               detail={"message": message, **(detail or {}), **({"rid": rid} if rid else {})}))
    cause = alerts.cause_for(errcode, release.id)
    if cause.startswith("account:"):
        text = (f"公众号设置或权限有问题，所有待发布的内容都会受影响，请尽快处理"
                f"（首个受影响的是发布 {release.id}，{PACK_HINT}）：{message}")
    else:
        text = f"发布 {release.id} 失败（{PACK_HINT}）：{message}"
    if rid and rid not in text:  # the text ends with WeChat's "… rid: …", as its errmsg does
        text = f"{text} rid: {rid}"
    alerts.raise_alert(session, cause=cause, message=text, now=now, release_id=release.id,
                       webhook_url=settings.alert_webhook_url, settings=settings, rid=rid)


def cancel(session, release: Release, *, reason: str, actor: str, now: datetime) -> None:
    """Nothing of this release will be sent."""
    move(session, release, State.CANCELED, reason=reason, actor=actor, now=now)


def manual(session, release: Release, *, urls: list[str], msg_data_id: str | None, actor: str,
           now: datetime) -> None:
    """Staff published the release by hand (MP web UI) and recorded its article links: it is over —
    the scheduler never sends it — and its statistics link up through ``msg_data_id``."""
    release.article_urls = list(urls)
    if msg_data_id:
        release.msg_data_id = msg_data_id
    release.published_at = now
    release.error_code = release.error_message = None
    release.next_try_at = None
    release.lease_owner = release.lease_until = None
    move(session, release, State.MANUAL, reason=f"人工发布，记录文章链接 {len(urls)} 篇", actor=actor, now=now)
    for what in ("held", "unapproved", "failed"):
        alerts.resolve(session, f"release:{release.id}:{what}", now)


def rearm(session, release: Release, *, approved: bool, reason: str, actor: str, now: datetime,
          fresh_submission: bool = False) -> None:
    """A held, failed or canceled release goes back into the schedule (approved when its approval
    still holds, else waiting for one). ``fresh_submission`` starts over with a new draft: the
    failed job's draft and ids are spent."""
    if fresh_submission:
        release.step, release.sent_version_id = Step.NONE.value, None
        release.media_id = release.publish_id = release.msg_id = release.msg_data_id = None
        release.submitted_at = None
    release.error_code = release.error_message = None
    release.next_try_at = None
    move(session, release, State.APPROVED if approved else State.PLANNED, reason=reason, actor=actor,
         now=now)


def start_claimed(session, release_ids: list[int], *, owner: str, step: str, actor: str, now: datetime,
                  reason: str = "到达计划时间，开始发布") -> set[int]:
    """``start`` for the engine's fast path (``wxpub.publishing.fire``), for a group of releases in
    two statements instead of an ORM load each: approved → publishing, only while ``owner`` holds
    the release's lease, with its transition row. The caller checked the approvals and their review
    chains in the same transaction. Returns the ids that moved (the others are no longer approved
    or no longer ours: nothing written for them)."""
    from sqlalchemy import insert, update

    db = session.connection()
    moved = set(db.execute(
        update(Release).where(Release.id.in_(release_ids), Release.state == State.APPROVED.value,
                              Release.lease_owner == owner)
        .values(state=State.PUBLISHING.value, updated_at=now).returning(Release.id)).scalars())
    if moved:
        db.execute(insert(ReleaseTransition), [
            dict(release_id=rid, from_state=State.APPROVED.value, to_state=State.PUBLISHING.value,
                 step=step, reason=reason[:500], actor=actor[:100], at=now) for rid in sorted(moved)])
    return moved
