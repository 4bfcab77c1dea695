"""Approvals bound to one exact content version ("先审后发"): any later change voids them.

An approval is given by a person: an enabled staff account whose role allows the stage
(``STAGE_ROLES``; admins may approve every stage). The row records the account's user name and its
display name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, ValidationError
from wxpub.core.release_states import State, state_name
from wxpub.models import Approval, AuditEntry, Message, Release
from wxpub.releases import transitions
from wxpub.releases.queries import approval_valid, get
from wxpub.staff.actors import require_user

# Who may sign each stage off (admins may sign every stage).
STAGE_ROLES = {"终审": ("approver",)}


def approve(session: Session, release_ids: list[int], *, by: str, now: datetime,
            stage: str = "终审") -> list[Release]:
    """Approve, as the account ``by`` (a user name), the exact current content version of each
    release; all or none (one commit).

    The approver and every release are checked first (account enabled with a role allowed to sign
    ``stage`` off; state, content, blocking findings); only then is anything written.
    """
    if stage not in STAGE_ROLES:
        raise ValidationError(f"没有“{stage}”这个审批环节（可用：{'、'.join(STAGE_ROLES)}）")
    approver = require_user(session, by, roles=STAGE_ROLES[stage], purpose=f"审批（{stage}）")
    by = approver.username
    checked = []
    for release_id in release_ids:
        release = get(session, release_id)
        if release.state in (State.PUBLISHED, State.PUBLISHING, State.CANCELED):
            raise Conflict(f"发布 {release.id} 状态为“{state_name(release.state)}”，不能审批")
        message = session.get(Message, release.message_id)
        version = message.current_version if message else None
        if version is None:
            raise Conflict(f"发布 {release.id} 还没有排版好的内容")
        blocking = [f for f in version.findings if f["severity"] == "blocking"]
        if blocking:
            lines = "\n".join(f"  - {f['location']}：{f['message']}" for f in blocking[:10])
            raise Conflict(f"发布 {release.id} 的内容有 {len(blocking)} 个阻断问题，不能审批：\n{lines}")
        checked.append((release, version))
    for release, version in checked:
        if not approval_valid(session, release):
            session.add(Approval(release_id=release.id, message_version_id=version.id,
                                 sha256=version.sha256, stage=stage, approved_by=approver.display_name,
                                 approver_username=approver.username, approved_at=now))
        if release.state in (State.PLANNED, State.APPROVED):
            transitions.approve(session, release, version.id, actor=by, now=now)
        else:  # held or failed: the approval is recorded; a retry puts it back in the schedule
            release.approved_version_id = version.id
        session.add(AuditEntry(at=now, actor=by, action="release.approve", object_type="release",
                               object_id=str(release.id),
                               detail={"sha256": version.sha256, "version": version.version,
                                       "stage": stage, "display_name": approver.display_name}))
    session.commit()
    return [release for release, _ in checked]
