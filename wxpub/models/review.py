"""三审三校: the sign-offs of one exact message version, the comments anchored in it, and the
信息发布审核表 archived when its chain completes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wxpub.models.base import Base, utcnow


class Signoff(Base):
    """One person's decision on one stage (初审/复审/终审) or one proofreading round (校对) of one
    message version. ``sha256`` is the version's hash: the sign-off covers exactly that content.

    Rows are never deleted: a change of the content sets ``voided_at`` (the row stays for the
    record); a later decision on the same stage supersedes an earlier one (the newest counts)."""

    __tablename__ = "signoffs"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    message_version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id", ondelete="CASCADE"),
                                                    index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(20))          # 初审 | 复审 | 终审 | 校对 (a configured name)
    round: Mapped[int] = mapped_column(default=0)            # 校对: 1, 2, 3 …; stages: 0
    decision: Mapped[str] = mapped_column(String(10))        # approve | reject
    username: Mapped[str] = mapped_column(String(80), ForeignKey("users.username"))
    display_name: Mapped[str] = mapped_column(String(80), default="")
    role: Mapped[str] = mapped_column(String(20), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(default=dict)     # e.g. the secrecy review: {"secret", "secrecy_opinion"}
    at: Mapped[datetime] = mapped_column(default=utcnow)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(300))


class ReviewComment(Base):
    """A reviewer's remark anchored to a case and paragraph of one version; replies thread under
    their ``parent_id``; resolving closes the thread."""

    __tablename__ = "review_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    message_version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id", ondelete="CASCADE"),
                                                    index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("review_comments.id", ondelete="CASCADE"))
    article: Mapped[int | None]                 # 0-based article index in the message
    case: Mapped[int | None]                    # the case's number in the chapter (1-based)
    paragraph: Mapped[int | None]               # 1-based paragraph of the case body
    anchor: Mapped[str] = mapped_column(String(100), default="")  # the preview's element id
    quote: Mapped[str] = mapped_column(String(300), default="")   # the words commented on
    body: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(80), ForeignKey("users.username"))
    display_name: Mapped[str] = mapped_column(String(80), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(80))


class ReviewSheet(Base):
    """The 信息发布审核表 of one version, frozen when its chain completed: ``data`` holds every field
    as printed, ``sha256`` its canonical hash. Never updated."""

    __tablename__ = "review_sheets"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_version_id: Mapped[int] = mapped_column(
        ForeignKey("message_versions.id", ondelete="CASCADE"), unique=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id", ondelete="SET NULL"))
    data: Mapped[dict] = mapped_column(default=dict)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhonePreview(Base):
    """A draft sent to one reviewer's WeChat with ``message/mass/preview`` (delivered through the
    outbox after the request's commit)."""

    __tablename__ = "phone_previews"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id", ondelete="CASCADE"),
                                                    index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(80))
    to_username: Mapped[str] = mapped_column(String(80))
    to_wxname: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sent | failed
    media_id: Mapped[str | None] = mapped_column(String(128))
    msg_id: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
