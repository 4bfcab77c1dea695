"""JSON API of 评选 (registered by ``wxpub.web.api``: login required; writes need the CSRF token).

* ``GET  /api/v1/rating-rounds``                every round (office roles)
* ``POST /api/v1/rating-rounds``                ``{"series", "name", "deadline", "criteria"?, "show_others"?,
  "case_ids"?}`` → 201 the round (editors and approvers; admins pass)
* ``GET  /api/v1/rating-rounds/<id>/results``   the results (office roles; a panel expert only after
  the round closes, unless it lets experts see each other's scores — else 403)
* ``POST /api/v1/rating-rounds/<id>/sheets``    ``{"entries": [{"case_id" | "rating_case_id", "scores",
  "comment"?, "conflict"?}], "submit"?}`` — the calling expert's own sheet (403 when not on the panel;
  409 once submitted, or after the round closed or its deadline passed) → the sheet with its entries

``deadline`` is ISO 8601 with its offset or Beijing ``YYYY-MM-DD HH:MM``; times answered are Beijing.
"""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from wxpub.core.errors import Forbidden, NotFound, ValidationError
from wxpub.models.rating import RatingCase
from wxpub.rating import results as rating_results, rounds, sheets
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor
from wxpub.web.api_schema import Body, arr, operation, shape

TAG = "评选"
CREATE_ROLES = ("editor", "approver")
ROUND = shape({"id": "integer", "name": "string", "series": "string", "series_id": "integer", "state": "string",
               "state_name": "string", "deadline": "string", "show_others": "boolean", "criteria": "list",
               "created_by": "string", "created_at": "string?", "closed_at": "string?", "closed_by": "string?",
               "signoff": "object", "cases": "integer", "experts": "integer"})
RESULT_CASE = shape({"rating_case_id": "integer", "case_id": "integer", "title": "string", "unit": "string",
                     "rank": "integer?", "mean": "number?", "trimmed": "number?", "final": "number?",
                     "spread": "number?", "low": "number?", "high": "number?", "n": "integer",
                     "abstained": arr("string"), "dropped": arr("string"), "note": "string",
                     "figures": "object", "commendation": "string?"})
RESULT_EXPERT = shape({"id": "integer", "name": "string", "unit": "string", "submitted_at": "string?",
                       "difference": "number?", "outlier": "boolean", "cases": "integer"})
RESULTS = shape({"round": ROUND, "criteria": "list", "cases": arr(RESULT_CASE), "experts": arr(RESULT_EXPERT),
                 "median_difference": "number?", "complete": "boolean"})
SHEET = shape({"id": "integer", "round_id": "integer", "expert_id": "integer", "number": "integer",
               "state": "string", "supersedes_id": "integer?", "reason": "string", "sha256": "string?",
               "submitted_at": "string?", "entries": arr(shape({
                   "rating_case_id": "integer", "case_id": "integer", "title": "string", "scores": "object",
                   "comment": "string", "conflict": "boolean"}))})


class CriterionIn(Body):
    """One criterion."""

    name: str = Field(description="名称，如 创新性")
    weight: float = Field(description="权重（正数）")
    max: float = Field(description="满分（正数）")


class NewRound(Body):
    """A new rating round."""

    messages = {"deadline": "字段 deadline（截止时间）应为字符串：带时区的 ISO 8601，或北京时间“YYYY-MM-DD HH:MM”",
                "case_ids": "字段 case_ids（案例）应为案例编号（整数）的列表",
                "criteria": "字段 criteria（评分标准）应为 {name, weight, max} 的列表"}
    series: str = Field(description="系列名称")
    name: str = Field(description="评选名称")
    deadline: str = Field(description="截止时间：带时区的 ISO 8601，或北京时间“YYYY-MM-DD HH:MM”")
    criteria: list[CriterionIn] | None = Field(None, description="评分标准；不给则为 创新性、实效性、可复制推广性、示范带动性")
    show_others: bool = Field(False, description="专家能否在评选结束前看到彼此的评分（默认不能）")
    case_ids: list[int] | None = Field(None, description="参评案例编号；不给则为该系列已发布的案例")


class EntryIn(Body):
    """One case's scores on the sheet."""

    case_id: int | None = Field(None, description="案例编号（或给 rating_case_id）")
    rating_case_id: int | None = Field(None, description="评选中的案例编号")
    scores: dict[str, float | int | None] = Field({}, description="各评分标准的分数，如 {\"创新性\": 8.5}")
    comment: str = Field("", description="评语")
    conflict: bool = Field(False, description="回避（本人来自该案例的申报单位）：不打分")


