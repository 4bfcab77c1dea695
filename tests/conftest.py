"""Shared fixtures: a real app on a real, migrated database (temporary SQLite always, PostgreSQL too
when WXPUB_TEST_DATABASE_URL is set), the injected clock, and a live WeChat sandbox on loopback."""

from __future__ import annotations

import json
import os
import shutil
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from wxpub.infra import migrate
from wxpub.infra.clock import FrozenClock
from wxpub.infra.config import Settings
from wxpub.infra.db import scratch_schema
from wxpub.infra.runtime import Runtime

from servers import SANDBOX_DEFAULTS, advance_sandbox_clock, serve_app, start_sandbox

PG_URL = os.environ.get("WXPUB_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def postgres_pool():
    """This worker's reused PostgreSQL schemas (``tests/pg_pool.py``)."""
    from pg_pool import PostgresPool
    pool = PostgresPool(PG_URL)
    yield pool
    pool.close()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A fresh database: a temporary SQLite file, or a PostgreSQL schema — throw-away and empty, or,
    for a test that migrates it (``migrations``), one of the worker's emptied migrated schemas."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wxpub-test.sqlite3'}"
        return
    if "migrations" in request.fixturenames:
        pool, migrations = request.getfixturevalue("postgres_pool"), request.getfixturevalue("migrations")
        schema = pool.take()
        yield pool.url(schema)
        pool.give_back(schema, migrations.seeds())
        return
    with scratch_schema(PG_URL) as url:
        yield url


# Tests whose subject is not the review chain run as an office with one stage (终审, no 校对
# rounds); the chain's own tests configure the default 初审 → 复审 → 终审 with 3 rounds.
SINGLE_STAGE = {"review_stages": "终审", "proofread_rounds": "0"}
FULL_CHAIN = {"review_stages": "初审,复审,终审", "proofread_rounds": "3"}  # the product's default


@pytest.fixture
def review_stages(request) -> dict:
    """The review chain the test's office runs: one stage, unless the test (or its module:
    ``pytestmark = pytest.mark.full_chain``) is marked ``full_chain`` — 初审 → 复审 → 终审 with
    three 校对 rounds, the product's default."""
    return FULL_CHAIN if request.node.get_closest_marker("full_chain") else SINGLE_STAGE


@pytest.fixture
def settings(database_url, tmp_path, review_stages) -> Settings:
    """Settings as a deployment would have them, on the test database."""
    return Settings.from_mapping({"env": "test", "database_url": database_url,
                                  "instance_path": str(tmp_path / "instance"), **review_stages})


@pytest.fixture
def clock() -> FrozenClock:
    """A clock that moves only when the test says so (2026-03-02 09:00 Beijing time)."""
    return FrozenClock(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))


class Migrations:
    """Our migrations, run for real once per run and backend (per worker with pytest -n), then
    given to every test's database cheaply: a new SQLite file starts as a copy of the migrated
    file, a new PostgreSQL schema gets the very statements the migrations executed (recorded on
    the first one), in one transaction. ``migrate.upgrade`` then finds each database at the head
    revision. (tests/test_migrations.py runs the migrations themselves on every backend.)"""

    def __init__(self, folder: Path):
        self.sqlite_template = folder / "migrated.sqlite3"
        self.postgres_statements: list | None = None

    def seeds(self) -> list | None:
        """The rows the migrations insert (PostgreSQL), as recorded; None before the recording."""
        if self.postgres_statements is None:
            return None
        return [item for item in self.postgres_statements if item[0].lstrip().upper().startswith("INSERT")
                and "alembic_version" not in item[0]]  # the pool keeps the version row

    def apply(self, runtime: Runtime) -> Runtime:
        url = make_url(runtime.settings.database_url)
        if url.get_backend_name() == "sqlite" and not Path(url.database).exists():
            if not self.sqlite_template.exists():
                self._sqlite_template()
            shutil.copyfile(self.sqlite_template, url.database)
        elif url.get_backend_name() == "postgresql" and migrate.current_revision(runtime.db) is None:
            if self.postgres_statements is None:
                self.postgres_statements = self._record(runtime)
            else:
                self._replay(runtime)
        migrate.upgrade(runtime.db)
        return runtime

    def _sqlite_template(self) -> None:
        template = Runtime.from_settings(Settings.from_mapping(
            {"env": "test", "database_url": f"sqlite:///{self.sqlite_template}",
             "instance_path": str(self.sqlite_template.parent)}))
        migrate.upgrade(template.db)
        template.db.dispose()

    @staticmethod
    def _record(runtime: Runtime) -> list:
        from sqlalchemy import event

        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SELECT", "SHOW")):  # reflection, not change
                statements.append((statement, parameters, executemany))
        event.listen(runtime.db.engine, "before_cursor_execute", record)
        try:
            migrate.upgrade(runtime.db)
        finally:
            event.remove(runtime.db.engine, "before_cursor_execute", record)
        return statements

    def _replay(self, runtime: Runtime) -> None:
        from pg_pool import replay
        connection = runtime.db.engine.raw_connection()
        try:
            replay(connection.cursor(), self.postgres_statements)
            connection.commit()
        finally:
            connection.close()


