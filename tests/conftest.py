"""Shared fixtures: a real app on a real, migrated database (temporary SQLite always, PostgreSQL too
when WXPUB_TEST_DATABASE_URL is set), the injected clock, and a live WeChat sandbox on loopback."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from wxpub import migrate
from wxpub.clock import FrozenClock
from wxpub.config import Settings
from wxpub.runtime import Runtime

PG_URL = os.environ.get("WXPUB_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A fresh, empty database: a temporary SQLite file, or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wxpub-test.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


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
