"""The case library: series → chapters → cases, each case with immutable versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wxpub.models.base import Base, utcnow


class Series(Base):
    """A collection published as a serial, e.g. "2023年度滨海新区优化营商环境创新实践案例展示"."""

    __tablename__ = "series"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    cover_sha256: Mapped[str | None] = mapped_column(String(64))
    # The series' introduction: the default intro of a chapter that has none of its own.
    intro: Mapped[list] = mapped_column(default=list)
    # Open series take imports; a closed one (a finished year) is kept but not offered any more.
    is_open: Mapped[bool] = mapped_column(default=True)
    # Who may comment on its articles (留言): everyone | followers | closed (models.comments.COMMENT_POLICIES).
    comment_policy: Mapped[str] = mapped_column(String(20), default="everyone")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    chapters: Mapped[list["Chapter"]] = relationship(back_populates="series",
                                                     order_by="Chapter.position")


class Chapter(Base):
    """A chapter of a series (市场环境, 政务环境, …) with its introduction and its order."""

    __tablename__ = "chapters"
    __table_args__ = (UniqueConstraint("series_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    intro: Mapped[list] = mapped_column(default=list)
    # How the composer lays the chapter out (title template, theme, cover, footer): see
    # ``wxpub.editorial.settings``; empty means the defaults.
    settings: Mapped[dict] = mapped_column(default=dict)
    series: Mapped[Series] = relationship(back_populates="chapters")
    cases: Mapped[list["Case"]] = relationship(back_populates="chapter", order_by="Case.position")


class Case(Base):
    """A case study. Its content lives in ``CaseVersion`` rows; this row holds identity and curation.

    ``key`` identifies the case across re-imports (series/chapter/number, or the title when a source
    has no numbers), so re-importing the same source finds the same case.
    """

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("chapter_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))
    number: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|selected|rejected
    position: Mapped[int | None]
    score: Mapped[float | None]
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_versions.id", use_alter=True, name="fk_cases_current_version"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    chapter: Mapped[Chapter] = relationship(back_populates="cases")
    versions: Mapped[list["CaseVersion"]] = relationship(
        back_populates="case", foreign_keys="CaseVersion.case_id", order_by="CaseVersion.version")
    current_version: Mapped["CaseVersion | None"] = relationship(foreign_keys=[current_version_id],
                                                                 post_update=True)


class CaseVersion(Base):
    """One immutable state of a case's content (``wxpub.core.content.CaseContent.content_dict()``)."""

    __tablename__ = "case_versions"
    __table_args__ = (UniqueConstraint("case_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[dict]
    source_file: Mapped[str] = mapped_column(String(500), default="")
    source_position: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    case: Mapped[Case] = relationship(back_populates="versions", foreign_keys=[case_id])


class MediaFile(Base):
    """Image bytes by content hash (case images, covers); stored once however often used."""

    __tablename__ = "media_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportBatch(Base):
    """Uploaded files waiting between the dry run and 确认导入, so that exactly what was previewed
    is applied (``plan_digest``: the dry run's outcome; a different outcome at confirm is refused)."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    series: Mapped[str] = mapped_column(String(200), default="")
    chapter: Mapped[str] = mapped_column(String(100), default="")
    plan_digest: Mapped[str] = mapped_column(String(64), default="")
    applied_at: Mapped[datetime | None]
    files: Mapped[list["ImportBatchFile"]] = relationship(order_by="ImportBatchFile.position",
                                                          cascade="all, delete-orphan")


class ImportBatchFile(Base):
    """One uploaded file of an ``ImportBatch`` (bytes as uploaded)."""

    __tablename__ = "import_batch_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"),
                                          index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    data: Mapped[bytes] = mapped_column(LargeBinary)


Index("ix_cases_chapter_position", Case.chapter_id, Case.position)
