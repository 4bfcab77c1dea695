"""``release approve``: sign the last review stage of each release's current version, for offices
whose chain is that one stage (or whose earlier stages are already signed).

The sign-off itself is ``wxpub.editorial.review.record_signoff`` — the same rules as the web pages
and the API (role, order, one stage per person, 校对 rounds, blocking findings). Where earlier
stages are still missing, the refusal names them and says how to sign them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, Forbidden
from wxpub.core.release_states import State, state_name
from wxpub.core.review_policy import APPROVE, Policy
from wxpub.editorial import chain, review
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Message, Release
from wxpub.releases import transitions
from wxpub.releases.queries import get
from wxpub.staff.users import role_name


def approve(session: Session, release_ids: list[int], *, by: str, now: datetime, policy: Policy,
            tz) -> list[Release]:
    """Give, as the account ``by``, the last stage's approval (终审 by default) of the exact current
    version of each release; all or none (one commit)."""
    def work():
        person = review.signer(session, by)
        if person.role not in policy.last.roles:
            raise Forbidden(f"“{policy.last.name}”须由{'或'.join(role_name(r) for r in policy.last.roles)}签署，"
                            f"账号“{person.username}”的角色是“{role_name(person.role)}”", code="role")
        releases = [get(session, release_id) for release_id in release_ids]
        for release in releases:
            if release.state in (State.PUBLISHED, State.PUBLISHING, State.CANCELED, State.MANUAL):
                raise Conflict(f"发布 {release.id} 状态为“{state_name(release.state)}”，不能审批")
            message = session.get(Message, release.message_id) if release.message_id else None
            if message is None or message.current_version is None:
                raise Conflict(f"发布 {release.id} 还没有排版好的内容")
        done_messages: set[int] = set()
        for release in releases:
            message = session.get(Message, release.message_id)
            version = message.current_version
            if message.id in done_messages:
                continue  # approved a moment ago with another release of the same message (one
                # series planned for several accounts): not "already approved" by someone else
            if chain.sealed(session, version.id):
                if release.state == State.APPROVED and release.approved_version_id == version.id:
                    last = chain.state(session, version.id, policy).latest.get(policy.last.name)
                    who = f"{last.display_name}（{last.username}）" if last else "—"
                    raise Conflict(f"发布 {release.id} 的 v{version.version} 已完成审核（{policy.last.name}：{who}），"
                                   f"状态为“{state_name(release.state)}”，无需再审批", code="already_approved")
                if release.state == State.PLANNED:
                    transitions.approve(session, release, version.id, actor=by, now=now)
                elif release.state in (State.HELD, State.FAILED):
                    release.approved_version_id = version.id
                continue
            _explain_missing(session, release, version, policy)
            review.record_signoff(session, message.id, version_hash=version.sha256,
                                  stage=policy.last.name, decision=APPROVE, by=by, now=now,
                                  policy=policy, tz=tz)
            done_messages.add(message.id)
        return releases
    return commit_or_roll_back(session, work)


def _explain_missing(session: Session, release: Release, version, policy: Policy) -> None:
    """Refuse, naming them, when stages before the last one (or 校对 rounds) are missing."""
    state = chain.state(session, version.id, policy)
    missing = [m for m in state.missing() if m != policy.last.name]
    if missing:
        raise Conflict(
            f"发布 {release.id}（v{version.version}）还缺少：{'、'.join(missing)}。本单位的审核流程是"
            f"“{policy.describe(role_name)}”，wxpub release approve 只签最后一个环节“{policy.last.name}”；"
            f"其余环节请在网页的审核页签署，或用 wxpub review sign {release.message_id} --stage 环节 --as 用户名",
            code="review_incomplete")
