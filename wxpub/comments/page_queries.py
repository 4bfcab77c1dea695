"""Small read-only queries the 留言 pages and the dashboard need besides ``wxpub.comments.queries``.

``marker`` is what the dashboard's cached 留言 block depends on: one query, so the block is cached
like the other figures yet changes with the very next request after a pull or a reply.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.models import CommentAction, CommentArticle, ReaderComment


def marker(session: Session, *, now: datetime, answer_hours: float) -> tuple:
    """``(unanswered, overdue, comments, newest comment id, newest action id, replies, deleted,
    last pull)`` in one query: any pull, reply, deletion or an hour passing the answer time
    changes it."""
    waiting = ReaderComment.deleted_at.is_(None) & ReaderComment.reply_content.is_(None)
    cutoff = now - timedelta(hours=answer_hours)
    row = session.execute(select(
        func.count(ReaderComment.id).filter(waiting),
        func.count(ReaderComment.id).filter(waiting & (ReaderComment.created_at <= cutoff)),
        func.count(ReaderComment.id), func.max(ReaderComment.id),
        select(func.max(CommentAction.id)).scalar_subquery(),
        func.count(ReaderComment.reply_content), func.count(ReaderComment.deleted_at),
        select(func.max(CommentArticle.pulled_at)).scalar_subquery())).one()
    return tuple(row)


def display_names(session: Session, usernames) -> dict[str, str]:
    """``{username: display name}`` of the staff named (one query; unknown names are left out)."""
    from wxpub.models import User
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    return {u: d or u for u, d in session.execute(select(User.username, User.display_name)
                                                   .where(User.username.in_(wanted)))}


def release_articles(session: Session, release_id: int) -> list[int]:
    """The followed articles (ids) a release published, in their order in the message."""
    return list(session.scalars(select(CommentArticle.id).where(CommentArticle.release_id == release_id)
                                .order_by(CommentArticle.article_index, CommentArticle.id)))
