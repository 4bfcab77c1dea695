"""The one call pages, the API and the CLI make for a staff action on comments: request it (one
transaction), deliver it at once, and — when a reply or deletion went out — let the overdue alert
resolve itself if nothing waits too long any more."""

from __future__ import annotations

from wxpub.comments import actions
from wxpub.comments.overdue import check_overdue
from wxpub.models import CommentAction

SETTLES_WAITING = ("reply", "delete")


def act(rt, *, actor: str, kind: str, comment_id: int | None = None, article_id: int | None = None,
        text: str = "") -> CommentAction:
    """Request and deliver one action; returns it as it ended (``status`` sent / failed / pending,
    ``error_message``, ``error_code``, ``rid``) with ``warnings`` (the reply's lint warnings).
    Raises what ``actions.request`` raises (nothing is sent then)."""
    requested = actions.request(rt, actor=actor, kind=kind, comment_id=comment_id, article_id=article_id,
                                text=text)
    status = actions.deliver(rt, requested.id)
    with rt.db.session() as session:
        action = session.get(CommentAction, requested.id)
        session.expunge(action)
    action.warnings = getattr(requested, "warnings", [])
    if status == "sent" and kind in SETTLES_WAITING:
        check_overdue(rt)
    return action
