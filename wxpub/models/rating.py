"""评选: rating rounds over a series' cases, the panel of experts, their sheets and the commendations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wxpub.models.base import Base, utcnow

ROUND_STATES = ("open", "closed")
SHEET_STATES = ("draft", "submitted", "superseded")
LEVELS = ("一等", "二等", "三等", "优秀", "入围")


class RatingRound(Base):
    """One 评选 of a series: its cases, criteria (``[{"name", "weight", "max"}]``), panel, deadline,
    and whether experts see each other's scores before it closes (default: not)."""

    __tablename__ = "rating_rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[list] = mapped_column(default=list)
    deadline: Mapped[datetime]
    show_others: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    signoff: Mapped[dict] = mapped_column(default=dict)  # the panel's sign-off on the printed result


class RatingCase(Base):
    """A case in a round, as it was published: the article that went out (``article_id``) and
    its title and submitting unit when the round was set up."""

    __tablename__ = "rating_cases"
    __table_args__ = (UniqueConstraint("round_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_rounds.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(200), default="")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id", ondelete="SET NULL"))


class RatingExpert(Base):
    """A member of a round's panel: a staff user with the 评审专家 role, or an outside expert
    reached by a one-time invitation link (only its SHA-256 is kept; it expires)."""

    __tablename__ = "rating_experts"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(200), default="")  # for conflicts of interest
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_prefix: Mapped[str | None] = mapped_column(String(12))
    invite_expires_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RatingSheet(Base):
    """One expert's sheet: saved as they go (``draft``), submitted once and then frozen
    (``sha256`` of what was submitted); a correction is a new sheet that supersedes it, with its
    reason, audited."""

    __tablename__ = "rating_sheets"
    __table_args__ = (UniqueConstraint("expert_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_rounds.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("rating_experts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("rating_sheets.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]


class RatingEntry(Base):
    """A sheet's scores for one case (``{criterion: score}``), its comment, and the expert's
    conflict-of-interest declaration (then no scores: they abstain on that case)."""

    __tablename__ = "rating_entries"
    __table_args__ = (UniqueConstraint("sheet_id", "rating_case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("rating_sheets.id", ondelete="CASCADE"), index=True)
    rating_case_id: Mapped[int] = mapped_column(ForeignKey("rating_cases.id", ondelete="CASCADE"))
    scores: Mapped[dict] = mapped_column(default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    conflict: Mapped[bool] = mapped_column(default=False)


class Commendation(Base):
    """A case the office commends after a round (优秀案例), with its level."""

    __tablename__ = "commendations"
    __table_args__ = (UniqueConstraint("round_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_rounds.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