@pytest.fixture(scope="session")
def migrations(tmp_path_factory) -> Migrations:
    """``migrations.apply(runtime)``: the runtime's database migrated to the head revision."""
    return Migrations(tmp_path_factory.mktemp("migrated"))


@pytest.fixture
def runtime(settings, clock, migrations) -> Runtime:
    """Settings + a migrated database + the frozen clock."""
    rt = migrations.apply(Runtime.from_settings(settings, clock=clock))
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
           "WXPUB_REVIEW_STAGES": runtime.settings.review_stages,
           "WXPUB_PROOFREAD_ROUNDS": str(runtime.settings.proofread_rounds),
           "WXPUB_INSTANCE_PATH": str(runtime.settings.instance_path)}

    def run(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)
    return run


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a loopback port (for browsers and other processes)."""
    with serve_app(app) as served:
        yield served


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (playwright cannot download browsers here)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import expect, sync_playwright

    # Assertions retry until true; on a loaded two-core CI machine a live check can take more than
    # Playwright's default 5 s to come back, which is slowness, not the failure being tested.
    expect.set_options(timeout=15_000)
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
    """Log a browser page in through the real form (the one browser login of the suite)."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():  # the answer, so that the next goto cannot cut the login short
        page.click("button[type=submit]")
    assert "/login" not in page.url, f"browser login as {username} failed: {page.inner_text('body')[:200]}"


# --- the WeChat sandbox on loopback, and settings and runtimes pointed at it ---------------------

def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sandbox(**options): SandboxConfig options (publish_delay, callback_url, slow_seconds "
                   "…) of the `sandbox` / `module_sandbox` fixtures, on a test, a class or a module")
    config.addinivalue_line(
        "markers", "slow: runs for many seconds, mostly waiting on processes it started; spread over "
                   "the run so that parallel workers (make test: pytest -n) overlap its waits with work")


def _browser_on_postgresql(item) -> bool:
    callspec = getattr(item, "callspec", None)
    return ("browser" in getattr(item, "fixturenames", ()) and callspec is not None
            and callspec.params.get("database_url") == "postgresql")


