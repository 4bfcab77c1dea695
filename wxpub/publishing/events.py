"""WeChat's pushed verdicts (PUBLISHJOBFINISH / MASSSENDJOBFINISH): one use case per incoming event.

``receive_event`` stores the event once (WeChat retries deliveries; the dedupe key makes a retry a
no-op), settles its release through the same transitions the publisher uses — so a release
published by the callback has exactly the bookkeeping of one confirmed by polling — and commits once.

A 群发's article links come only with its MASSSENDJOBFINISH event (``message/mass/get`` has none), so
they are kept whatever the order: an event for a release polling already settled adds the links
the release lacks, and an event that arrives before the release knows its ``msg_id`` (the job
finished while WeChat's answer to ``sendall`` was still on its way) stays stored until polling
settles the release and takes its links (``stored_mass_links``).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wxpub.accounts import registry
from wxpub.core.release_states import State
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import CallbackEvent, PublishAttempt, Release
from wxpub.notify import alerts
from wxpub.publishing.verdicts import mass_status_message, publish_status_message
from wxpub.releases import transitions
from wxpub.wechat.callback import mass_dedup_key

VERDICTS = ("PUBLISHJOBFINISH", "MASSSENDJOBFINISH")
CALLBACK = "callback"


def _dedupe_key(event: dict, account_id: int | None) -> str:
    # Two accounts' pushes never collide (the environment's account keeps its old keys).
    key = event["dedup_key"] if account_id is None else f"{account_id}:{event['dedup_key']}"
    return key[:200]


def receive_event(session: Session, settings, event: dict, now: datetime,
                  account=None) -> Release | None:
    """Record a verdict event pushed to ``account``'s callback URL (None: the environment's account's
    ``/wechat/callback``) and apply it to that account's release; a repeated delivery changes
    nothing. An account event about the verification (``verify_expired`` / ``annual_renew``)
    becomes an alert instead (``receive_account_event``)."""
    if (event.get("event") or "").lower() in alerts.ACCOUNT_EVENTS:
        receive_account_event(session, settings, event, now, account=account)
        return None
    if event.get("event") not in VERDICTS:
        return None
    record = CallbackEvent(dedupe_key=_dedupe_key(event, _own_key(account, settings)), event=event["event"],
                           payload={k: v for k, v in event.items() if k != "dedup_key"}, received_at=now)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None  # a retry of an event we already have
    try:
        release = _apply(session, settings, event, now, account)
        record.release_id = release.id if release is not None else None
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return release


def _own_key(account, settings) -> int | None:
    """The account id that prefixes dedupe keys: none for the environment's account."""
    return None if account is None or account.appid == settings.appid else account.id


def receive_account_event(session: Session, settings, event: dict, now: datetime, account=None):
    """WeChat says the account's verification (微信认证) lapsed or is due for its yearly renewal:
    store the event once and raise the alert that explains it (``wxpub.notify.alerts``); one commit,
    a repeated delivery changes nothing. Returns the alert (None for a repeat)."""
    kind = (event.get("event") or "").lower()
    seconds = event.get("expired_time")
    expired_at = datetime.fromtimestamp(seconds, timezone.utc) if isinstance(seconds, int) and seconds > 0 else None
    record = CallbackEvent(dedupe_key=_dedupe_key(event, _own_key(account, settings)), event=kind,
                           payload={k: v for k, v in event.items() if k != "dedup_key"}, received_at=now)

    def work():
        session.add(record)
        session.flush()
        owner = account if account is not None else registry.default_account(session, settings)
        return alerts.account_event(session, event=kind, expired_at=expired_at, now=now, settings=settings,
                                    account_id=owner.id)
    try:
        return commit_or_roll_back(session, work)
    except IntegrityError:
        return None  # a retry of an event we already have


def _apply(session: Session, settings, event: dict, now: datetime, account=None) -> Release | None:
    kind = event.get("event")
    release = None
    # Only the account's own releases: another account's publish_id / msg_id may be the same number.
    own = (Release.account_id == account.id,) if account is not None else ()
    if kind == "PUBLISHJOBFINISH" and event.get("publish_id") is not None:
        release = session.scalar(select(Release).where(Release.publish_id == str(event["publish_id"]), *own))
    elif kind == "MASSSENDJOBFINISH" and event.get("msg_id") is not None:
        release = session.scalar(select(Release).where(Release.msg_id == str(event["msg_id"]), *own))
    if release is None:
        return None
    session.refresh(release, with_for_update=True)  # the publisher may be settling it right now
    urls = [u for u in (event.get("article_urls") or []) if u]
    if release.state == State.PUBLISHED:
        # Polling settled it first; a late event still adds the article links polling did not have.
        merged = merge_links(release.article_urls, urls)
        if merged != list(release.article_urls or []):
            release.article_urls = merged
    elif release.state == State.PUBLISHING:
        if kind == "PUBLISHJOBFINISH":
            status = event.get("publish_status")
            if status == 0:
                transitions.published(session, release, urls=urls, actor=CALLBACK, now=now,
                                      reason="微信推送发布成功事件")
            elif status not in (None, 1):
                transitions.failed(session, release, errcode=None, actor=CALLBACK, now=now,
                                   settings=settings,
                                   message=publish_status_message(status, event.get("fail_idx") or []))
        else:
            status = (event.get("status") or "").lower()
            if status == "send success":
                transitions.published(session, release, urls=urls or list(release.article_urls or []),
                                      actor=CALLBACK, now=now, reason="微信推送群发成功事件")
            elif status:
                transitions.failed(session, release, errcode=None, actor=CALLBACK, now=now,
                                   settings=settings, message=mass_status_message(event.get("status") or ""))
    session.add(PublishAttempt(release_id=release.id, step="event", worker=CALLBACK, started_at=now,
                               finished_at=now, outcome="ok", detail={"event": event}))
    return release


def merge_links(have, pushed) -> list[str]:
    """The release's article links completed from an event's: what the release has stays, a link it
    lacks (by article position) is taken from the event."""
    have, pushed = list(have or []), list(pushed or [])
    return [(have[i] if i < len(have) and have[i] else pushed[i] if i < len(pushed) else "")
            for i in range(max(len(have), len(pushed)))]


def stored_mass_links(session: Session, release: Release) -> list[str]:
    """The article links of a stored "send success" MASSSENDJOBFINISH for the release's ``msg_id``
    (an event that came before the release knew its msg_id); the event is linked to the release.
    Only flushes: the caller settles the release and commits."""
    if not release.msg_id:
        return []
    record = session.scalar(select(CallbackEvent).where(
        CallbackEvent.dedupe_key == mass_dedup_key(release.msg_id, "send success")))
    if record is None:
        return []
    if record.release_id is None:
        record.release_id = release.id
    return [u for u in ((record.payload or {}).get("article_urls") or []) if u]
