"""Benchmark the hash-chained audit trail: what sealing costs a use case's commit, whether parallel
writers keep one unbroken chain, and how long ``wxpub audit verify`` takes on a large table.

* append: 1,000 commits of one audit row each (as every staff action writes one), one writer —
  p50/p95/max of the commit;
* parallel: 4 threads × 250 commits at once (PostgreSQL serialises them on the chain's head row;
  SQLite on its write lock) — total time, then the chain is verified;
* verify: the table filled to 100,000 rows (1,000 rows per commit), then ``verify`` walks it.

    .venv/bin/python bench/bench_audit.py
    .venv/bin/python bench/bench_audit.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Exit status 1 if the append p95 is 20 ms or more, verify of 100,000 rows takes 20 s or more, or the
chain does not verify.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

APPEND_P95_MS, VERIFY_S = 20.0, 20.0


def _row(n: int, actor: str = "bench"):
    from wxpub.models import AuditEntry
    return AuditEntry(at=datetime.now(timezone.utc), actor=actor, action="case.edit", object_type="case",
                      object_id=str(n), detail={"version": n, "title": "创新“双招双引”模式"},
                      before_sha256="a" * 64, after_sha256="b" * 64)


def _p95(samples):
    return sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]


def run(database_url: str) -> int:
    from wxpub.infra import audit_chain, migrate
    from wxpub.infra.config import Settings
    from wxpub.infra.runtime import Runtime

    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_mapping({"env": "test", "instance_path": tmp,
                                          "database_url": database_url or f"sqlite:///{tmp}/bench.sqlite3"})
        rt = Runtime.from_settings(settings)
        migrate.upgrade(rt.db)
        print(f"database: {rt.db.engine.dialect.name}")

        samples = []
        for n in range(1000):
            with rt.db.session() as session:
                session.add(_row(n))
                started = time.perf_counter()
                session.commit()
                samples.append((time.perf_counter() - started) * 1000)
        print(f"append (one writer)   p50 {statistics.median(samples):6.2f} ms   p95 {_p95(samples):6.2f} ms"
              f"   max {max(samples):6.2f} ms")
        failures += _p95(samples) >= APPEND_P95_MS

        errors = []

        def writer(k):
            try:
                for n in range(250):
                    with rt.db.session() as session:
                        session.add(_row(n, actor=f"bench-{k}"))
                        session.commit()
            except Exception as error:  # reported below: a lost row would break the chain
                errors.append(error)

        started = time.perf_counter()
        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - started
        with rt.db.session() as session:
            verdict = audit_chain.verify(session)
        print(f"parallel 4 x 250      {took:6.2f} s   ({1000 / took:6.0f} commits/s)   errors {len(errors)}   "
              f"chain {'ok' if verdict.ok else 'BROKEN'} ({verdict.rows} rows)")
        failures += bool(errors) or not verdict.ok

        started = time.perf_counter()
        total = verdict.rows
        while total < 100_000:
            with rt.db.session() as session:
                session.add_all([_row(total + i) for i in range(1000)])
                session.commit()
            total += 1000
        print(f"filled to {total:,} rows in {time.perf_counter() - started:.1f} s")
        with rt.db.session() as session:
            started = time.perf_counter()
            verdict = audit_chain.verify(session)
            took = time.perf_counter() - started
        print(f"verify {verdict.rows:,} rows  {took:6.2f} s   chain {'ok' if verdict.ok else 'BROKEN'}")
        failures += took >= VERIFY_S or not verdict.ok
        rt.db.dispose()
    return 1 if failures else 0


def main() -> int:
    from wxpub.infra.db import scratch_schema

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="PostgreSQL URL (default: temporary SQLite)")
    args = parser.parse_args()
    with ExitStack() as stack:  # the throw-away PostgreSQL schema, dropped at the end
        url = stack.enter_context(scratch_schema(args.database)) if args.database else ""
        return run(url)


if __name__ == "__main__":
    sys.exit(main())
