"""Readership history stored locally: WeChat's figures change for 30 days and arrive a day late."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from wxpub.models.base import Base, utcnow


class StatArticle(Base):
    """A published article as WeChat's statistics know it (msgid = "<msg_data_id>_<idx>")."""

    __tablename__ = "stat_articles"
    msgid: Mapped[str] = mapped_column(String(64), primary_key=True)
    msg_data_id: Mapped[str] = mapped_column(String(64), index=True)
    idx: Mapped[int]
    # The account whose statistics listed it (None: pulled before accounts were kept apart).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                                   index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    content_url: Mapped[str] = mapped_column(String(1024), default="")
    publish_date: Mapped[date | None] = mapped_column(Date)
    publish_type: Mapped[int | None]  # 0 notified (群发), 1 not notified (发布)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id", ondelete="SET NULL"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    read_user: Mapped[int] = mapped_column(default=0)
    share_user: Mapped[int] = mapped_column(default=0)
    collection_user: Mapped[int] = mapped_column(default=0)
    zaikan_user: Mapped[int] = mapped_column(default=0)
    like_user: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    read_finish_rate: Mapped[float | None]
    sources: Mapped[dict] = mapped_column(default=dict)
    is_delay: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatArticleDaily(Base):
    """One article's figures for one day (daily, not cumulative), upserted on every pull."""

    __tablename__ = "stat_article_daily"
    msgid: Mapped[str] = mapped_column(ForeignKey("stat_articles.msgid", ondelete="CASCADE"),
                                       primary_key=True)
    stat_date: Mapped[date] = mapped_column(Date, primary_key=True)
    read_user: Mapped[int] = mapped_column(default=0)
    share_user: Mapped[int] = mapped_column(default=0)
    collection_user: Mapped[int] = mapped_column(default=0)
    zaikan_user: Mapped[int] = mapped_column(default=0)
    sources: Mapped[dict] = mapped_column(default=dict)
    is_delay: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatBizDaily(Base):
    """Account-level daily overview (getbizsummary)."""

    __tablename__ = "stat_biz_daily"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            primary_key=True)
    ref_date: Mapped[date] = mapped_column(Date, primary_key=True)
    detail: Mapped[dict] = mapped_column(default=dict)
    is_delay: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatPull(Base):
    """Log of statistics pulls: what was asked, when, and whether WeChat flagged it provisional."""

    __tablename__ = "stat_pulls"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                                   index=True)
    endpoint: Mapped[str] = mapped_column(String(50))
    begin_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    rows: Mapped[int] = mapped_column(default=0)
    is_delay: Mapped[bool] = mapped_column(default=False)
    errcode: Mapped[int | None]
    rid: Mapped[str | None] = mapped_column(String(64))  # WeChat's request id of a failed call
    pulled_at: Mapped[datetime] = mapped_column(default=utcnow)
