"""The JSON API (``/api/v1/…``): every route in one table; errors as ``{"error", "message"}``.

Each view declares what it takes and answers (``wxpub.web.api_schema.operation``: validated before the
view runs); ``GET /api/v1/openapi.json`` (``wxpub.web.openapi``) and the page ``/api/docs`` are built
from those declarations.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, jsonify, request
from pydantic import Field

from wxpub.library import service as library
from wxpub.staff.users import ROLE_NAMES, has_role
from wxpub.web import MAX_ID, api_common, api_schema, db_session, runtime
from wxpub.core.errors import ValidationError
from wxpub.web.api_schema import Body, Paging, arr, operation, page_of, paged_answer, shape
from wxpub.web.auth import bearer_login, csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_actor = api_common.actor

CASE, VERSION = api_common.CASE, api_common.VERSION


class CaseQuery(Paging):
    """Filters of the case list."""

    series: str | None = Field(None, description="系列名称")
    chapter: str | None = Field(None, description="篇章名称")
    status: str | None = Field(None, description="案例状态：pending（待定）、selected（入选）、rejected（落选）")


@operation("案例列表（按篇章顺序，分页）", tag="案例库", query=CaseQuery, answer=paged_answer(CASE, "cases"))
def list_cases(query: CaseQuery):
    """GET /api/v1/cases?series=&chapter=&status=&page=&per_page= — the library, in chapter order,
    one page at a time: ``{"cases", "page", "per_page", "total"}`` (``per_page`` 50 by default,
    at most 200; ``page`` counts from 1, a page past the end is empty)."""
    rows = library.list_cases(db_session(), series=query.series, chapter=query.chapter, status=query.status)
    answer = page_of(rows, query, "cases")
    answer["cases"] = [library.case_summary(r) for r in answer["cases"]]
    return jsonify(answer)


@operation("一个案例及其版本历史", tag="案例库",
           answer={**CASE, "properties": {**CASE["properties"], "versions": arr(VERSION)}})
def get_case(case_id: int):
    """GET /api/v1/cases/<id> — one case with its version history."""
    row = library.get_case(db_session(), case_id)
    data = library.case_summary(row)
    data["versions"] = [{"version": v.version, "content_hash": v.content_hash,
                         "source_file": v.source_file, "created_at": v.created_at.isoformat()}
                        for v in row.versions]
    return jsonify(data)


class CaseUpdate(Body):
    """Any of a case's curation fields."""

    unknown = "不能修改的字段"
    messages = {"score": "评分 score 应为 0 到 100 之间的数字"}
    status: str | None = Field(None, description="pending（待定）、selected（入选）或 rejected（落选）")
    score: int | float | None = Field(None, description="评分，0 到 100")


@operation("修改案例的状态或评分", tag="案例库", body=CaseUpdate, answer=CASE)
def update_case(case_id: int, body: CaseUpdate):
    """PATCH /api/v1/cases/<id> with any of ``status`` (pending|selected|rejected), ``score``."""
    session, now = db_session(), runtime().clock.now()
    library.update_case(session, case_id, actor=_actor(), now=now, **body.model_dump(exclude_unset=True))
    return jsonify(library.case_summary(library.get_case(session, case_id)))


class ChapterOrder(Body):
    """The chapter's cases in their new order."""

    messages = {"case_ids": "case_ids 应为案例编号（整数）的列表"}
    case_ids: list[int] = Field(description="案例编号，按新的顺序排列")


@operation("调整篇章内案例的顺序", tag="案例库", body=ChapterOrder, answer=shape({"cases": arr(CASE)}))
def order_chapter(chapter_id: int, body: ChapterOrder):
    """POST /api/v1/chapters/<id>/order with ``{"case_ids": [...]}``."""
    if not all(0 <= i <= MAX_ID for i in body.case_ids):
        raise ValidationError("case_ids 应为案例编号（整数）的列表")
    rows = library.reorder(db_session(), chapter_id, body.case_ids, actor=_actor(), now=runtime().clock.now())
    return jsonify({"cases": [library.case_summary(r) for r in rows]})