def pytest_collection_modifyitems(config, items):
    """Browser journeys run on SQLite only: what they test is the pages (the database's behaviour
    under them is tested on both backends by the other tests), and each costs seconds of Chromium.

    With ``pytest -n``, spread the slow tests over the first half of the run, each before a
    module of quick ones, so that some worker is always busy while another waits; the quick
    modules keep their order and stay in one piece."""
    skipped = [item for item in items if _browser_on_postgresql(item)]
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = [item for item in items if not _browser_on_postgresql(item)]
    if not config.getoption("numprocesses", None):
        return
    # Reversed: the longest slow tests, collected last (random kills, two schedulers), start first.
    slow = [item for item in items if item.get_closest_marker("slow")][::-1]
    quick = [item for item in items if not item.get_closest_marker("slow")]
    starts = [i for i, item in enumerate(quick) if i == 0 or item.module is not quick[i - 1].module]
    if not slow or not starts:
        return
    half = max(1, len(quick) // 2)
    slots = [min(starts, key=lambda start: abs(start - n * half // len(slow))) for n in range(len(slow))]
    ordered = []
    for i, item in enumerate(quick):
        ordered += [test for test, slot in zip(slow, slots) if slot == i]
        ordered.append(item)
    items[:] = ordered


def _sandbox_options(node) -> dict:
    marker = node.get_closest_marker("sandbox")
    return {**SANDBOX_DEFAULTS, **(marker.kwargs if marker else {})}


@pytest.fixture
def make_sandbox():
    """Start sandboxes on free loopback ports: ``make_sandbox(publish_delay=…, callback_url=…)`` gives a
    running ``SandboxServer``; every one is stopped after the test."""
    with ExitStack() as running:
        yield lambda **options: running.enter_context(start_sandbox(**options))


@pytest.fixture
def sandbox(request, make_sandbox):
    """A fresh sandbox for the test: a short publish delay and short "slow" faults unless the test,
    its class or its module says otherwise with ``@pytest.mark.sandbox(...)``."""
    return make_sandbox(**_sandbox_options(request.node))


@pytest.fixture(scope="module")
def module_sandbox(request):
    """One sandbox for all tests of a module (options from the module's ``pytest.mark.sandbox``);
    tests that need a clean one call ``module_sandbox.control("reset", {})``."""
    with start_sandbox(**_sandbox_options(request.node)) as server:
        yield server


@pytest.fixture
def wechat_settings(request, database_url, tmp_path, review_stages):
    """Build validated settings whose WeChat is a sandbox (default: the ``sandbox`` fixture), on the
    test database: ``wechat_settings(wechat_timeout=5)``, ``wechat_settings(other, appsecret=…)``."""
    from wxpub.wechat.testing import sandbox_settings

    def build(server=None, **overrides) -> Settings:
        server = server if server is not None else request.getfixturevalue("sandbox")
        overrides.setdefault("instance_path", str(tmp_path / "instance"))
        for name, value in review_stages.items():
            overrides.setdefault(name, value)
        return sandbox_settings(server.url, database_url, **overrides)
    return build


@pytest.fixture
def sandbox_runtime(wechat_settings, migrations):
    """Build migrated runtimes whose WeChat is a sandbox (default: the ``sandbox`` fixture), on the
    real clock unless given one: ``sandbox_runtime(samples=True, confirm_wait=10)``; every runtime
    made is disposed of after the test."""
    from wxpub.infra.clock import Clock
    from publishing_helpers import import_samples

    made = []

    def build(server=None, *, clock=None, samples: bool = False, **overrides) -> Runtime:
        runtime = Runtime.from_settings(wechat_settings(server, **overrides), clock=clock or Clock())
        made.append(runtime)
        migrations.apply(runtime)
        if samples:
            import_samples(runtime)
        return runtime
    yield build
    for runtime in made:
        runtime.db.dispose()


@pytest.fixture
def rt(sandbox_runtime):
    """A runtime on the real clock whose WeChat is the sandbox, with the sample series imported."""
    return sandbox_runtime(samples=True, wechat_timeout=1, confirm_wait=10)


@pytest.fixture
def sandbox_sleep(sandbox):
    """A ``sleep`` for the publishing pipeline that moves the sandbox's clock on instead of waiting:
    the publish job that a real pause would have let finish is finished at once."""
    return lambda seconds: advance_sandbox_clock(sandbox, seconds)


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
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


EDITOR_PASSWORD = "Zh4ngsan-2026!"


@pytest.fixture
def editor_client(app, runtime, clock):
    """A test client logged in (through the real form) as the editor zhangsan."""
    from auth_helpers import login as form_login
    from wxpub.staff import users

    with runtime.db.session() as s:
        users.create_user(s, "zhangsan", EDITOR_PASSWORD, "editor", now=clock.now(), actor="测试")
    client, _headers = form_login(app, "zhangsan", EDITOR_PASSWORD)
    return client


@pytest.fixture
def sample_series(runtime):
    """The 2023 series with its four standard chapters, created as staff would before importing."""
    from library_helpers import make_series
    return make_series(runtime)
