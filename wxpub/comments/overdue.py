"""The "readers wait too long" alert: comments not deleted, with no reply, older than
``settings.comment_answer_hours`` and not alerted yet raise one alert (cause ``comments:unanswered``)
and are marked ``alerted_at`` — a comment raises at most once. The alert is resolved by itself when
no overdue unanswered comment remains.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from wxpub.comments.queries import age_text
from wxpub.infra.clock import as_utc
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import CommentArticle, ReaderComment
from wxpub.notify import alerts

CAUSE = "comments:unanswered"
LINK = "/comments?state=unanswered"


def _unanswered():
    return (ReaderComment.deleted_at.is_(None), ReaderComment.reply_content.is_(None))


def check_overdue(rt) -> int:
    """Raise the alert for newly overdue comments (once each) and resolve it when none is left;
    returns how many comments were newly alerted."""
    now = rt.clock.now()
    hours = float(rt.settings.comment_answer_hours)
    cutoff = now - timedelta(hours=hours)
    with rt.db.session() as session:
        def work() -> int:
            overdue = session.scalar(select(func.count(ReaderComment.id)).where(
                *_unanswered(), ReaderComment.created_at <= cutoff))
            if not overdue:
                alerts.resolve(session, CAUSE, now)
                return 0
            fresh = list(session.scalars(select(ReaderComment.id).where(
                *_unanswered(), ReaderComment.created_at <= cutoff, ReaderComment.alerted_at.is_(None))))
            if not fresh:
                return 0
            oldest = session.execute(select(ReaderComment.created_at, CommentArticle.title)
                                     .join(CommentArticle, CommentArticle.id == ReaderComment.article_id)
                                     .where(*_unanswered(), ReaderComment.created_at <= cutoff)
                                     .order_by(ReaderComment.created_at).limit(1)).one()
            shown = f"{hours:g}"
            message = (f"有 {overdue} 条读者留言超过 {shown} 小时没有回复，其中最早的一条在《{oldest.title}》下，"
                       f"已等待 {age_text(as_utc(oldest.created_at), now)}。政务账号的留言须及时答复，"
                       f"请到“读者留言”页面回复：{LINK}")
            alerts.raise_alert(session, cause=CAUSE, message=message, now=now, severity="warning",
                               settings=rt.settings, refresh_message=True)
            session.execute(update(ReaderComment).where(ReaderComment.id.in_(fresh))
                            .values(alerted_at=now).execution_options(synchronize_session=False))
            return len(fresh)
        return commit_or_roll_back(session, work)