@operation("取 CSRF 令牌（用会话 Cookie 修改数据时放在 X-CSRFToken 头里）", tag="登录与文档",
           answer=shape({"csrf_token": "string"}))
def csrf_token():
    """GET /api/v1/csrf-token — the token JSON clients send back in ``X-CSRFToken``."""
    from flask_wtf.csrf import generate_csrf
    return jsonify({"csrf_token": generate_csrf()})


@operation("本接口的 OpenAPI 3.1 文档（无需登录）", tag="登录与文档", public=True,
           answer={"type": "object", "additionalProperties": True},
           description="由各接口校验请求所用的同一份声明在运行时生成；参考页 /api/docs 由它渲染。")
def openapi_json():
    """GET /api/v1/openapi.json — the OpenAPI document (``wxpub.web.openapi``)."""
    from wxpub.web.openapi import document
    return jsonify(document(current_app))


# All API routes in one table: (rule, view, methods).
ROUTES = [
    ("/cases", list_cases, ["GET"]),
    ("/cases/<id:case_id>", get_case, ["GET"]),
    ("/cases/<id:case_id>", update_case, ["PATCH"]),
    ("/chapters/<id:chapter_id>/order", order_chapter, ["POST"]),
    ("/csrf-token", csrf_token, ["GET"]),
    ("/openapi.json", openapi_json, ["GET"]),
]


# Who may change what: curation is the editors' work (admins may do everything).
WRITE_ROLES = api_schema.WRITE_ROLES


# CSRF is checked in ``_require_login`` instead of app-wide: a request with a valid Bearer token
# (``wxpub.staff.api_tokens``) carries no cookie to forge, every other one still needs X-CSRFToken.
csrf.exempt(bp)
READS = ("GET", "HEAD", "OPTIONS")


@bp.before_request
def _require_login():
    from flask_login import current_user
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(getattr(view, "api_operation", None), "public", False):
        return None  # the document holds no data: readable without logging in
    if request.headers.get("Authorization", "")[:7].lower() == "bearer ":  # the scheme ignores case
        refused = bearer_login()
        if refused is not None:
            return refused
        if request.method not in READS and g.api_token_scope != "write":
            return jsonify({"error": "forbidden",
                            "message": "这个 API 令牌是只读的，不能修改数据；请由管理员新建“读写”令牌"}), 403
    elif current_app.config.get("WTF_CSRF_ENABLED", True) \
            and current_app.config.get("WTF_CSRF_CHECK_DEFAULT", True):
        csrf.protect()
    if not current_user.is_authenticated:
        return jsonify({"error": "unauthorized", "message": "请先登录"}), 401
    # A view may name the roles that may call it (``view.write_roles``: e.g. sign-offs are the
    # reviewers' work); the others are curation, for editors.
    read_roles = getattr(view, "read_roles", None)
    if request.method in READS and read_roles is not None and not has_role(current_user, *read_roles):
        return jsonify({"error": "forbidden", "message": view.read_forbidden_message}), 403
    roles = getattr(view, "write_roles", WRITE_ROLES)
    if request.method not in READS and not has_role(current_user, *roles):
        role = ROLE_NAMES.get(current_user.role, current_user.role)
        message = getattr(view, "forbidden_message", "不能修改案例库，请由编辑操作")
        return jsonify({"error": "forbidden", "message": f"当前角色（{role}）{message}"}), 403
    return None


# The other API modules (each a ROUTES table of its own; a module not there yet is skipped).
EXTENSIONS = ("api_series", "api_imports", "api_editor", "api_compose", "api_review", "api_audit",
              "api_releases", "api_plans", "api_alerts", "api_comments", "api_accounts", "api_rating")


def _extension_routes() -> list:
    import importlib
    routes = []
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(f"wxpub.web.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"wxpub.web.{name}":
                continue
            raise
        routes.extend(module.ROUTES)
    return routes


for _rule, _view, _methods in ROUTES + _extension_routes():
    bp.add_url_rule(_rule, f"{_view.__module__.rsplit('.', 1)[-1]}_{_view.__name__}", _view,
                    methods=_methods)


def init_app(app: Flask) -> None:
    """Register the API routes (login required; writes need the CSRF token)."""
    app.register_blueprint(bp)
