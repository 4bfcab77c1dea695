"""A message's review as data: the ``GET /api/v1/messages/<id>/reviews`` shape, which
``wxpub review show --json`` prints too.

``{"message_id", "version", "version_hash", "stages": [{"stage", "decision", "by", "name", "at",
"comment"}], "proofreads": [{"round", "by", "name", "at", "comment"}], "complete", ...}``: one entry
per configured stage in order (``decision`` null while unsigned; the newest decision counts), the
校对 rounds recorded, and ``complete`` — true when every stage is approved, every round recorded
and the version is still current and unchanged (what the publisher will send).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from wxpub.core.review_policy import Policy
from wxpub.editorial import chain
from wxpub.models import Message, Signoff
from wxpub.staff.users import role_name


def _at(value, tz) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


def review_json(session: Session, message: Message, policy: Policy, tz) -> dict:
    """The review of the message's current version (see the module's note)."""
    snap = chain.snapshot(session, message, policy)
    base = {"message_id": message.id, "chapter_id": message.chapter_id, "part": message.part,
            "policy": {**policy.as_dict(), "described": policy.describe(role_name)}}
    if snap.version is None:
        return {**base, "version": None, "version_hash": None, "stages": [], "proofreads": [],
                "complete": False, "stale": False, "returned": None, "next": None, "missing": [],
                "open_comments": 0, "voided": []}
    state = snap.state
    stages = []
    for stage in policy.stages:
        mark = state.latest.get(stage.name)
        stages.append({"stage": stage.name, "roles": list(stage.roles),
                       "decision": mark.decision if mark else None,
                       "by": mark.username if mark else None, "name": mark.display_name if mark else None,
                       "at": _at(mark.at, tz) if mark else None, "comment": mark.comment if mark else None})
    returned = state.returned
    nxt = state.next_stage
    voided = [r for r in chain.signoffs(session, snap.version.id, valid_only=False) if r.voided_at]
    return {**base, "version": snap.version.version, "version_hash": snap.version.sha256,
            "stages": stages,
            "proofreads": [{"round": m.round, "by": m.username, "name": m.display_name,
                            "at": _at(m.at, tz), "comment": m.comment} for m in state.proofreads],
            "proofreads_required": policy.proofread_rounds,
            "complete": state.complete and not snap.stale,
            "sealed": snap.sealed and not snap.stale,
            "stale": snap.stale,
            "returned": ({"stage": returned.stage, "by": returned.username, "name": returned.display_name,
                          "at": _at(returned.at, tz), "comment": returned.comment} if returned else None),
            "next": None if snap.stale else ("校对" if nxt is policy.last and state.proofreads_missing
                                              else nxt.name if nxt else None),
            "missing": state.missing(),
            "open_comments": snap.open_comments,
            "voided": [_voided(r, tz) for r in voided]}


def _voided(row: Signoff, tz) -> dict:
    return {"stage": row.stage, "round": row.round, "decision": row.decision, "by": row.username,
            "at": _at(row.at, tz), "voided_at": _at(row.voided_at, tz), "reason": row.void_reason}
