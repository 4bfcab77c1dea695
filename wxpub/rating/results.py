"""The round's results from the SUBMITTED sheets (a draft correction does not count until it is
submitted), who may see them, the commendations (优秀案例) and the panel's sign-off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core import rating as math
from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.infra.clock import SHANGHAI, local
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Series
from wxpub.models.rating import LEVELS, Commendation, RatingCase, RatingEntry, RatingRound, RatingSheet
from wxpub.rating.common import audit, criteria, get
from wxpub.rating.rounds import cases_of, experts_of

OFFICE_ROLES = ("editor", "proofreader", "reviewer", "approver", "admin")
COMMEND_ROLES = ("editor", "approver")  # admins pass too
STATE_NAMES = {"open": "评分中", "closed": "已结束"}


def _r(value):
    return None if value is None else round(value, math.DECIMALS)


def _iso(value, tz) -> str | None:
    return local(value, tz).isoformat() if value else None


def expert_names(experts) -> dict[int, str]:
    """Each panel member's name as results show it (a repeated name gets its number)."""
    counts: dict[str, int] = {}
    for e in experts:
        counts[e.name] = counts.get(e.name, 0) + 1
    return {e.id: e.name if counts[e.name] == 1 else f"{e.name}（{e.id}）" for e in experts}


def counted_sheets(session: Session, round_id: int) -> dict[int, RatingSheet]:
    """``{expert id: the submitted sheet that counts}``."""
    rows = session.scalars(select(RatingSheet).where(RatingSheet.round_id == round_id,
                                                     RatingSheet.state == "submitted")
                           .order_by(RatingSheet.number))
    return {s.expert_id: s for s in rows}


def figures(session: Session, rnd: RatingRound) -> tuple[dict, dict, dict]:
    """``({rating case id: {expert id: figure}}, {rating case id: [abstaining expert ids]},
    {expert id: submitted sheet})`` from the counted sheets."""
    crits = criteria(rnd)
    sheets = counted_sheets(session, rnd.id)
    per_case = {c.id: {} for c in cases_of(session, rnd.id)}
    abstained = {c: [] for c in per_case}
    by_sheet = {s.id: e for e, s in sheets.items()}
    if by_sheet:
        for entry in session.scalars(select(RatingEntry).where(RatingEntry.sheet_id.in_(list(by_sheet)))):
            expert_id = by_sheet[entry.sheet_id]
            if entry.rating_case_id not in per_case:
                continue
            if entry.conflict:
                abstained[entry.rating_case_id].append(expert_id)
            else:
                per_case[entry.rating_case_id][expert_id] = math.weighted(entry.scores, crits)
    return per_case, abstained, sheets


def round_dict(session: Session, rnd: RatingRound, *, tz=SHANGHAI) -> dict:
    """The round's own facts (JSON)."""
    series = session.get(Series, rnd.series_id)
    return {"id": rnd.id, "name": rnd.name, "series": series.name if series else "", "series_id": rnd.series_id,
            "state": rnd.state, "state_name": STATE_NAMES.get(rnd.state, rnd.state),
            "deadline": _iso(rnd.deadline, tz), "show_others": rnd.show_others, "criteria": rnd.criteria,
            "created_by": rnd.created_by, "created_at": _iso(rnd.created_at, tz),
            "closed_at": _iso(rnd.closed_at, tz), "closed_by": rnd.closed_by, "signoff": rnd.signoff or {},
            "cases": len(cases_of(session, rnd.id)), "experts": len(experts_of(session, rnd.id))}


def results(session: Session, round_id: int, *, tz=SHANGHAI) -> dict:
    """Every case's figures in rank order, the panel's agreement, and whether all have submitted."""
    rnd = get(session, round_id)
    per_case, abstained, sheets = figures(session, rnd)
    outcome = math.results(per_case, abstained)
    cases = {c.id: c for c in cases_of(session, rnd.id)}
    experts = experts_of(session, rnd.id)
    names = expert_names(experts)
    levels = {c.case_id: c.level for c in session.scalars(select(Commendation).where(Commendation.round_id == rnd.id))}
    rows = []
    for result in outcome.cases:
        case = cases[result.case_id]
        rows.append({
            "rating_case_id": case.id, "case_id": case.case_id, "title": case.title, "unit": case.unit,
            "position": case.position, "rank": result.rank, "mean": _r(result.mean),
            "trimmed": _r(result.trimmed), "final": _r(result.final), "spread": _r(result.spread),
            "low": _r(result.low), "high": _r(result.high), "n": len(result.figures),
            "abstained": [names[e] for e in result.abstained], "dropped": [names[e] for e in result.dropped],
            "tied_with": [cases[c].case_id for c in result.tied_with], "note": result.note,
            "figures": {names[e]: _r(f) for e, f in sorted(result.figures.items())},
            "commendation": levels.get(case.case_id)})
    agreement = {a.expert_id: a for a in outcome.experts}
    panel = []
    for expert in experts:
        row = agreement.get(expert.id)
        sheet = sheets.get(expert.id)
        panel.append({"id": expert.id, "name": names[expert.id], "unit": expert.unit,
                      "invited": expert.user_id is None,
                      "submitted_at": _iso(sheet.submitted_at, tz) if sheet else None,
                      "sheet": sheet.number if sheet else None,
                      "difference": _r(row.difference) if row else None,
                      "outlier": bool(row and row.outlier), "cases": row.cases if row else 0})
    return {"round": round_dict(session, rnd, tz=tz), "criteria": rnd.criteria, "cases": rows,
            "experts": panel, "median_difference": _r(outcome.median_difference),
            "complete": bool(experts) and all(e.id in sheets for e in experts)}


