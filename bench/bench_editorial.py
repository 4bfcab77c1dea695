"""Benchmark the editorial desk: the case library of a 1,000-case series, and compose + preview of a
ten-case chapter, as server time through Flask's test client (a logged-in editor, real pages).

Fills a fresh database (temporary SQLite, or a throw-away PostgreSQL schema) through the real
services: a series of four chapters with 1,000 cases (250 each), and a series whose one chapter has
the ten sample cases. Then times, per request, p50/p95/max:

* ``/library?series=…``              the library, first page of the whole series
* ``/library?series=…&chapter=…``    one chapter of 250 cases, first page
* ``/library?…&q=…&status=…``        a search with a state filter
* ``POST /api/v1/chapters/<id>/compose``  compose the ten-case chapter (unchanged content: the
  render and the checks run, nothing new is stored — what 生成 costs once composed)
* ``/chapters/<id>/compose``         the composer page with the phone preview and the findings
* ``/preview/messages/<id>``         the standalone preview
* ``/review``, ``/review/messages/<id>``, its 审核表   the review desk (三审三校) of that message

    .venv/bin/python bench/bench_editorial.py
    .venv/bin/python bench/bench_editorial.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Exit status 1 if a p95 is 100 ms or more.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHAPTERS = ("市场环境", "政务环境", "法治环境", "人文环境")
BIG, SMALL = "千案例系列", "十案例系列"
PASSWORD = "Qianan-li-2026!"
TARGET_MS = 100.0


def fill(rt) -> dict:
    """The two series through the real services; returns the ids the requests need."""
    from wxpub.core.content import ImportResult
    from wxpub.core.render.samples import sample_chapter
    from wxpub.library import service as library
    from wxpub.library.series import create_series
    from wxpub.staff import users

    now = datetime.now(timezone.utc)
    base = sample_chapter()
    with rt.db.session() as s:
        users.create_user(s, "bench", PASSWORD, "editor", now=now, actor="bench")
        big = create_series(s, BIG, chapters=list(CHAPTERS), actor="bench", now=now)
        small = create_series(s, SMALL, chapters=["人文环境"], actor="bench", now=now)
        cases = [dataclasses.replace(base.cases[i % 10], series=BIG, chapter=CHAPTERS[i % 4],
                                     number=i // 4 + 1, title=f"{base.cases[i % 10].title}（{i + 1}）")
                 for i in range(1000)]
        library.apply_import(s, [ImportResult(cases=tuple(cases))], now=now, actor="bench")
        ten = [dataclasses.replace(c, series=SMALL, chapter="人文环境") for c in base.cases]
        library.apply_import(s, [ImportResult(cases=tuple(ten))], now=now, actor="bench")
        ids = {"big": big.id, "small": small.id, "big_chapter": big.chapters[1].id,
               "small_chapter": small.chapters[0].id}
    return ids


def login(app):
    """A test client logged in through the real form, and the API's CSRF header."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.status_code
    return client, {"X-CSRFToken": client.get("/api/v1/csrf-token").get_json()["csrf_token"]}


def timed(fn, runs: int) -> list[float]:
    """Wall times in ms of ``runs`` calls after two warm-up calls."""
    fn()
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(samples)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def run(database_url: str, runs: int) -> int:
    from wxpub.infra import migrate
    from wxpub.infra.config import Settings
    from wxpub.infra.runtime import Runtime
    from wxpub.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_mapping({"env": "test", "instance_path": tmp,
                                          "database_url": database_url or f"sqlite:///{tmp}/bench.sqlite3"})
        rt = Runtime.from_settings(settings)
        migrate.upgrade(rt.db)
        started = time.perf_counter()
        ids = fill(rt)
        print(f"filled 1,000 + 10 cases in {time.perf_counter() - started:.1f} s "
              f"({rt.db.engine.dialect.name})")
        app = create_app(runtime=rt)
        client, headers = login(app)
        compose_url = f"/api/v1/chapters/{ids['small_chapter']}/compose"
        first = client.post(compose_url, json={}, headers=headers)
        assert first.status_code == 200, first.get_data(as_text=True)[:300]
        message_id = first.get_json()["message_id"]

        def get(url, follow=False):
            def call():
                answer = client.get(url, follow_redirects=follow)
                assert answer.status_code == 200, (url, answer.status_code)
            return call

        def compose():
            answer = client.post(compose_url, json={}, headers=headers)
            assert answer.status_code == 200, answer.status_code

        pages = [
            ("library: series, page 1", get(f"/library?series={ids['big']}")),
            ("library: chapter of 250", get(f"/library?series={ids['big']}&chapter={ids['big_chapter']}")),
            ("library: search + state", get(f"/library?series={ids['big']}&q=%E4%BA%BA%E6%89%8D&status=pending")),
            ("compose ten-case chapter", compose),
            ("composer page + preview", get(f"/chapters/{ids['small_chapter']}/compose")),
            ("preview of the message", get(f"/preview/messages/{message_id}")),
            ("review desk (我的待办)", get("/review")),
            ("review page of the message", get(f"/review/messages/{message_id}")),
            ("审核表 of the version", get(f"/review/messages/{message_id}/sheet", follow=True)),
        ]
        worst = 0.0
        for name, call in pages:
            samples = timed(call, runs)
            worst = max(worst, p95(samples))
            print(f"{name:28s} p50 {statistics.median(samples):7.1f} ms   p95 {p95(samples):7.1f} ms   "
                  f"max {max(samples):7.1f} ms")
        rt.db.dispose()
    print(f"worst p95 {worst:.1f} ms (target < {TARGET_MS:.0f} ms)")
    return 0 if worst < TARGET_MS else 1


def main() -> int:
    from wxpub.infra.db import scratch_schema

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="PostgreSQL URL (default: temporary SQLite)")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with ExitStack() as stack:  # the throw-away PostgreSQL schema, dropped at the end
        url = stack.enter_context(scratch_schema(args.database)) if args.database else ""
        return run(url, args.runs)


if __name__ == "__main__":
    sys.exit(main())
