"""Benchmark: one statistics pull of 30 days × 1,000 articles from the sandbox.

Publishes 1,000 articles through the adapter (125 freepublish messages of 8 articles, spread
over 30 days, each with a matching Release), moves WeChat's clock to 10:30 the day after, and
times ``wxpub.stats.pull`` (every datacube call over loopback HTTP, parsing, upserts, mapping).
Then times a second pull (what the daily job does when nothing is new).

    .venv/bin/python bench/bench_ingest.py
    .venv/bin/python bench/bench_ingest.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Exit status 1 if the first pull takes 30 s or more.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from contextlib import ExitStack

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    from sqlalchemy import func, select

    from wxpub.infra import migrate
    from wxpub.infra.clock import FrozenClock
    from wxpub.infra.db import scratch_schema
    from wxpub.models import StatArticle, StatArticleDaily
    from wxpub.infra.runtime import Runtime
    from wxpub.sandbox.testing import SandboxServer, jpeg_bytes
    from wxpub.stats import ingest
    from wxpub.stats.testing import follow_sandbox, move_sandbox_to, publish, record_release, sandbox_now
    from wxpub.wechat import WeChat
    from wxpub.wechat.testing import SANDBOX_ACCOUNT, sandbox_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="PostgreSQL URL (default: temporary SQLite)")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    tmp = tempfile.mkdtemp(prefix="wxpub-bench-ingest-")
    scratch = ExitStack()  # the throw-away PostgreSQL schema, dropped at the end
    url = (scratch.enter_context(scratch_schema(args.database)) if args.database
           else f"sqlite:///{tmp}/bench.sqlite3")
    try:
        with SandboxServer(**SANDBOX_ACCOUNT, publish_delay=0.0) as sandbox:
            move_sandbox_to(sandbox, 9, 0)
            clock = FrozenClock(sandbox_now(sandbox))
            settings = sandbox_settings(sandbox.url, url, wechat_timeout=30, instance_path=tmp)
            rt = Runtime.from_settings(settings, clock=clock)
            migrate.upgrade(rt.db)
            wx = WeChat(settings, rt.db, clock=clock)
            cover = wx.material.add_image(jpeg_bytes(90, 50))["media_id"]
            messages = args.articles // 8
            started = time.perf_counter()
            for m in range(messages):
                day = m * args.days // messages
                sent = publish(wx, sandbox, [f"第{m + 1}期 案例{i + 1}" for i in range(8)], cover=cover)
                with rt.db.session() as s:
                    record_release(s, sent, series="基准系列", chapter=f"篇章{m % 4 + 1}",
                                   scheduled_at=sandbox_now(sandbox))
                    s.commit()
                next_day = (m + 1) * args.days // messages
                if next_day > day:
                    sandbox.control("clock", {"advance_days": next_day - day})
            print(f"published {messages * 8} articles over {args.days} days "
                  f"in {time.perf_counter() - started:.1f} s (setup, not timed)")
            move_sandbox_to(sandbox, 10, 30)
            follow_sandbox(clock, sandbox)

            started = time.perf_counter()
            report = ingest.pull(rt)
            first = time.perf_counter() - started
            with rt.db.session() as s:
                stored = s.scalar(select(func.count()).select_from(StatArticle))
                daily = s.scalar(select(func.count()).select_from(StatArticleDaily))
            print(f"first pull: {first:.2f} s — {report.calls} calls, {stored} articles, "
                  f"{daily} daily rows, {report.linked} linked")
            clock.advance(minutes=5)
            started = time.perf_counter()
            again = ingest.pull(rt)
            print(f"second pull (nothing new): {time.perf_counter() - started:.2f} s — {again.calls} calls")
            rt.db.dispose()
            ok = first < 30 and stored == messages * 8
            print("OK" if ok else "TOO SLOW OR INCOMPLETE")
            return 0 if ok else 1
    finally:
        scratch.close()


if __name__ == "__main__":
    sys.exit(main())
