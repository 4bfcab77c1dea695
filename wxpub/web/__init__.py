"""Thin web layer: views call services; routes are registered here in one place."""

from __future__ import annotations

from flask import Flask, current_app


def runtime():
    """The ``Runtime`` of the current app."""
    return current_app.extensions["wxpub"]


def init_app(app: Flask) -> None:
    """Register every blueprint, the error answers (``wxpub.web.errors``) and the request id."""
    from wxpub.web import errors, health
    errors.init_app(app)
    app.register_blueprint(health.bp)
    for name in ("auth", "api", "callback", "dashboard", "preview"):
        module = _optional(name)
        if module is not None:
            module.init_app(app)

    @app.teardown_appcontext
    def _close_session(_exc):
        from flask import g
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def db_session():
    """The request's database session (closed at teardown)."""
    from flask import g
    if "db_session" not in g:
        g.db_session = runtime().db.new_session()
    return g.db_session


def _optional(name: str):
    import importlib
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"{__name__}.{name}":
            return None
        raise
