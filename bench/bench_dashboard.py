"""Benchmark: the dashboard overview (HTML and JSON) over 1,000 articles × 365 days of statistics.

Fills a fresh database (temporary SQLite, or a throw-away PostgreSQL schema) with one series of
four chapters, 125 releases of 8 articles, 365 daily rows per article (365,000 rows), a year of
account overview and pull log, and 117 cases; then requests ``/dashboard/`` and
``/dashboard/overview.json`` as a logged-in user through Flask's test client and reports
p50/p95/max per page: warm (the figures cached since the last pull, ``wxpub.stats.cache``) and cold
(the cache emptied before every request: what the first person after a pull waits for).
``bench/bench_web.py`` measures the same pages through gunicorn with 50 concurrent staff.

    .venv/bin/python bench/bench_dashboard.py
    .venv/bin/python bench/bench_dashboard.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Exit status 1 if a warm p95 is 100 ms or more (cold figures are reported, not judged).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ARTICLES, DAYS, PER_MESSAGE = 1000, 365, 8
CHAPTERS = ("市场环境", "政务环境", "法治环境", "人文环境")


def fill(rt, today: date) -> None:
    """Insert the benchmark data set with bulk statements."""
    from sqlalchemy import insert

    from wxpub.models import (Account, Case, Chapter, Release, Series, StatArticle,
                              StatArticleDaily, StatBizDaily, StatPull)

    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    with rt.db.session() as s:
        account = Account(name="新政服", appid=rt.settings.appid)
        series = Series(name="2023年度滨海新区优化营商环境创新实践案例展示")
        s.add_all([account, series])
        s.flush()
        chapters = [Chapter(series_id=series.id, name=n, position=i) for i, n in enumerate(CHAPTERS)]
        s.add_all(chapters)
        s.flush()
        s.execute(insert(Case), [{"chapter_id": chapters[i % 4].id, "key": f"case-{i}", "number": i,
                                  "title": f"案例{i}", "status": ("selected", "pending", "rejected")[i % 3],
                                  "position": i} for i in range(117)])
        first_day = today - timedelta(days=DAYS)
        releases, articles, msg_days = [], [], {}
        for m in range(ARTICLES // PER_MESSAGE):
            day = first_day + timedelta(days=m * (DAYS - 30) // (ARTICLES // PER_MESSAGE))
            mdid = str(2247480000 + m)
            releases.append({"id": m + 1, "plan_key": f"bench/{m}", "account_id": account.id,
                             "series_id": series.id, "chapter_id": chapters[m % 4].id,
                             "mode": "publish", "state": "published", "msg_data_id": mdid,
                             "scheduled_at": datetime(day.year, day.month, day.day, 1, 0, tzinfo=timezone.utc)})
            for idx in range(1, PER_MESSAGE + 1):
                msgid = f"{mdid}_{idx}"
                msg_days[msgid] = day
                articles.append({"msgid": msgid, "msg_data_id": mdid, "idx": idx,
                                 "title": f"{CHAPTERS[m % 4]}篇丨第{m + 1}期 案例{idx}", "content_url": "",
                                 "publish_date": day, "publish_type": 1, "release_id": m + 1,
                                 "read_user": rng.randrange(100, 5000), "share_user": rng.randrange(5, 200),
                                 "collection_user": rng.randrange(0, 50), "zaikan_user": rng.randrange(0, 40),
                                 "like_user": rng.randrange(0, 40), "comment_count": rng.randrange(0, 10),
                                 "read_finish_rate": rng.uniform(0.35, 0.65),
                                 "sources": {"聊天会话": 300, "朋友圈": 200, "搜一搜": 50},
                                 "is_delay": False, "updated_at": now})
        s.execute(insert(Release), releases)
        s.execute(insert(StatArticle), articles)
        s.commit()
        batch = []
        for msgid in msg_days:
            for d in range(DAYS):
                batch.append({"msgid": msgid, "stat_date": first_day + timedelta(days=d),
                              "read_user": rng.randrange(0, 300), "share_user": rng.randrange(0, 20),
                              "collection_user": 0, "zaikan_user": 0,
                              "sources": {"read": {"聊天会话": 10}, "share": {}}, "is_delay": False,
                              "updated_at": now})
            if len(batch) >= 20000:
                s.execute(insert(StatArticleDaily), batch)
                batch = []
        if batch:
            s.execute(insert(StatArticleDaily), batch)
        s.execute(insert(StatBizDaily), [
            {"account_id": account.id, "ref_date": first_day + timedelta(days=d),
             "detail": {"read_user": rng.randrange(1000, 9000), "share_user": rng.randrange(10, 300),
                        "zaikan_user": 20, "collection_user": 15}, "is_delay": d == DAYS - 1,
             "updated_at": now} for d in range(DAYS)])
        s.execute(insert(StatPull), [
            {"endpoint": ("getarticletotaldetail", "getarticleread", "getarticleshare")[i % 3],
             "begin_date": first_day + timedelta(days=i // 33), "end_date": first_day + timedelta(days=i // 33),
             "rows": 30, "is_delay": False, "errcode": None,
             "pulled_at": now - timedelta(days=DAYS - i // 33)} for i in range(DAYS * 33)])
        s.commit()


def measure(client, path: str, runs: int, before=lambda: None) -> list[float]:
    """Milliseconds of ``runs`` GETs of ``path`` (after two warm-up requests), calling ``before()``
    (not timed) ahead of each."""
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(runs):
        before()
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def main() -> int:

    from wxpub import create_app

    from wxpub.infra import migrate

    from wxpub.staff import users
    from wxpub.infra.clock import FrozenClock
    from wxpub.infra.config import Settings
    from wxpub.infra.db import scratch_schema
    from wxpub.infra.runtime import Runtime
    from wxpub.stats import cache

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="PostgreSQL URL (default: temporary SQLite)")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="wxpub-bench-dashboard-")
    scratch = ExitStack()  # the throw-away PostgreSQL schema, dropped at the end
    url = (scratch.enter_context(scratch_schema(args.database)) if args.database
           else f"sqlite:///{tmp}/bench.sqlite3")
    try:
        clock = FrozenClock(datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc))
        rt = Runtime.from_settings(Settings.from_mapping(
            {"env": "test", "database_url": url, "instance_path": tmp}), clock=clock)
        migrate.upgrade(rt.db)
        started = time.perf_counter()
        fill(rt, date(2026, 3, 2))
        print(f"database: {'PostgreSQL' if args.database else 'SQLite'}; filled 1,000 articles × 365 days "
              f"in {time.perf_counter() - started:.1f} s (not timed)")
        with rt.db.session() as s:
            users.create_user(s, "bench", "correct-horse-9", "editor", now=clock.now(), actor="测试")
        app = create_app(runtime=rt)
        app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
        client = app.test_client()
        assert client.post("/login", data={"username": "bench", "password": "correct-horse-9"}).status_code == 302
        ok = True
        for path in ("/dashboard/", "/dashboard/overview.json"):
            def cold():  # as after a statistics pull: no figures and no person's page kept
                cache.for_runtime(rt).clear()
                cache.for_runtime(rt, "own pages").clear()
            for kind, before in (("warm", lambda: None), ("cold", cold)):
                times = sorted(measure(client, path, args.runs if kind == "warm" else max(args.runs // 4, 10),
                                       before))
                p95 = times[int(len(times) * 0.95) - 1]
                ok = ok and (p95 < 100 or kind == "cold")
                print(f"{path:<28} {kind}  p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   "
                      f"max {times[-1]:6.1f} ms   ({len(times)} requests)")
        rt.db.dispose()
        print("OK" if ok else "TOO SLOW")
        return 0 if ok else 1
    finally:
        scratch.close()


if __name__ == "__main__":
    sys.exit(main())
