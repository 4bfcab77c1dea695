"""Stored release plans: the current plan of each series, as the YAML text staff gave."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wxpub.models.base import Base, utcnow


class ReleasePlan(Base):
    """One current plan per series and account: the YAML text exactly as given (comments
    included), its sha256, the account it publishes to and who stored it last. Written when a plan
    is applied."""

    __tablename__ = "release_plans"
    __table_args__ = (UniqueConstraint("series_name", "account_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    series_name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The name the text came under (a path for the CLI, "schedules/<name>.yaml" for the browser);
    # used in messages and to resolve the plan's holidays_file.
    filename: Mapped[str] = mapped_column(String(300), default="")
    yaml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
