"""Curation of many cases at once: bulk select/reject/reset, scores, and moving cases in a chapter.

Each function is one use case in one transaction: every id and value is checked before anything
is written, one audit entry records what was done, and it commits once (or changes nothing).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.infra.db import commit_or_roll_back
from wxpub.core.errors import NotFound, ValidationError
from wxpub.models import AuditEntry, Case, Chapter

STATUSES = ("pending", "selected", "rejected")
STATUS_NAMES = {"pending": "待定", "selected": "入选", "rejected": "淘汰"}
MAX_BULK = 1000
MAX_ID = 2 ** 31 - 1


def _ids(case_ids, what: str = "案例") -> list[int]:
    if not isinstance(case_ids, (list, tuple)):
        raise ValidationError(f"{what}编号应为整数列表")
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in case_ids):
        raise ValidationError(f"{what}编号应为 1 到 {MAX_ID} 之间的整数")
    if len(case_ids) > MAX_BULK:
        raise ValidationError(f"一次最多处理 {MAX_BULK} 个{what}，现有 {len(case_ids)} 个")
    return list(dict.fromkeys(case_ids))  # once each, in the given order


def _object_id(ids: list[int]) -> str:
    """The audit entry's object: the case when there is one (the list is in the detail)."""
    return str(ids[0]) if len(ids) == 1 else ""


def _load(session: Session, ids: list[int]) -> list[Case]:
    rows = {row.id: row for row in session.scalars(select(Case).where(Case.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound("没有这些编号的案例：" + "、".join(str(i) for i in missing))
    return [rows[i] for i in ids]


def set_statuses(session: Session, case_ids, status: str, *, actor: str,
                 now: datetime) -> list[Case]:
    """Set the state of every case in ``case_ids`` (入选 selected, 淘汰 rejected, 待定 pending):
    all ids are checked first (none unknown), one audit entry, one commit."""
    if status not in STATUSES:
        raise ValidationError(f"案例状态只能是 pending（待定）、selected（入选）或 rejected（淘汰），"
                              f"而不是 {status!r}")
    ids = _ids(case_ids)
    if not ids:
        raise ValidationError("没有指定要处理的案例（案例列表为空）")
    try:
        rows = _load(session, ids)
        before = {str(row.id): row.status for row in rows}
        for row in rows:
            if row.status != status:
                row.status = status
                row.updated_at = now
        session.add(AuditEntry(at=now, actor=actor, action=f"case.bulk_{status}", object_type="case",
                               object_id=_object_id(ids),
                               detail={"status": status, "case_ids": ids, "from": before}))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return rows


def clean_score(value, where: str = ""):
    """A score from a form or JSON: empty → None (no score), else a number from 0 to 100."""
    label = f"{where}的评分" if where else "评分"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError(f"{label}应为 0 到 100 之间的数字")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValidationError(f"{label}应为 0 到 100 之间的数字，而不是“{value.strip()[:20]}”") from None
    if not isinstance(value, (int, float)) or value != value or not 0 <= value <= 100:
        raise ValidationError(f"{label}应在 0 到 100 之间，而不是 {value}")
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


def set_scores(session: Session, scores: dict[int, object], *, actor: str,
               now: datetime) -> list[Case]:
    """Record the scores of several cases (``{case_id: score or None}``): every score checked
    first (0–100, one decimal place), then written in one transaction; returns the cases whose
    score changed."""
    ids = _ids(list(scores))
    try:
        rows = _load(session, ids)
        cleaned = {row.id: clean_score(scores[row.id], f"案例“{row.title}”") for row in rows}
        changed = [row for row in rows if row.score != cleaned[row.id]]
        for row in changed:
            row.score = cleaned[row.id]
            row.updated_at = now
        if changed:
            session.add(AuditEntry(at=now, actor=actor, action="case.scores", object_type="case",
                                   object_id=_object_id([r.id for r in changed]),
                                   detail={str(r.id): r.score for r in changed}))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return changed


def _ordered(chapter: Chapter) -> list[Case]:
    return sorted(chapter.cases, key=lambda r: (r.position if r.position is not None else 0, r.id))


def _renumber(session: Session, chapter: Chapter, ordered: list[Case], *, actor: str,
              now: datetime, action: str, case_id: int | None = None) -> None:
    for position, row in enumerate(ordered, start=1):
        row.position = position
    session.add(AuditEntry(at=now, actor=actor, action=action, object_type="chapter",
                           object_id=str(chapter.id),
                           detail={"order": [r.id for r in ordered], "case_id": case_id}))


def move_case(session: Session, case_id: int, delta: int, *, actor: str, now: datetime) -> Case:
    """Move a case one place up (``delta`` -1) or down (+1) among all cases of its chapter; the
    chapter's cases are then numbered 1, 2, 3 … in that order. At either end nothing moves."""
    if delta not in (-1, 1):
        raise ValidationError("移动方向只能是上移（-1）或下移（1）")
    row = session.get(Case, case_id)
    if row is None:
        raise NotFound(f"没有编号为 {case_id} 的案例")

    def work():
        ordered = _ordered(row.chapter)
        index = ordered.index(row)
        target = index + delta
        if 0 <= target < len(ordered):
            ordered[index], ordered[target] = ordered[target], ordered[index]
        _renumber(session, row.chapter, ordered, actor=actor, now=now, action="case.move",
                  case_id=row.id)
        return row
    return commit_or_roll_back(session, work)


def arrange(session: Session, chapter_id: int, case_ids, *, actor: str,
            now: datetime) -> list[Case]:
    """Put some cases of a chapter in a new order among the places they hold now (the rows one
    page, filter or search shows, rearranged by drag and drop); the other cases keep their
    places. Returns the chapter's cases in their new order (positions 1, 2, 3 …)."""
    ids = _ids(case_ids)
    if len(ids) != len(case_ids):
        raise ValidationError("排序列表中有重复的案例")
    chapter = session.get(Chapter, chapter_id)
    if chapter is None:
        raise NotFound(f"没有编号为 {chapter_id} 的篇章")

    def work():
        ordered = _ordered(chapter)
        by_id = {r.id: r for r in ordered}
        foreign = [i for i in ids if i not in by_id]
        if foreign:
            raise ValidationError(f"案例 {'、'.join(map(str, foreign))} 不属于篇章“{chapter.name}”，"
                                  "请刷新页面后再排序")
        moving = set(ids)
        slots = [index for index, row in enumerate(ordered) if row.id in moving]
        for slot, case_id in zip(slots, ids):
            ordered[slot] = by_id[case_id]
        _renumber(session, chapter, ordered, actor=actor, now=now, action="chapter.arrange")
        return ordered
    return commit_or_roll_back(session, work)
