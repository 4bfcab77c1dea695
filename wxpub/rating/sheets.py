"""An expert's sheet: saved as they go (a draft), submitted once and frozen (its SHA-256 kept),
corrected only by a new sheet — a copy, with its reason, audited — that replaces the old one in the
results once it is submitted."""

from __future__ import annotations

import hashlib
import json
import math as _math
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core import rating as math
from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.infra.db import commit_or_roll_back
from wxpub.models.rating import RatingCase, RatingEntry, RatingExpert, RatingRound, RatingSheet
from wxpub.rating.common import audit, criteria, require_open, set_state

SUBMITTED_ALREADY = "已提交，不能修改；如需更正请点“更正”"
MAX_COMMENT = 2000
MAX_REASON = 500


def _expert(session: Session, expert_id: int) -> tuple[RatingExpert, RatingRound]:
    expert = session.get(RatingExpert, expert_id) if isinstance(expert_id, int) else None
    if expert is None:
        raise NotFound(f"评审专家 {expert_id} 不存在")
    return expert, session.get(RatingRound, expert.round_id)


def current_sheet(session: Session, expert_id: int) -> RatingSheet | None:
    """The expert's newest sheet that is not superseded (a draft correction over a submitted one
    is the current one), or None before their first save."""
    return session.scalar(select(RatingSheet).where(RatingSheet.expert_id == expert_id,
                                                    RatingSheet.state != "superseded")
                          .order_by(RatingSheet.number.desc()).limit(1))


def entries(session: Session, sheet_id: int) -> dict[int, RatingEntry]:
    """A sheet's entries by rating case id."""
    return {e.rating_case_id: e for e in session.scalars(select(RatingEntry).where(RatingEntry.sheet_id == sheet_id))}


def _scores(value, crits, where: str) -> dict:
    """Scores checked against the scales; a criterion left out (or None / "") is not scored yet."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{where}scores（分数）应为“评分标准: 分数”的对象")
    known = {c.name: c for c in crits}
    out = {}
    for name, score in value.items():
        if name not in known:
            raise ValidationError(f"{where}没有名为“{name}”的评分标准")
        if score is None or score == "":
            continue
        if isinstance(score, str):
            try:
                score = float(score.strip())
            except ValueError:
                raise ValidationError(f"{where}“{name}”的分数应为数字，而不是 {score!r}") from None
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not _math.isfinite(score):
            raise ValidationError(f"{where}“{name}”的分数应为数字，而不是 {score!r}")
        if not 0 <= score <= known[name].max:
            raise ValidationError(f"{where}“{name}”的分数应在 0 到 {known[name].max:g} 之间，而不是 {score:g}")
        out[name] = int(score) if float(score).is_integer() else float(score)
    return out


def _case(session: Session, rnd: RatingRound, rating_case_id) -> RatingCase:
    case = session.get(RatingCase, rating_case_id) if isinstance(rating_case_id, int) \
        and not isinstance(rating_case_id, bool) else None
    if case is None or case.round_id != rnd.id:
        raise NotFound(f"案例 {rating_case_id} 不在评选“{rnd.name}”中")
    return case


def _writable(session: Session, expert: RatingExpert, rnd: RatingRound, now: datetime) -> RatingSheet | None:
    require_open(rnd, now)
    sheet = current_sheet(session, expert.id)
    if sheet is not None and sheet.state == "submitted":
        raise Conflict(SUBMITTED_ALREADY)
    return sheet


def _new_sheet(session: Session, expert: RatingExpert, now: datetime, **extra) -> RatingSheet:
    number = (session.scalar(select(func.max(RatingSheet.number)).where(RatingSheet.expert_id == expert.id)) or 0) + 1
    sheet = RatingSheet(round_id=expert.round_id, expert_id=expert.id, number=number,
                        created_at=now, updated_at=now, **extra)
    session.add(sheet)
    session.flush()
    return sheet


def _save(session, expert, rnd, sheet, case, *, scores, comment, conflict, actor, now) -> tuple[RatingSheet, RatingEntry]:
    """Write one entry (validated by the caller) into the draft, creating the draft when need be."""
    if sheet is None:
        sheet = _new_sheet(session, expert, now)
    entry = session.scalar(select(RatingEntry).where(RatingEntry.sheet_id == sheet.id,
                                                     RatingEntry.rating_case_id == case.id))
    if entry is None:
        entry = RatingEntry(sheet_id=sheet.id, rating_case_id=case.id)
        session.add(entry)
    entry.scores, entry.comment, entry.conflict = ({} if conflict else scores), comment, bool(conflict)
    sheet.updated_at = now
    session.flush()
    audit(session, rnd.id, "rating.entry_save", actor=actor, now=now,
          detail={"expert_id": expert.id, "expert": expert.name, "sheet": sheet.number,
                  "case_id": case.case_id, "conflict": bool(conflict)})
    return sheet, entry


def _checked(session, rnd, crits, item: dict, number: int | None = None):
    where = f"第 {number} 条：" if number else ""
    case = _case(session, rnd, item.get("rating_case_id"))
    comment = item.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise ValidationError(f"{where}comment（评语）：应为不超过 {MAX_COMMENT} 字的文字")
    conflict = bool(item.get("conflict"))
    scores = {} if conflict else _scores(item.get("scores"), crits, f"{where}案例“{case.title}”：")
    return case, scores, comment.strip(), conflict


def save_entry(session: Session, expert_id: int, rating_case_id: int, *, scores: dict, comment: str = "",
               conflict: bool = False, actor: str, now: datetime) -> RatingEntry:
    """Save one case's scores (partial is fine in a draft), comment and conflict declaration."""
    expert, rnd = _expert(session, expert_id)
    sheet = _writable(session, expert, rnd, now)
    case, scores, comment, conflict = _checked(session, rnd, criteria(rnd), {
        "rating_case_id": rating_case_id, "scores": scores, "comment": comment, "conflict": conflict})
    return commit_or_roll_back(session, lambda: _save(session, expert, rnd, sheet, case, scores=scores,
                                                      comment=comment, conflict=conflict, actor=actor, now=now)[1])


