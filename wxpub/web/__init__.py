"""Thin web layer: views call services; routes are registered here in one place."""

from __future__ import annotations

from flask import Flask, current_app
from werkzeug.routing import IntegerConverter


def runtime():
    """The ``Runtime`` of the current app."""
    return current_app.extensions["wxpub"]


def init_app(app: Flask) -> None:
    """Register every blueprint, the error answers (``wxpub.web.errors``) and the request id."""
    from wxpub.web import errors, health
    _init_limits_and_converters(app)  # first: the converters must exist before any rule uses them
    errors.init_app(app)
    app.register_blueprint(health.bp)
    for name in ("auth", "account_scope", "expert_fence", "api", "callback", "dashboard", "preview", "admin", "desk", "series_pages",
                 "library_pages", "importing", "editor", "composer", "notices", "review_pages",
                 "review_sheet", "audit_pages", "phone_preview_pages", "profile",
                 "release_pages", "calendar_pages", "plan_pages", "workbench", "alert_pages", "comment_pages", "account_pages",
                 "api_docs", "rating_pages"):
        module = _optional(name)
        if module is not None:
            module.init_app(app)

    @app.teardown_appcontext
    def _close_session(_exc):
        from flask import g
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)  # a route's own (stricter) header wins
        return response


# Sent with every answer of the web app unless the route set the header itself. No page has inline
# script (scripts are files under static/); inline styles are needed by the phone preview, whose
# article HTML is WeChat's inline-styled markup, and by the server-side SVG charts.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
                               "object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

MAX_ID = 2 ** 31 - 1  # primary keys are INTEGER columns: 32-bit signed on PostgreSQL


def _at_most(limit: str) -> str:
    """A regular expression for the decimal numbers of ``len(limit)`` digits that are ≤ ``limit``."""
    options = []
    for i, digit in enumerate(limit):
        if digit != "0":
            rest = len(limit) - i - 1
            options.append(f"{limit[:i]}[0-{int(digit) - 1}]" + (f"\\d{{{rest}}}" if rest else ""))
    return "|".join(options + [limit])


class IdConverter(IntegerConverter):
    """``<id:name>`` (and ``<int:name>``, which it replaces): a non-negative integer that fits a
    signed 32-bit INTEGER primary key (PostgreSQL's). Anything longer or larger does not match the
    rule at all (so the answer is 404 whatever the method, rather than a database overflow: 500)."""

    regex = f"(?:\\d{{1,{len(str(MAX_ID)) - 1}}}|{_at_most(str(MAX_ID))})"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max,
                         signed=False)


def upload_limit(max_bytes: int):
    """Mark a view that accepts a body larger than ``MAX_CONTENT_LENGTH`` (an upload route).

    ``@bp.post("/import") @upload_limit(50 * 1024 * 1024)``: the limit is applied before anything
    reads the body (CSRF's form parsing included); every other route keeps the app-wide limit
    (``WXPUB_MAX_REQUEST_BYTES``): the upload of ``/library/import`` and ``/api/v1/imports``."""
    def mark(view):
        view.upload_limit = int(max_bytes)
        return view
    return mark


def _init_limits_and_converters(app: Flask) -> None:
    """The id converter (registered once for every id route), the app-wide request size limit and
    the per-view upload limit hook."""
    from flask import request

    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["int"] = IdConverter
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = app.extensions["wxpub"].settings.max_request_bytes

    @app.before_request
    def _audit_address():
        # Every audit row written while serving this request records where it came from.
        from wxpub.infra.audit_chain import current_address
        current_address.set((request.remote_addr or "")[:64])

    @app.teardown_request
    def _forget_audit_address(_exc):
        # the thread may go on to other work (a command after a request in tests): no stale address
        from wxpub.infra.audit_chain import current_address
        current_address.set("")

    @app.before_request
    def _apply_upload_limit():
        view = app.view_functions.get(request.endpoint or "")
        limit = getattr(view, "upload_limit", None)
        if limit:
            request.max_content_length = limit


# Pages that only read (the dashboard, the calendar, the release desk's reading pages, the 工作台):
# their GET requests use a session without a transaction (``Database.read_session``): two round trips
# fewer a request on PostgreSQL, and a write through it is refused.
READ_ONLY_BLUEPRINTS = frozenset({"dashboard", "calendar_pages", "workbench"})


def db_session():
    """The request's database session (closed at teardown)."""
    from flask import g, has_request_context, request
    if "db_session" not in g:
        reading = has_request_context() and request.method in ("GET", "HEAD") \
            and request.blueprint in READ_ONLY_BLUEPRINTS
        g.db_session = runtime().db.read_session() if reading else runtime().db.new_session()
    return g.db_session


def _optional(name: str):
    import importlib
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"{__name__}.{name}":
            return None
        raise
