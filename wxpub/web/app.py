"""The web process's app factory: settings validated first, one ``init_app`` per subsystem."""

from __future__ import annotations

from flask import Flask


def create_app(settings=None, *, runtime=None, clock=None) -> Flask:
    """Build the Flask app on ``runtime`` (or on one made from ``settings`` / the environment)."""
    from wxpub.infra.config import Settings
    from wxpub.infra.runtime import Runtime
    from wxpub.web import init_app as init_web

    if runtime is None:
        settings = settings or Settings.from_env()
        runtime = Runtime.from_settings(settings, clock=clock)
    app = Flask("wxpub.web", instance_path=str(runtime.settings.instance_path))
    app.config["SECRET_KEY"] = runtime.settings.secret_key
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.extensions["wxpub"] = runtime
    init_web(app)
    return app