def sheet_sha256(session: Session, sheet: RatingSheet) -> str:
    """SHA-256 of the sheet's entries (case, scores, comment, conflict) in a canonical JSON form."""
    cases = {c.id: c.case_id for c in session.scalars(select(RatingCase).where(RatingCase.round_id == sheet.round_id))}
    data = [{"case_id": cases.get(e.rating_case_id), "scores": e.scores, "comment": e.comment,
             "conflict": e.conflict} for _, e in sorted(entries(session, sheet.id).items())]
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _submit(session, expert, rnd, sheet, *, actor, now) -> RatingSheet:
    """Freeze the draft once every case is scored on every criterion or declared a conflict."""
    crits = criteria(rnd)
    done = entries(session, sheet.id)
    for case in session.scalars(select(RatingCase).where(RatingCase.round_id == rnd.id).order_by(RatingCase.position)):
        entry = done.get(case.id)
        if entry is None:
            raise ValidationError(f"案例“{case.title}”还没有打分（或声明回避）")
        if not entry.conflict:
            try:
                math.weighted(entry.scores, crits, where=f"案例“{case.title}”：")
            except math.RatingError as error:
                raise ValidationError(str(error)) from None
    set_state(sheet, "submitted")
    sheet.submitted_at, sheet.updated_at = now, now
    sheet.sha256 = sheet_sha256(session, sheet)
    if sheet.supersedes_id:
        old = session.get(RatingSheet, sheet.supersedes_id)
        if old is not None:
            set_state(old, "superseded")
    audit(session, rnd.id, "rating.submit", actor=actor, now=now, after=sheet.sha256,
          detail={"expert_id": expert.id, "expert": expert.name, "sheet": sheet.number,
                  "supersedes": sheet.supersedes_id, "sha256": sheet.sha256})
    return sheet


def submit_sheet(session: Session, expert_id: int, *, actor: str, now: datetime) -> RatingSheet:
    """Submit the expert's sheet; frozen from then on."""
    expert, rnd = _expert(session, expert_id)
    sheet = _writable(session, expert, rnd, now)
    if sheet is None:
        raise ValidationError("还没有打分，不能提交评分表")
    return commit_or_roll_back(session, lambda: _submit(session, expert, rnd, sheet, actor=actor, now=now))


