"""wxpub: publishing backend for a government WeChat official account.

``create_app()`` builds the Flask web app (dashboard, JSON API, WeChat callback). Nothing connects,
starts threads or logs at import time.
"""

from __future__ import annotations

from flask import Flask

__version__ = "0.1.0"


def create_app(settings=None, *, runtime=None, clock=None) -> Flask:
    """The web app factory: one ``init_app`` per subsystem, settings validated first."""
    from .runtime import Runtime
    from .config import Settings

    if runtime is None:
        settings = settings or Settings.from_env()
        runtime = Runtime.from_settings(settings, clock=clock)
    app = Flask(__name__, instance_path=str(runtime.settings.instance_path))
    app.config["SECRET_KEY"] = runtime.settings.secret_key
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.extensions["wxpub"] = runtime

    from .web import init_app as init_web
    init_web(app)
    return app
