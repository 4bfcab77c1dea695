"""Shared fixtures: a real app on a real, migrated database (temporary SQLite always, PostgreSQL too
when WXPUB_TEST_DATABASE_URL is set), the injected clock, and a live WeChat sandbox on loopback."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest

from wxpub.infra import migrate
from wxpub.infra.clock import FrozenClock
from wxpub.infra.config import Settings
from wxpub.infra.db import scratch_schema
from wxpub.infra.runtime import Runtime

PG_URL = os.environ.get("WXPUB_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A fresh, empty database: a temporary SQLite file, or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wxpub-test.sqlite3'}"
        return
    with scratch_schema(PG_URL) as url:
        yield url


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """Settings as a deployment would have them, on the test database."""
    return Settings.from_mapping({"env": "test", "database_url": database_url,
                                  "instance_path": str(tmp_path / "instance")})


@pytest.fixture
def clock() -> FrozenClock:
    """A clock that moves only when the test says so (2026-03-02 09:00 Beijing time)."""
    return FrozenClock(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))


@pytest.fixture
def runtime(settings, clock) -> Runtime:
    """Settings + a migrated database + the frozen clock."""
    rt = Runtime.from_settings(settings, clock=clock)
    migrate.upgrade(rt.db)
    yield rt
    rt.db.dispose()


@pytest.fixture
def database(database_url):
    """A ``Database`` with every table created from the models (adapter tests need no migrations)."""
    from wxpub.wechat.testing import database_with_tables

    db = database_with_tables(database_url)
    yield db
    db.dispose()


@pytest.fixture
def session(runtime):
    """A database session on the migrated test database."""
    with runtime.db.session() as s:
        yield s


@pytest.fixture
def app(runtime):
    """The web app on the test runtime."""
    from wxpub import create_app
    application = create_app(runtime=runtime)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    """Flask's test client for the app."""
    return app.test_client()


@pytest.fixture
def cli(runtime):
    """Run ``wxpub …`` in-process against the test database; returns click's Result."""
    from click.testing import CliRunner

    from wxpub.cli import main

    runner = CliRunner()
    env = {"WXPUB_DATABASE_URL": runtime.settings.database_url, "WXPUB_ENV": "test",
           "WXPUB_INSTANCE_PATH": str(runtime.settings.instance_path)}

    def run(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)
    return run


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a loopback port (for browsers and other processes)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (playwright cannot download browsers here)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def offline_page(browser):
    """A browser page that refuses (and records) every request leaving 127.0.0.1."""
    from urllib.parse import urlparse

    context = browser.new_context()
    page = context.new_page()
    page.external_requests = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            page.external_requests.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    yield page
    context.close()


def login(page, base_url: str, username: str, password: str) -> None:
    """Log in through the real form."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


# --- publishing against a live sandbox (tests/test_publish.py, test_preflight.py) ---------------

@pytest.fixture
def sandbox():
    """A sandbox on loopback with a short publish delay and short "slow" faults."""
    from wxpub.sandbox.testing import SandboxServer

    with SandboxServer(publish_delay=0.3, slow_seconds=1.5) as server:
        yield server


@pytest.fixture
def rt(database_url, tmp_path, sandbox):
    """A runtime on the real clock whose WeChat is the sandbox."""
    from publishing_helpers import import_samples
    from wxpub.infra.clock import Clock
    from wxpub.wechat.testing import sandbox_settings

    settings = sandbox_settings(sandbox.url, database_url, instance_path=str(tmp_path / "instance"),
                                wechat_timeout=1, confirm_wait=10)
    runtime = Runtime.from_settings(settings, clock=Clock())
    migrate.upgrade(runtime.db)
    import_samples(runtime)
    yield runtime
    runtime.db.dispose()




@pytest.fixture
def webhook():
    """A local HTTP receiver standing in for the office's alert webhook."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
