"""Database engine and sessions (SQLAlchemy 2.0), the same code on SQLite and PostgreSQL.

Services take a ``Session`` and own their commits; web views and commands open one with
``Database.session()``. Nothing connects at import time.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import ContextManager, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


class Database:
    """One engine and session factory for a database URL."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict = {"echo": echo, "future": True}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # Several processes (web, scheduler, CLI) share the file: wait for locks instead of failing.
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        from wxpub.infra import audit_chain  # the audit rows of every session are chained at commit
        audit_chain.install(self._factory)
        self._read_factory = sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                                          expire_on_commit=False)
        event.listen(self._read_factory, "before_flush", _refuse_writes)

    def session(self) -> ContextManager[Session]:
        """A session that rolls back on error and is always closed."""
        return _rolled_back_on_error(self._factory())

    @contextmanager
    def pinned_session(self) -> Iterator[Session]:
        """A session like ``session`` that keeps one pooled connection across its commits: for a
        task of several short transactions (one checkout and one liveness ping, not one each)."""
        with self.engine.connect() as connection, _rolled_back_on_error(self._factory(bind=connection)) as session:
            yield session

    def new_session(self) -> Session:
        """A bare session; the caller closes it."""
        return self._factory()

    def read_session(self) -> Session:
        """A bare session for work that only reads (a page); the caller closes it.

        Its statements run outside a transaction: no BEGIN and ROLLBACK round trips per request, and
        what each statement sees is what it would see in a READ COMMITTED transaction anyway. A
        flush is refused (``ReadOnlySession``): nothing can be written through it half-atomically."""
        return self._read_factory()

    def dispose(self) -> None:
        """Close pooled connections (before forking, at shutdown)."""
        self.engine.dispose()


@contextmanager
def _rolled_back_on_error(session: Session) -> Iterator[Session]:
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def scratch_schema(base_url: str) -> Iterator[str]:
    """A throw-away PostgreSQL schema on ``base_url`` for tests and benchmarks: yields a URL whose
    connections use it (``search_path``), and drops it afterwards."""
    import uuid

    from sqlalchemy import text

    schema = f"scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(base_url).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def commit_or_roll_back(session: Session, work):
    """Run one use case's ``work()`` and commit what it did, or roll everything back if it
    raises: the one place a service's "validate, write, commit once" ends."""
    try:
        result = work()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


class ReadOnlySession(RuntimeError):
    """Something tried to write through a ``read_session`` (a programming error)."""


def _refuse_writes(session, flush_context, instances) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySession("a read-only session cannot write: use Database.new_session for a use case")
