"""The JSON API (``/api/v1/…``): every route in one table; errors as ``{"error", "message"}``."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, jsonify, request

from wxpub.library import service as library
from wxpub.staff.users import ROLE_NAMES, has_role
from wxpub.core.errors import ValidationError
from wxpub.web import MAX_ID, api_common, db_session, runtime
from wxpub.web.auth import bearer_login, csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")


DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200

_actor, _body, _positive_arg = api_common.actor, api_common.body, api_common.positive_arg


def list_cases():
    """GET /api/v1/cases?series=&chapter=&status=&page=&per_page= — the library, in chapter order,
    one page at a time: ``{"cases", "page", "per_page", "total"}`` (``per_page`` 50 by default,
    at most 200; ``page`` counts from 1, a page past the end is empty)."""
    page = _positive_arg("page", 1)
    per_page = _positive_arg("per_page", DEFAULT_PER_PAGE, most=MAX_PER_PAGE)
    rows = library.list_cases(db_session(), series=request.args.get("series"),
                              chapter=request.args.get("chapter"),
                              status=request.args.get("status"))
    start = (page - 1) * per_page
    return jsonify({"cases": [library.case_summary(r) for r in rows[start:start + per_page]],
                    "page": page, "per_page": per_page, "total": len(rows)})


def get_case(case_id: int):
    """GET /api/v1/cases/<id> — one case with its version history."""
    row = library.get_case(db_session(), case_id)
    data = library.case_summary(row)
    data["versions"] = [{"version": v.version, "content_hash": v.content_hash,
                         "source_file": v.source_file, "created_at": v.created_at.isoformat()}
                        for v in row.versions]
    return jsonify(data)


def update_case(case_id: int):
    """PATCH /api/v1/cases/<id> with any of ``status`` (pending|selected|rejected), ``score``."""
    body = _body()
    session, now, actor = db_session(), runtime().clock.now(), _actor()
    unknown = set(body) - {"status", "score"}
    if unknown:
        raise ValidationError(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    fields = {name: body[name] for name in ("status", "score") if name in body}
    library.update_case(session, case_id, actor=actor, now=now, **fields)
    return jsonify(library.case_summary(library.get_case(session, case_id)))


def order_chapter(chapter_id: int):
    """POST /api/v1/chapters/<id>/order with ``{"case_ids": [...]}``."""
    ids = _body().get("case_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                            and 0 <= i <= MAX_ID for i in ids):
        raise ValidationError("case_ids 应为案例编号（整数）的列表")
    rows = library.reorder(db_session(), chapter_id, ids, actor=_actor(), now=runtime().clock.now())
    return jsonify({"cases": [library.case_summary(r) for r in rows]})


# All API routes in one table: (rule, view, methods).
ROUTES = [
    ("/cases", list_cases, ["GET"]),
    ("/cases/<id:case_id>", get_case, ["GET"]),
    ("/cases/<id:case_id>", update_case, ["PATCH"]),
    ("/chapters/<id:chapter_id>/order", order_chapter, ["POST"]),
]


def csrf_token():
    """GET /api/v1/csrf-token — the token JSON clients send back in ``X-CSRFToken``."""
    from flask_wtf.csrf import generate_csrf
    return jsonify({"csrf_token": generate_csrf()})


ROUTES.append(("/csrf-token", csrf_token, ["GET"]))


# Who may change what: curation is the editors' work (admins may do everything).
WRITE_ROLES = ("editor",)


# CSRF is checked in ``_require_login`` instead of app-wide: a request with a valid Bearer token
# (``wxpub.staff.api_tokens``) carries no cookie to forge, every other one still needs X-CSRFToken.
csrf.exempt(bp)
READS = ("GET", "HEAD", "OPTIONS")


@bp.before_request
def _require_login():
    from flask_login import current_user
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
    view = current_app.view_functions.get(request.endpoint or "")
    roles = getattr(view, "write_roles", WRITE_ROLES)
    if request.method not in READS and not has_role(current_user, *roles):
        role = ROLE_NAMES.get(current_user.role, current_user.role)
        message = getattr(view, "forbidden_message", "不能修改案例库，请由编辑操作")
        return jsonify({"error": "forbidden", "message": f"当前角色（{role}）{message}"}), 403
    return None


# The other API modules (each a ROUTES table of its own; a module not there yet is skipped).
EXTENSIONS = ("api_series", "api_imports", "api_editor", "api_compose", "api_review", "api_audit",
              "api_releases", "api_plans", "api_alerts", "api_comments")


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