class SheetIn(Body):
    """The calling expert's entries, and whether to submit the sheet."""

    entries: list[EntryIn] = Field([], description="各案例的评分")
    submit: bool = Field(False, description="保存后提交评分表（提交后不能再改，只能更正）")


def _now():
    return runtime().clock.now()


@operation("评选列表（新的在前）", tag=TAG, answer=shape({"rounds": arr(ROUND)}))
def list_rounds():
    """GET /api/v1/rating-rounds."""
    session = db_session()
    tz = runtime().settings.tz
    return jsonify({"rounds": [rating_results.round_dict(session, r, tz=tz) for r in rounds.listing(session)]})


@operation("新建评选（默认参评案例为该系列已发布的案例）", tag=TAG, body=NewRound, status=201, answer=ROUND)
def create_round(body: NewRound):
    """POST /api/v1/rating-rounds."""
    session, rt = db_session(), runtime()
    deadline = rounds.parse_deadline(body.deadline, tz=rt.settings.tz)
    criteria = None if body.criteria is None else [c.model_dump() for c in body.criteria]
    row = rounds.create_round(session, series=body.series, name=body.name, deadline=deadline, criteria=criteria,
                              show_others=body.show_others, case_ids=body.case_ids, actor=actor(), now=_now())
    return jsonify(rating_results.round_dict(session, row, tz=rt.settings.tz)), 201


def _panel_expert(session, round_id: int):
    """The calling user's place on the panel, or None (403 for an expert not on it)."""
    try:
        return rounds.expert_of_user(session, round_id, current_user.username)
    except NotFound:
        return None


@operation("评选结果（评审专家：评选结束后才能查看，除非允许互看评分）", tag=TAG, answer=RESULTS)
def round_results(round_id: int):
    """GET /api/v1/rating-rounds/<id>/results."""
    session = db_session()
    rnd = rounds.get(session, round_id)
    if current_user.role == "expert":
        expert = _panel_expert(session, round_id)
        if expert is None:
            raise Forbidden(f"你不在评选“{rnd.name}”的专家名单中，不能查看结果")
        if not rating_results.may_see_results(rnd, current_user.role, expert):
            raise Forbidden("评选结束前不能查看其他专家的评分和结果")
    return jsonify(rating_results.results(session, round_id, tz=runtime().settings.tz))


@operation("保存（并可提交）本人的评分表", tag=TAG, body=SheetIn, answer=SHEET, errors=(409,))
def save_sheet(round_id: int, body: SheetIn):
    """POST /api/v1/rating-rounds/<id>/sheets — the calling expert's own sheet."""
    session = db_session()
    rnd = rounds.get(session, round_id)
    expert = _panel_expert(session, round_id)
    if expert is None:
        raise Forbidden(f"你不在评选“{rnd.name}”的专家名单中，不能评分")
    by_case = {c.case_id: c.id for c in session.scalars(select(RatingCase).where(RatingCase.round_id == rnd.id))}
    items = []
    for number, entry in enumerate(body.entries, start=1):
        rating_case_id = entry.rating_case_id
        if rating_case_id is None:
            if entry.case_id is None:
                raise ValidationError(f"entries 第 {number} 条：请给出 case_id 或 rating_case_id")
            if entry.case_id not in by_case:
                raise NotFound(f"entries 第 {number} 条：案例 {entry.case_id} 不在评选“{rnd.name}”中")
            rating_case_id = by_case[entry.case_id]
        items.append({"rating_case_id": rating_case_id, "scores": entry.scores, "comment": entry.comment,
                      "conflict": entry.conflict})
    sheet = sheets.save_sheet(session, expert.id, items, submit=body.submit, actor=actor(), now=_now())
    return jsonify(sheets.sheet_dict(session, sheet, tz=runtime().settings.tz))


list_rounds.read_roles = rating_results.OFFICE_ROLES
list_rounds.read_forbidden_message = "评审专家请从“我的评选”进入"
create_round.write_roles = CREATE_ROLES
create_round.forbidden_message = "不能新建评选，请由编辑或终审操作"
save_sheet.write_roles = ("expert",)
save_sheet.forbidden_message = "不能评分：只有评审专家可以填写评分表"

ROUTES = [
    ("/rating-rounds", list_rounds, ["GET"]),
    ("/rating-rounds", create_round, ["POST"]),
    ("/rating-rounds/<id:round_id>/results", round_results, ["GET"]),
    ("/rating-rounds/<id:round_id>/sheets", save_sheet, ["POST"]),
]
