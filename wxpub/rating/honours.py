"""The 表彰 article: a chapter of the series composed from the cases a closed round commended.

``honours_chapter`` adds a chapter (default 「优秀案例表彰」) whose cases are copies of the commended
ones — their current content, a first lead paragraph saying which commendation they received —
ordered by level (一等 first) and then by the round's rank. From there it is an ordinary chapter:
composed, reviewed (三审三校) and planned like the others; the library cases it copies stay as they
are. One transaction, audited as ``rating.honours``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, ValidationError
from wxpub.infra.db import commit_or_roll_back
from wxpub.library.service import case_to_content
from wxpub.models import Case, CaseVersion, Chapter, Series
from wxpub.models.rating import LEVELS, Commendation
from wxpub.rating.common import audit, get

DEFAULT_NAME = "优秀案例表彰"


def honours_chapter(session: Session, round_id: int, *, name: str = DEFAULT_NAME, actor: str,
                    now: datetime, ranks: dict[int, int] | None = None) -> Chapter:
    """Add the 表彰 chapter of a closed round's commended cases (``ranks``: case id → the round's
    rank, for the order within a level). Conflict when nothing is commended yet or the chapter
    name is taken in the series."""
    rnd = get(session, round_id)
    label = (name or "").strip()
    if not 1 <= len(label) <= 100:
        raise ValidationError("name（篇章名称）：应为 1–100 个字，如“优秀案例表彰”")
    if rnd.state != "closed":
        raise Conflict(f"评选“{rnd.name}”还没有结束，结束并表彰后才能生成表彰篇章")
    commended = list(session.scalars(select(Commendation).where(Commendation.round_id == rnd.id)))
    if not commended:
        raise Conflict(f"评选“{rnd.name}”还没有表彰任何案例")
    if session.scalar(select(Chapter.id).where(Chapter.series_id == rnd.series_id, Chapter.name == label)):
        raise Conflict(f"系列中已有篇章“{label}”，请换一个名称")
    ranks = ranks or {}
    commended.sort(key=lambda c: (LEVELS.index(c.level), ranks.get(c.case_id, 10 ** 6), c.case_id))
    series = session.get(Series, rnd.series_id)

    def work():
        position = (session.scalar(select(func.max(Chapter.position)).where(
            Chapter.series_id == series.id)) or 0) + 1
        chapter = Chapter(series_id=series.id, name=label, position=max(position, 100),
                          intro=[f"经“{rnd.name}”专家评审，以下 {len(commended)} 个案例获评优秀案例，予以表彰。"])
        session.add(chapter)
        session.flush()
        for number, commendation in enumerate(commended, start=1):
            source = session.get(Case, commendation.case_id)
            content = case_to_content(source, session)
            honour = f"荣获“{rnd.name}”优秀案例·{commendation.level}。"
            content = replace(content, chapter=label, number=number, lead=(honour, *content.lead))
            row = Case(chapter_id=chapter.id, key=f"honours-{rnd.id}-{source.id}", number=number,
                       title=source.title, unit=source.unit, status="selected", position=number,
                       created_at=now, updated_at=now)
            session.add(row)
            session.flush()
            version = CaseVersion(case_id=row.id, version=1, content_hash=content.content_hash,
                                  content=content.content_dict(), source_file=f"评选 {rnd.id}",
                                  source_position=f"案例 {source.id}", created_at=now)
            session.add(version)
            session.flush()
            row.current_version_id = version.id
        audit(session, rnd.id, "rating.honours", actor=actor, now=now,
              detail={"chapter_id": chapter.id, "chapter": label,
                      "case_ids": [c.case_id for c in commended]})
        return chapter

    return commit_or_roll_back(session, work)
