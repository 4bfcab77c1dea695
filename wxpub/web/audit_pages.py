"""操作日志 in the browser (``/audit``): who did what to which object, when and from where, newest
first, 50 rows a page, with filters and the whole filtered set as CSV or Excel.

* ``GET /audit?actor=&action=&object_type=&object_id=&since=&until=&page=``   the log
* ``GET /audit/export.csv|xlsx?…the same filters…``                          every matching row

Reviewers, approvers and admins may read it; anyone else gets the 403 page. The line at the top
states the chain's condition from ``wxpub.staff.audit.quick_check`` (the whole chain while it is
small, else the counts and the newest rows); the full walk is ``wxpub audit verify``.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, Response, abort, render_template, request
from flask_login import current_user

from wxpub.core.errors import ValidationError
from wxpub.stats import exports
from wxpub.staff import audit
from wxpub.staff.users import has_role
from wxpub.web import db_session
from wxpub.web.desk import login_only, now, tz

bp = Blueprint("audit_pages", __name__)


def readers_only(view):
    """The view shows the audit log: reviewers, approvers and admins (others get the 403 page)."""
    @wraps(view)
    @login_only
    def wrapped(*args, **kwargs):
        if not has_role(current_user, *audit.VIEW_ROLES):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _page_number() -> int:
    raw = (request.args.get("page") or "1").strip()
    if not raw.isdigit() or len(raw) > 7 or int(raw) < 1:
        raise ValidationError(f"页码应为正整数，而不是“{raw[:20]}”")
    return int(raw)


@bp.get("/audit")
@readers_only
def index():
    """The filtered log, one page of it, and the chain's state."""
    session, zone = db_session(), tz()
    error = None
    try:
        filters, page_no = audit.parse_filters(request.args), _page_number()
    except ValidationError as refused:
        error, filters, page_no = refused.message, audit.Filters(), 1
    page = audit.page_of(session, filters, page=page_no, tz=zone)
    names = audit.people(session)
    see_users = current_user.role == "admin"
    rows = [{**audit.shown(e, names, zone),
             "href": audit.object_href(e.object_type, e.object_id, see_users=see_users)}
            for e in page.entries]
    return render_template(
        "audit/index.html", rows=rows, page=page, filters=filters, args=filters.args(), error=error,
        chain=audit.quick_check(session), actors=audit.actors(session, names),
        actions=audit.ACTION_NAMES, objects=audit.OBJECT_NAMES,
        export_limit=audit.EXPORT_LIMIT), 400 if error else 200


@bp.get("/audit/export.<fmt>")
@readers_only
def export(fmt: str):
    """Every row the filters match as CSV or XLSX (the same columns as the page)."""
    if fmt not in exports.CONTENT_TYPES:
        abort(404)
    session, zone = db_session(), tz()
    filters = audit.parse_filters(request.args)
    table = audit.table(audit.all_matching(session, filters, tz=zone), audit.people(session), tz=zone)
    stamp = now().astimezone(zone).strftime("%Y%m%d-%H%M")
    return Response(exports.export(table, fmt), content_type=exports.CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": f"attachment; filename=audit-{stamp}.{fmt}"})


def init_app(app: Flask) -> None:
    """Register the audit log's pages (the request's address is set and forgotten per request in
    ``wxpub.web``)."""
    app.register_blueprint(bp)
