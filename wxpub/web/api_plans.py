"""JSON API of planning (registered by ``wxpub.web.api``: login required; writes need the CSRF
token). Times are the plan's local time (Beijing) in ISO 8601.

* ``POST /api/v1/plans``  ``{"yaml": "...", "dry_run": true}`` → ``{"calendar": [...], "errors":
  [{"line", "message", ...}], "warnings": [...], "schedule"}`` — the same checks as
  ``wxpub plan show``; anyone logged in may check. Instead of ``yaml`` a ``"form"`` object with the
  planning form's fields may be sent (the page's live check does; with ``source_yaml``, the text
  the form was filled from, an unchanged form stands for that text); the answer then has the
  ``yaml`` the form stands for.
* ``POST /api/v1/plans``  ``{"yaml": "...", "dry_run": false}`` → applies it (editors and approvers):
  ``{"applied": {"created": [ids], "moved", "unchanged", "canceled", "skipped"}, "releases": [...]}``;
  400 with ``errors`` when the plan has errors (nothing is written).
* ``GET  /api/v1/plans``  the stored plans (one per series; ``{"plans", "page", "per_page", "total"}``); ``GET /api/v1/plans/<id>`` one, with
  its ``yaml``.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from wxpub.core.errors import ValidationError
from wxpub.core.plans import form as plan_fields
from wxpub.releases import plan_form, plan_store, queries
from wxpub.staff.users import ROLE_NAMES, has_role
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor
from wxpub.web.api_schema import Body, Paging, operation, page_of, paged_answer, shape

APPLY_ROLES = ("editor", "approver")
ALL_ROLES = ("editor", "proofreader", "reviewer", "approver", "admin")
TAG = "发布计划"
CHECKED = shape({"calendar~": "list", "errors~": "list", "warnings~": "list", "schedule~": "any",
                 "yaml~": "string?", "applied~": "object", "releases~": "list"})
REJECTED = shape({"error": "string", "message": "string", "errors~": "list"})  # errors: a plan's own
PLAN = shape({"id": "integer", "series": "string?", "account": "string?", "sha256": "string",
              "filename": "string?", "updated_by": "string?", "updated_at": "string"})


class PlanRequest(Body):
    """A plan to check (``dry_run``, the default) or apply: its YAML text, or the planning form."""

    messages = {"source_yaml": "字段 source_yaml 应为字符串（表单所据的 YAML 原文）"}
    yaml: str = Field(None, description="计划的 YAML 文本（与 form 二选一）")
    dry_run: bool = Field(True, description="true（默认）：只检查；false：应用（编辑、终审）")
    form: dict[str, Any] = Field(None, description="计划表单的字段（与 yaml 二选一；答复带它所代表的 yaml）")
    source_yaml: str | None = Field(None, description="表单所据的 YAML 原文（表单未改时即代表它）")


def _plan_text(data: dict) -> tuple[str, str | None]:
    """The YAML text the request stands for, and the generated YAML when a form was sent."""
    if "yaml" in data and "form" in data:
        raise ValidationError("yaml 与 form 只能给一个")
    if "form" in data:
        source = data.get("source_yaml")
        text = plan_fields.text_for(plan_form.fields_from_json(data["form"]), source,
                                    plan_form.source_fields(source))
        return text, text
    if "yaml" not in data:
        raise ValidationError("缺少字段 yaml（计划的 YAML 文本）")
    if not isinstance(data["yaml"], str):
        raise ValidationError("字段 yaml 应为字符串（计划的 YAML 文本）")
    return data["yaml"], None


@operation("检查（dry_run）或应用发布计划", tag=TAG, body=PlanRequest, answer=CHECKED,
           others={400: ("计划有错误，什么也没有写入（errors 逐条列出）", REJECTED)},
           roles_note="检查：所有已登录的工作人员；应用：编辑、终审、管理员")
def post_plan(body: PlanRequest):
    """POST /api/v1/plans — check (``dry_run``) or apply a plan's YAML text."""
    data = body.model_dump(exclude_unset=True)
    dry_run = body.dry_run
    rt, session = runtime(), db_session()
    try:
        text, generated = _plan_text(data)
    except plan_fields.FormError as error:
        if not dry_run:
            raise
        return jsonify({"calendar": [], "errors": [{"line": None, "message": error.message, "field": error.field,
                                                    "severity": "error", "severity_name": "错误"}],
                        "warnings": [], "schedule": "", "yaml": None})
    if dry_run:
        result = plan_form.check(session, text, now=rt.clock.now(), settings=rt.settings)
        answer = result.to_dict()
        if generated is not None:
            answer["yaml"] = generated
        return jsonify(answer)
    if not has_role(current_user, *APPLY_ROLES):
        role = ROLE_NAMES.get(current_user.role, current_user.role)
        return jsonify({"error": "forbidden", "message": f"当前角色（{role}）不能应用发布计划，请由编辑或终审人操作"}), 403
    try:
        report, _ = plan_form.apply(session, text, now=rt.clock.now(), settings=rt.settings, actor=actor())
    except plan_form.PlanRejected as rejected:
        return jsonify(rejected.to_dict()), 400
    ids = {r.id for name in ("created", "moved", "unchanged", "skipped") for r in getattr(report, name)}
    rows = [r for r in queries.listing(session, tz=rt.settings.tz) if r["id"] in ids]
    return jsonify({"applied": plan_form.report_dict(report), "releases": rows})


post_plan.write_roles = ALL_ROLES  # a dry run is for everyone; applying checks its roles itself


def _summary(session, row) -> dict:
    return {"id": row.id, "series": row.series_name, "account": plan_store.account_name(session, row),
            "sha256": row.sha256, "filename": row.filename, "updated_by": row.updated_by,
            "updated_at": row.updated_at.astimezone(runtime().settings.tz).isoformat()}


@operation("已保存的发布计划（每个系列一份，分页）", tag=TAG, query=Paging, answer=paged_answer(PLAN, "plans"))
def list_plans(query: Paging):
    """GET /api/v1/plans — the stored plans."""
    session = db_session()
    answer = page_of(plan_store.stored_plans(session), query, "plans")
    answer["plans"] = [_summary(session, row) for row in answer["plans"]]
    return jsonify(answer)


@operation("一份已保存的发布计划及其 YAML", tag=TAG,
           answer={**PLAN, "properties": {**PLAN["properties"], "yaml": {"type": "string"}}})
def get_plan(plan_id: int):
    """GET /api/v1/plans/<id> — one stored plan with its YAML text."""
    from wxpub.core.errors import NotFound
    session = db_session()
    row = plan_store.get(session, plan_id)
    if row is None:
        raise NotFound(f"没有编号为 {plan_id} 的发布计划")
    return jsonify({**_summary(session, row), "yaml": row.yaml_text})


ROUTES = [
    ("/plans", post_plan, ["POST"]),
    ("/plans", list_plans, ["GET"]),
    ("/plans/<id:plan_id>", get_plan, ["GET"]),
]
