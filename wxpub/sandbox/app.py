"""The sandbox Flask app and its threaded WSGI server."""
from __future__ import annotations

import re

from flask import Flask
from werkzeug.http import http_date
from werkzeug.serving import WSGIRequestHandler, BaseWSGIServer, make_server

from wxpub.sandbox import (account_events, comments, control, draft, freepublish, gateway, mass, material,
                           openapi, preview, tokens)
from wxpub.sandbox.config import PRODUCTION_REFUSAL, SandboxConfig, SandboxConfigError, in_production
from wxpub.sandbox.faults import FaultMiddleware
from wxpub.sandbox.jobs import Worker
from wxpub.sandbox.state import SandboxState
from wxpub.sandbox.wire import make_json

STATE_KEY = "wxpub_sandbox"


def create_sandbox_app(config: SandboxConfig | None = None) -> Flask:
    """Build the emulator app; starts its background job worker (a daemon thread).

    Refused when ``WXPUB_ENV=production``: the sandbox's credentials are public and its control
    endpoints have no login."""
    if in_production():
        raise SandboxConfigError(PRODUCTION_REFUSAL)
    config = config or SandboxConfig()
    app = Flask("wxpub.sandbox")
    state = SandboxState(config)
    app.extensions[STATE_KEY] = state
    for module in (tokens, material, draft, freepublish, mass, preview, gateway, control, account_events,
                   comments, openapi):
        app.register_blueprint(module.bp)
    app.register_blueprint(comments.control_bp)
    app.register_blueprint(openapi.control_bp)

    @app.errorhandler(404)
    def _unknown(_exc):  # unknown endpoints are a sandbox limitation, say so plainly
        return make_json({"errcode": 404, "errmsg": "沙箱未模拟此接口（sandbox: unknown endpoint）"},
                         status=404)

    app.wsgi_app = FaultMiddleware(app.wsgi_app, state)  # type: ignore[method-assign]
    app.extensions["wxpub_sandbox_worker"] = Worker(state).start()
    return app


def sandbox_state(app: Flask) -> SandboxState:
    """The SandboxState behind an app made by create_sandbox_app."""
    return app.extensions[STATE_KEY]


def stop_sandbox_app(app: Flask) -> None:
    """Stop the app's background worker."""
    app.extensions["wxpub_sandbox_worker"].stop()


class _RedactingHandler(WSGIRequestHandler):
    """Request log lines without access tokens (secrets never reach logs, even the sandbox's).

    HTTP/1.1 keeps connections open between calls, as WeChat's servers do: a burst of a thousand
    submissions would otherwise open a thousand TCP connections (werkzeug's default is HTTP/1.0)."""

    protocol_version = "HTTP/1.1"

    def date_time_string(self, timestamp=None):
        # Like any HTTP server, WeChat dates its answers; the sandbox dates them in sandbox time, so
        # clients that follow WeChat's clock (statistics: "yesterday") follow the sandbox's.
        state = getattr(getattr(self.server, "app", None), "extensions", {}).get(STATE_KEY)
        if timestamp is None and state is not None:
            return http_date(state.now())
        return super().date_time_string(timestamp)

    def log_request(self, code="-", size="-"):
        line = _TOKEN_IN_QUERY.sub(r"\1***", self.requestline)
        self.log("info", '"%s" %s %s', line, code, size)


_TOKEN_IN_QUERY = re.compile(r"((?:access_token|secret)=)[^&\s]+")


def make_sandbox_server(config: SandboxConfig, app: Flask | None = None) -> BaseWSGIServer:
    """A threaded werkzeug server for the app on config.host:config.port (0 = any free port)."""
    app = app or create_sandbox_app(config)
    return make_server(config.host, config.port, app, threaded=True,
                       request_handler=_RedactingHandler)