def may_see_results(rnd: RatingRound, viewer_role: str | None, expert=None) -> bool:
    """Office roles always; an expert (a 评审专家 user, or an invited expert: ``expert`` given)
    only after the round closes, unless the round lets experts see each other's scores."""
    if expert is None and viewer_role in OFFICE_ROLES:
        return True
    return rnd.state == "closed" or bool(rnd.show_others)


def _round_case(session: Session, rnd: RatingRound, case_id) -> RatingCase:
    found = session.scalar(select(RatingCase).where(RatingCase.round_id == rnd.id, RatingCase.case_id == case_id))
    if found is None:
        raise NotFound(f"案例 {case_id} 不在评选“{rnd.name}”中")
    return found


def commend(session: Session, round_id: int, case_id: int, level: str, *, actor: str,
            now: datetime) -> Commendation:
    """Mark a case of a closed round 优秀案例 with a level (changing the level is allowed)."""
    rnd = get(session, round_id)
    if level not in LEVELS:
        raise ValidationError(f"level（表彰等级）：只能是 {'、'.join(LEVELS)}，而不是 {level!r}")
    if rnd.state != "closed":
        raise Conflict(f"评选“{rnd.name}”还没有结束，结束后才能表彰")
    case = _round_case(session, rnd, case_id)
    row = session.scalar(select(Commendation).where(Commendation.round_id == rnd.id,
                                                    Commendation.case_id == case.case_id))
    if row is not None and row.level == level:
        raise Conflict(f"案例“{case.title}”已是{level}")

    def work():
        nonlocal row
        before = row.level if row is not None else None
        if row is None:
            row = Commendation(round_id=rnd.id, case_id=case.case_id, level=level, by=actor[:100], at=now)
            session.add(row)
        else:
            row.level, row.by, row.at = level, actor[:100], now
        audit(session, rnd.id, "rating.commend", actor=actor, now=now,
              detail={"case_id": case.case_id, "title": case.title, "level": level, "before": before})
        return row

    return commit_or_roll_back(session, work)


def uncommend(session: Session, round_id: int, case_id: int, *, actor: str, now: datetime) -> None:
    """Take a case's commendation back."""
    rnd = get(session, round_id)
    case = _round_case(session, rnd, case_id)
    row = session.scalar(select(Commendation).where(Commendation.round_id == rnd.id,
                                                    Commendation.case_id == case.case_id))
    if row is None:
        raise NotFound(f"案例“{case.title}”没有被表彰")

    def work():
        audit(session, rnd.id, "rating.uncommend", actor=actor, now=now,
              detail={"case_id": case.case_id, "title": case.title, "level": row.level})
        session.delete(row)

    commit_or_roll_back(session, work)


def sign_off(session: Session, round_id: int, *, names: list[str], actor: str, now: datetime) -> RatingRound:
    """Record the panel's sign-off (the names on the printed 评选结果) with the time."""
    rnd = get(session, round_id)
    if rnd.state != "closed":
        raise Conflict(f"评选“{rnd.name}”还没有结束，结束后才能签字确认")
    if not isinstance(names, (list, tuple)):
        raise ValidationError("names（签字专家）：应为姓名列表")
    cleaned = [n.strip() for n in names if isinstance(n, str) and n.strip()]
    if not cleaned:
        raise ValidationError("names（签字专家）：请至少填写一位专家的姓名")
    if any(len(n) > 40 for n in cleaned):
        raise ValidationError("names（签字专家）：每个姓名不能超过 40 个字")

    def work():
        rnd.signoff = {"names": cleaned, "at": now.isoformat(), "by": actor[:100]}
        audit(session, rnd.id, "rating.signoff", actor=actor, now=now, detail={"names": cleaned})
        return rnd

    return commit_or_roll_back(session, work)


def commendations_of_cases(session: Session, case_ids) -> dict[int, tuple[str, str]]:
    """``{case id: (level, round name)}`` for the commended cases among ``case_ids`` (the newest
    round's commendation when a case was commended more than once)."""
    ids = [int(i) for i in case_ids or ()]
    if not ids:
        return {}
    rows = session.execute(select(Commendation, RatingRound.name).join(RatingRound, RatingRound.id == Commendation.round_id)
                           .where(Commendation.case_id.in_(ids)).order_by(Commendation.at, Commendation.id)).all()
    return {c.case_id: (c.level, name) for c, name in rows}
