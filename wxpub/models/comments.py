"""Readers' comments (留言) under published articles, and the changes staff send to WeChat.

Not to be confused with ``ReviewComment`` (审稿意见, reviewers' remarks on a draft): these come from
the public through WeChat's ``comment/*`` API (reference §0a.8).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wxpub.models.base import Base, utcnow

#: Who may comment on a series' articles (``Series.comment_policy``), and what draft/add gets.
COMMENT_POLICIES = {
    "everyone": ("所有人可留言", {"need_open_comment": 1, "only_fans_can_comment": 0}),
    "followers": ("仅关注者可留言", {"need_open_comment": 1, "only_fans_can_comment": 1}),
    "closed": ("不开放留言", {"need_open_comment": 0, "only_fans_can_comment": 0}),
}
#: What staff can ask WeChat to do (``CommentAction.kind``).
ACTION_KINDS = ("reply", "delete_reply", "elect", "unelect", "delete", "open", "close")


class CommentArticle(Base):
    """One published article whose comments wxpub follows: a (msg_data_id, 0-based index) of an account."""

    __tablename__ = "comment_articles"
    __table_args__ = (UniqueConstraint("account_id", "msg_data_id", "article_index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id", ondelete="SET NULL"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    chapter_id: Mapped[int | None] = mapped_column(ForeignKey("chapters.id", ondelete="SET NULL"))
    msg_data_id: Mapped[str] = mapped_column(String(64))
    article_index: Mapped[int] = mapped_column(default=0)  # 0-based, as comment/* takes it
    title: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(1024), default="")
    comments_open: Mapped[bool] = mapped_column(default=True)  # as far as wxpub knows
    only_fans: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    pulled_at: Mapped[datetime | None]  # last successful comment/list of this article
    pull_error: Mapped[str | None] = mapped_column(Text)  # the last failed pull, in Chinese (with rid)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    comments: Mapped[list["ReaderComment"]] = relationship(back_populates="article",
                                                           order_by="ReaderComment.created_at")


class ReaderComment(Base):
    """A reader's comment as WeChat last listed it, with the office's reply."""

    __tablename__ = "reader_comments"
    __table_args__ = (UniqueConstraint("article_id", "user_comment_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("comment_articles.id", ondelete="CASCADE"), index=True)
    user_comment_id: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]  # WeChat's create_time (UTC)
    elected: Mapped[bool] = mapped_column(default=False)  # 精选
    reply_content: Mapped[str | None] = mapped_column(Text)
    reply_at: Mapped[datetime | None]
    reply_by: Mapped[str | None] = mapped_column(String(80))  # staff username; None if replied elsewhere
    # Kept when a reply is deleted: the dashboard's "time to first reply" is about the first one.
    first_reply_at: Mapped[datetime | None] = mapped_column(index=True)
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[str | None] = mapped_column(String(80))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    alerted_at: Mapped[datetime | None]  # the "unanswered too long" alert was raised (once)
    article: Mapped[CommentArticle] = relationship(back_populates="comments")


class CommentAction(Base):
    """A change staff asked WeChat to make (reply, 精选, delete, open/close …): written with its outbox
    row and audit entry in one transaction, delivered after the commit (``pending`` → ``sent`` /
    ``failed`` with WeChat's code, explanation and rid)."""

    __tablename__ = "comment_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("comment_articles.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("reader_comments.id", ondelete="CASCADE"),
                                                   index=True)
    kind: Mapped[str] = mapped_column(String(20))  # one of ACTION_KINDS
    text: Mapped[str] = mapped_column(Text, default="")  # the reply
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sent | failed
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    rid: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[datetime | None]
