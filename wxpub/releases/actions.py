"""Staff actions on one release: cancel, retry. Each is one transaction with its audit row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict
from wxpub.core.release_states import State, Step, state_name
from wxpub.models import AuditEntry, Release
from wxpub.releases import transitions
from wxpub.releases.queries import approval_valid, get


def cancel(session: Session, release_id: int, *, by: str, now: datetime) -> Release:
    """Cancel a release that has not been submitted to WeChat."""
    release = get(session, release_id)
    if release.state == State.PUBLISHED:
        raise Conflict(f"发布 {release.id} 已发布，不能取消（如需撤回请在公众号后台删除文章）")
    if release.state == State.CANCELED:
        raise Conflict(f"发布 {release.id} 已经取消")
    if release.state == State.PUBLISHING and release.step == Step.SUBMITTED:
        raise Conflict(f"发布 {release.id} 已提交微信，不能取消，请等待结果或在公众号后台处理")
    if release.lease_until is not None and release.lease_until > now:
        raise Conflict(f"发布 {release.id} 正在发布中，请稍后再试")
    was = release.state
    transitions.cancel(session, release, reason="工作人员取消", actor=by, now=now)
    session.add(AuditEntry(at=now, actor=by, action="release.cancel", object_type="release",
                           object_id=str(release.id), detail={"from": state_name(was)}))
    session.commit()
    return release


def retry(session: Session, release_id: int, *, by: str, now: datetime) -> Release:
    """Send a held or failed release again now (it still needs a valid approval)."""
    release = get(session, release_id)
    if release.state not in (State.HELD, State.FAILED):
        raise Conflict(f"只有“已暂停”或“失败”的发布可以重试，发布 {release.id} 为“{state_name(release.state)}”")
    if not approval_valid(session, release):
        raise Conflict(f"发布 {release.id} 的内容没有有效审批，请先审批当前版本")
    # A failed job's draft and ids are spent: start the submission over with a fresh draft.
    was = release.state
    transitions.rearm(session, release, approved=True, reason="工作人员重试", actor=by, now=now,
                      fresh_submission=release.state == State.FAILED)
    release.next_try_at, release.attempts = now, 0
    release.lease_owner = release.lease_until = None
    session.add(AuditEntry(at=now, actor=by, action="release.retry", object_type="release",
                           object_id=str(release.id), detail={"from": state_name(was)}))
    session.commit()
    return release