def save_sheet(session: Session, expert_id: int, items: list[dict], *, submit: bool = False, actor: str,
               now: datetime) -> RatingSheet:
    """Several entries (``{"rating_case_id", "scores", "comment"?, "conflict"?}``) and, with
    ``submit``, the submission — all in one transaction (the JSON API's sheet)."""
    expert, rnd = _expert(session, expert_id)
    sheet = _writable(session, expert, rnd, now)
    if not isinstance(items, list):
        raise ValidationError("entries（评分）：应为列表")
    crits = criteria(rnd)
    checked = [_checked(session, rnd, crits, item if isinstance(item, dict) else {}, number)
               for number, item in enumerate(items, start=1)]
    if len({c.id for c, *_ in checked}) != len(checked):
        raise ValidationError("entries（评分）：同一个案例出现了不止一次")
    if not checked and not submit:
        raise ValidationError("entries（评分）：至少要有一条")
    if not checked and sheet is None:
        raise ValidationError("还没有打分，不能提交评分表")

    def work():
        current = sheet
        for case, scores, comment, conflict in checked:
            current, _ = _save(session, expert, rnd, current, case, scores=scores, comment=comment,
                               conflict=conflict, actor=actor, now=now)
        return _submit(session, expert, rnd, current, actor=actor, now=now) if submit else current

    return commit_or_roll_back(session, work)


def correct_sheet(session: Session, expert_id: int, *, reason: str, actor: str, now: datetime) -> RatingSheet:
    """A correction: a new draft sheet (number + 1), a copy of the submitted one, with its reason;
    the old one counts until the new one is submitted."""
    expert, rnd = _expert(session, expert_id)
    require_open(rnd, now, what="更正评分")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError("reason（更正原因）：请写明为什么更正")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"reason（更正原因）：不能超过 {MAX_REASON} 个字")
    old = current_sheet(session, expert.id)
    if old is None or old.state != "submitted":
        raise Conflict("评分表还没有提交，直接修改即可，不需要更正" if old is not None else "还没有评分表可以更正")

    def work():
        sheet = _new_sheet(session, expert, now, supersedes_id=old.id, reason=reason)
        for entry in entries(session, old.id).values():
            session.add(RatingEntry(sheet_id=sheet.id, rating_case_id=entry.rating_case_id,
                                    scores=dict(entry.scores or {}), comment=entry.comment, conflict=entry.conflict))
        audit(session, rnd.id, "rating.correct", actor=actor, now=now, detail={
            "expert_id": expert.id, "expert": expert.name, "sheet": sheet.number, "supersedes": old.number,
            "reason": reason, "before_sha256": old.sha256})
        return sheet

    return commit_or_roll_back(session, work)


def sheet_dict(session: Session, sheet: RatingSheet | None, *, tz=None) -> dict | None:
    """The sheet as the JSON API answers it (times in Beijing ISO 8601)."""
    from wxpub.infra.clock import SHANGHAI, local
    if sheet is None:
        return None
    tz = tz or SHANGHAI
    cases = {c.id: c for c in session.scalars(select(RatingCase).where(RatingCase.round_id == sheet.round_id))}
    return {"id": sheet.id, "round_id": sheet.round_id, "expert_id": sheet.expert_id, "number": sheet.number,
            "state": sheet.state, "supersedes_id": sheet.supersedes_id, "reason": sheet.reason,
            "sha256": sheet.sha256,
            "submitted_at": local(sheet.submitted_at, tz).isoformat() if sheet.submitted_at else None,
            "entries": [{"rating_case_id": e.rating_case_id, "case_id": cases[e.rating_case_id].case_id,
                         "title": cases[e.rating_case_id].title, "scores": e.scores, "comment": e.comment,
                         "conflict": e.conflict}
                        for _, e in sorted(entries(session, sheet.id).items(),
                                           key=lambda item: cases[item[0]].position)]}
