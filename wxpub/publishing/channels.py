"""The two ways a release reaches readers, each a channel with the same three operations:

* ``submit`` — hand the approved draft to WeChat; returns the ids WeChat gave;
* ``safe_to_submit`` — before a resubmission after an uncertain submit: did the earlier one land?
* ``check`` — ask for the verdict: "pending", "published" or "failed" (settling the release).

发布 (``freepublish``) notifies nobody and uses no quota; 群发 (``message/mass/sendall``) notifies
followers and uses the mass-send quota. A mass send carries a ``clientmsgid`` per submission round,
so WeChat itself refuses a duplicate (45065 with the earlier msg_id).

WeChat's pushed event may settle the release while a poll is on its way (``wxpub.publishing.events``):
before settling, ``check`` reads the release again (locking its row) and leaves one the event
already settled as it is, so a release is published once, with one "发布成功" in its timeline.
"""

from __future__ import annotations

import logging

from wxpub.core.release_states import Mode, State
from wxpub.models import PublishAttempt, Release
from wxpub.publishing import events, reconcile
from wxpub.publishing.verdicts import publish_status_message
from wxpub.wechat import PermanentWeChatError

log = logging.getLogger("wxpub.publishing.channels")
ALREADY_SENT = 45065


class FreePublishChannel:
    """发布: ``freepublish/submit``, verdict by ``freepublish/get`` (or the PUBLISHJOBFINISH event)."""

    mode = Mode.PUBLISH

    def submit(self, p, release: Release) -> dict:
        return p.wx.freepublish.submit(release.media_id)

    def safe_to_submit(self, p, release: Release, pending: PublishAttempt) -> bool:
        return not reconcile.earlier_submit_applied(p, release, pending)

    def check(self, p, release: Release) -> str:
        if release.publish_id is None:
            return reconcile.find_lost_publish(p, release)
        result = p.wx.freepublish.get(release.publish_id)
        status = int(result.get("publish_status", 1))
        if status == 1:
            return "pending"
        if _settled_meanwhile(p, release):
            return "published" if release.state == State.PUBLISHED else "failed"
        if status == 0:
            items = (result.get("article_detail") or {}).get("item") or []
            p.published([i.get("article_url", "") for i in items], result.get("article_id"))
            return "published"
        p.fail(None, publish_status_message(status, result.get("fail_idx") or []),
               detail={"publish_status": status})
        return "failed"


class MassSendChannel:
    """群发: ``message/mass/sendall`` with a clientmsgid, verdict by ``message/mass/get``."""

    mode = Mode.MASS_SEND

    def submit(self, p, release: Release) -> dict:
        try:
            return p.wx.mass.sendall(release.media_id, clientmsgid=release.client_msg_id, is_to_all=True)
        except PermanentWeChatError as error:
            if error.errcode == ALREADY_SENT and error.body.get("msg_id") is not None:
                log.info("release %s: mass send already accepted earlier (45065)", release.id)
                return {"msg_id": error.body["msg_id"], "msg_data_id": error.body.get("msg_data_id"),
                        "reconciled": True}
            raise

    def safe_to_submit(self, p, release: Release, pending: PublishAttempt) -> bool:
        return True  # the clientmsgid makes WeChat refuse a duplicate send

    def check(self, p, release: Release) -> str:
        result = p.wx.mass.get(release.msg_id)
        status = result.get("msg_status")
        if status == "SENDING":
            return "pending"
        if _settled_meanwhile(p, release):
            return "published" if release.state == State.PUBLISHED else "failed"
        if status == "SEND_SUCCESS":
            # mass/get carries no links: they come with the event, which may already be stored.
            p.published(events.merge_links(release.article_urls, events.stored_mass_links(p.session, release)),
                        None)
            return "published"
        p.fail(None, f"群发失败（微信状态 {status}）", detail={"msg_status": status})
        return "failed"


def _settled_meanwhile(p, release: Release) -> bool:
    """True when the release is no longer publishing (WeChat's event settled it during the poll)."""
    p.session.refresh(release, with_for_update=True)
    return release.state != State.PUBLISHING


CHANNELS = {Mode.PUBLISH: FreePublishChannel(), Mode.MASS_SEND: MassSendChannel()}


def channel_for(release: Release):
    """The channel of the release's mode."""
    return CHANNELS[Mode(release.mode)]
