"""Before any resubmission: find out whether an earlier, uncertain submit reached WeChat.

A submit whose answer was lost (crash, connection reset, timeout) may have been applied. The draft
leaving the draft box, or a finished publish with our titles, proves it was; a draft still in the
box proves nothing while WeChat may still be working, so within ``submit_settle`` seconds of the
uncertain submit the pipeline waits instead of submitting again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from wxpub.core.release_states import Step
from wxpub.publishing.flow import Wait
from wxpub.models import PublishAttempt, Release
from wxpub.wechat import PermanentWeChatError

DRAFT_GONE = 40007  # draft/get on a media_id that is no longer in the draft box


def earlier_submit_applied(p, release: Release, pending: PublishAttempt) -> bool:
    """True when the uncertain submit ``pending`` went through (the release is then settled or
    marked submitted); raises ``Wait`` while it is too early to tell; False when it did not."""
    try:
        p.wx.draft.get(release.media_id)
    except PermanentWeChatError as error:
        if error.errcode != DRAFT_GONE:
            raise
        p.finish(pending, "ok", detail={"reconciled": "draft consumed by an earlier submit"})
        release = p.release
        release.submitted_at = release.submitted_at or pending.started_at
        release.step = Step.SUBMITTED.value
        p.guarded_commit()
        return True
    if match_published(p, release, since=pending.started_at):
        return True
    settle_until = pending.started_at + timedelta(seconds=p.rt.settings.submit_settle)
    if p.now() < settle_until:
        p.release.next_try_at = settle_until
        p.guarded_commit()
        raise Wait()
    p.finish(pending, "not_applied", detail={"reconciled": "draft still in the draft box"})
    p.guarded_commit()
    return False


def match_published(p, release: Release, *, since: datetime) -> bool:
    """Find a finished publish of this release's titles since ``since`` (freepublish/batchget);
    when found, the release is published."""
    titles = [a.title for a in p.sent_version().articles]
    listing = p.wx.freepublish.batchget(0, 20, no_content=False)
    for item in listing.get("item", []):
        news = (item.get("content") or {}).get("news_item") or []
        if [n.get("title") for n in news] == titles and \
                int(item.get("update_time", 0)) >= since.timestamp() - 120:
            p.published([n.get("url", "") for n in news], item.get("article_id"),
                         reason="核对微信已发表记录：此前的提交已成功")
            return True
    return False


def find_lost_publish(p, release: Release) -> str:
    """A publish whose id we never learned (crash right after submit): find it by its titles.

    Returns "published", or "pending" (still being published, or — when the draft came back to
    the draft box — that job failed and the step goes back to ``drafted`` so it is submitted again).
    """
    if match_published(p, release, since=release.submitted_at or release.updated_at):
        return "published"
    try:
        p.wx.draft.get(release.media_id)
    except PermanentWeChatError as error:
        if error.errcode == DRAFT_GONE:
            return "pending"  # still being published: WeChat lists it once done
        raise
    release.step = Step.DRAFTED.value
    p.attempt("reconcile", "ok", detail={"found": "draft returned: earlier publish failed"})
    p.guarded_commit()
    return "pending"
