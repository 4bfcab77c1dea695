"""Read-only queries behind the case library page (``/library``) and the series pages.

Everything a page shows is filtered, counted and paged in SQL: a series of 1,000 cases costs the
same few queries as one of ten (the chapters with their counts, one count of the matching cases, one
page of rows). Rows carry the current version's number and time through a join; the versions'
content (the large JSON) is never loaded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wxpub.core.errors import NotFound, ValidationError
from wxpub.models import Case, CaseVersion, Chapter, Series

PER_PAGE = 50
STATUSES = ("pending", "selected", "rejected")
STATUS_NAMES = {"pending": "待定", "selected": "入选", "rejected": "淘汰"}
MAX_QUERY = 100


def empty_counts() -> dict[str, int]:
    """Counts of a chapter without cases."""
    return {"pending": 0, "selected": 0, "rejected": 0, "total": 0}


def counts_by_chapter(session: Session, series_ids=None) -> dict[int, dict[str, int]]:
    """Per chapter id: its cases in each state and in all (``total``); one grouped query for the
    given series (every series when ``series_ids`` is None). Chapters without cases are absent:
    use ``empty_counts()`` for them."""
    query = (select(Case.chapter_id, Case.status, func.count()).join(Chapter)
             .group_by(Case.chapter_id, Case.status))
    if series_ids is not None:
        query = query.where(Chapter.series_id.in_(list(series_ids)))
    counts: dict[int, dict[str, int]] = {}
    for chapter_id, status, count in session.execute(query):
        entry = counts.setdefault(chapter_id, empty_counts())
        entry[status] = entry.get(status, 0) + count
        entry["total"] += count
    return counts


def series_totals(chapters, counts: dict[int, dict[str, int]]) -> dict[str, int]:
    """The counts of a whole series: the sum over ``chapters``."""
    total = empty_counts()
    for chapter in chapters:
        for key, value in counts.get(chapter.id, {}).items():
            total[key] = total.get(key, 0) + value
    return total


def default_series(session: Session) -> Series | None:
    """The series the library opens with: the only open one, else the first listed (open ones
    first, then by name), or None when there is none."""
    open_ids = list(session.scalars(select(Series.id).where(Series.is_open.is_(True)).limit(2)))
    if len(open_ids) == 1:
        return session.get(Series, open_ids[0])
    return session.scalar(select(Series).order_by(Series.is_open.desc(), Series.name).limit(1))


@dataclass(frozen=True)
class Filters:
    """What the library page shows: a series, optionally one chapter, a state and a search text."""

    series_id: int
    chapter_id: int | None = None
    status: str | None = None
    q: str = ""
    page: int = 1


def clean_filters(series_id: int, *, chapter_id=None, status=None, q=None, page=1) -> Filters:
    """Check the page's query arguments; ``ValidationError`` names the one that is wrong."""
    status = status or None
    if status is not None and status not in STATUSES:
        raise ValidationError(f"状态筛选只能是 待定、入选 或 淘汰，而不是 {status!r}")
    q = " ".join((q or "").split())
    if len(q) > MAX_QUERY:
        raise ValidationError(f"搜索内容最多 {MAX_QUERY} 个字，现有 {len(q)} 个字")
    return Filters(series_id, chapter_id, status, q, max(1, int(page or 1)))


@dataclass(frozen=True)
class Row:
    """One case as the library lists it (no content)."""

    id: int
    chapter_id: int
    chapter: str
    position: int | None
    number: int | None
    title: str
    unit: str
    status: str
    score: float | None
    version: int | None
    changed_at: datetime | None

    @property
    def status_name(self) -> str:
        """待定 / 入选 / 淘汰."""
        return STATUS_NAMES.get(self.status, self.status)


@dataclass(frozen=True)
class Page:
    """One page of the library: its rows and where it sits among all matching cases."""

    rows: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the matching cases fill (at least one)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The 1-based index of the page's first row among all matches (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0


def _matching(filters: Filters):
    """The WHERE clauses of a library view."""
    clauses = [Chapter.series_id == filters.series_id]
    if filters.chapter_id is not None:
        clauses.append(Case.chapter_id == filters.chapter_id)
    if filters.status:
        clauses.append(Case.status == filters.status)
    if filters.q:
        needle = filters.q.lower()
        clauses.append(or_(func.lower(Case.title).contains(needle, autoescape=True),
                           func.lower(Case.unit).contains(needle, autoescape=True)))
    return clauses


def library_page(session: Session, filters: Filters, *, per_page: int = PER_PAGE) -> Page:
    """The cases of a library view in chapter and case order, one page of them, and how many
    match in all. A page past the end shows the last page."""
    clauses = _matching(filters)
    total = session.scalar(select(func.count()).select_from(Case).join(Chapter)
                           .where(*clauses)) or 0
    pages = max(1, -(-total // per_page))
    page = min(filters.page, pages)
    query = (select(Case.id, Case.chapter_id, Chapter.name, Case.position, Case.number, Case.title,
                    Case.unit, Case.status, Case.score, CaseVersion.version,
                    CaseVersion.created_at)
             .join(Chapter, Case.chapter_id == Chapter.id)
             .outerjoin(CaseVersion, Case.current_version_id == CaseVersion.id)
             .where(*clauses)
             .order_by(Chapter.position, Chapter.id, Case.position, Case.id)
             .offset((page - 1) * per_page).limit(per_page))
    rows = [Row(*values) for values in session.execute(query)]
    return Page(rows, total, page, per_page)


def chapter_in_series(session: Session, series: Series, chapter_id: int) -> Chapter:
    """The chapter ``chapter_id`` of ``series``, or ``NotFound`` naming both."""
    chapter = session.get(Chapter, chapter_id)
    if chapter is None or chapter.series_id != series.id:
        raise NotFound(f"系列“{series.name}”没有编号为 {chapter_id} 的篇章")
    return chapter
