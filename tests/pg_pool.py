"""Reused PostgreSQL schemas for the tests that want a migrated database.

Creating a scratch schema and replaying the migrations costs about a second a test on PostgreSQL,
most of the suite's PostgreSQL half. Instead each worker keeps the schemas its tests used and hands
them out again emptied: every table's rows deleted (foreign-key triggers off for the one statement
batch, ``session_replication_role = replica``; the server's ``postgres`` role may do that) and every
sequence reset, and the rows the migrations themselves insert (the audit chain's head) inserted
again, so a test sees exactly what a fresh migrated schema holds: the tables, the seed rows, ids
from 1. A schema whose tables changed during its test (a test dropping one on purpose), or that
cannot be emptied within ``lock_timeout`` (a connection left holding locks), is dropped instead.
"""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def replay(cursor, statements) -> None:
    """Execute recorded ``(statement, parameters, executemany)`` on a DB-API cursor."""
    for statement, parameters, executemany in statements:
        if executemany:
            cursor.executemany(statement, parameters)
        elif parameters:
            cursor.execute(statement, parameters)
        else:
            cursor.execute(statement)


class PostgresPool:
    """Clean migrated schemas of one worker, on ``base_url``."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.engine = create_engine(base_url, poolclass=NullPool)
        self.free: list[str] = []
        self.tables: frozenset[str] | None = None  # what a migrated schema holds

    def url(self, schema: str) -> str:
        return make_url(self.base_url).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    def take(self) -> str:
        """A schema name: a cleaned one, or a new empty one (the migrations fixture migrates it)."""
        if self.free:
            return self.free.pop()
        schema = f"scratch_{uuid.uuid4().hex[:12]}"
        with self.engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        return schema

    def give_back(self, schema: str, seeds: list | None) -> None:
        """Empty ``schema`` for the next test (then replay ``seeds``: the INSERTs the migrations
        made, as ``(statement, parameters, executemany)``), or drop it when that is not safe."""
        if seeds is None:  # the migrations were never recorded: nothing known to restore
            self.drop(schema)
            return
        try:
            if self._clean(schema, seeds):
                self.free.append(schema)
                return
        except Exception:  # noqa: BLE001 - any trouble: the schema is not reused
            pass
        self.drop(schema)

    def _clean(self, schema: str, seeds: list) -> bool:
        with self.engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '3s'"))
            tables = frozenset(connection.scalars(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}))
            if "alembic_version" not in tables:
                return False  # never migrated (or downgraded): not a pooled schema
            if self.tables is None:
                self.tables = tables
            if tables != self.tables:
                return False
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            statements = [f'DELETE FROM "{schema}"."{name}"' for name in sorted(tables)
                          if name != "alembic_version"]
            connection.exec_driver_sql("; ".join(statements))
            connection.execute(text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = :s"), {"s": schema})
            connection.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
            replay(connection.connection.cursor(), seeds)
        return True

    def drop(self, schema: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def close(self) -> None:
        for schema in self.free:
            self.drop(schema)
        self.free.clear()
        self.engine.dispose()
