"""Benchmark the readers' comments (留言) desk: a year of comments under a serial, as server time
through Flask's test client (a logged-in editor, real pages and API).

Fills a fresh database (temporary SQLite, or a throw-away PostgreSQL schema) with 120 followed
articles (four chapters of a series) and 6,000 comments — two in three answered, some 精选, some
deleted — then times, per request, p50/p95/max:

* ``/comments``                      the inbox: unanswered first, with their age (first 200)
* ``/comments?state=all``            everything, newest first after the unanswered
* ``/comments/article/<id>``         one article's 50 comments
* ``/comments/<id>``                 one comment with its actions
* ``GET /api/v1/comments?state=all`` the API listing
* ``/dashboard/``                    the overview with the comment block (median reply times)

    .venv/bin/python bench/bench_comments.py
    .venv/bin/python bench/bench_comments.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Exit status 1 if a p95 is 100 ms or more.
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
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench_editorial import login, p95, timed  # noqa: E402 - the same client and statistics

CHAPTERS = ("市场环境", "政务环境", "法治环境", "人文环境")
ARTICLES, PER_ARTICLE = 120, 50
TARGET_MS = 100.0


def fill(rt) -> dict:
    """The series, its followed articles and their comments; returns ids the requests need."""
    from wxpub.library.series import create_series
    from wxpub.models import Account, CommentArticle, ReaderComment
    from wxpub.staff import users

    rng = random.Random(2023)
    now = datetime.now(timezone.utc)
    with rt.db.session() as s:
        users.create_user(s, "bench", "Qianan-li-2026!", "editor", now=now, actor="bench")
        series = create_series(s, "留言压测系列", chapters=list(CHAPTERS), actor="bench", now=now)
        account = Account(name="新政服", appid=rt.settings.appid)
        s.add(account)
        s.flush()
        first_comment = None
        for n in range(ARTICLES):
            published = now - timedelta(days=365 - n * 3)
            chapter = series.chapters[n % 4]
            article = CommentArticle(account_id=account.id, series_id=series.id, chapter_id=chapter.id,
                                     msg_data_id=str(2247480000 + n), article_index=0,
                                     title=f"{chapter.name}篇（{n + 1}）", url=f"https://mp.weixin.qq.com/s/b{n}",
                                     published_at=published)
            s.add(article)
            s.flush()
            for i in range(PER_ARTICLE):
                created = published + timedelta(minutes=rng.randint(5, 60 * 48))
                answered = rng.random() < 2 / 3
                reply_at = created + timedelta(minutes=rng.randint(10, 60 * 30)) if answered else None
                comment = ReaderComment(
                    article_id=article.id, user_comment_id=str(i + 1), openid=f"o{n:04d}{i:03d}bench",
                    content=f"请问这项措施在哪里可以办理？（{n}-{i}）", created_at=created,
                    elected=rng.random() < 0.1, reply_content="感谢关注！" if answered else None,
                    reply_at=reply_at, reply_by="bench" if answered else None, first_reply_at=reply_at,
                    deleted_at=now if rng.random() < 0.03 else None, first_seen_at=created)
                s.add(comment)
            s.flush()
            first_comment = first_comment or comment.id
        s.commit()
        return {"article": article.id, "comment": first_comment}


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
        print(f"filled {ARTICLES} articles, {ARTICLES * PER_ARTICLE:,} comments in "
              f"{time.perf_counter() - started:.1f} s ({rt.db.engine.dialect.name})")
        client, _headers = login(create_app(runtime=rt))

        def get(url):
            def call():
                answer = client.get(url)
                assert answer.status_code == 200, (url, answer.status_code)
            return call

        pages = [
            ("inbox: unanswered", get("/comments")),
            ("inbox: all", get("/comments?state=all")),
            ("one article's comments", get(f"/comments/article/{ids['article']}")),
            ("one comment", get(f"/comments/{ids['comment']}")),
            ("API: all comments", get("/api/v1/comments?state=all")),
            ("dashboard with 留言 block", get("/dashboard/")),
        ]
        worst = 0.0
        for name, call in pages:
            samples = timed(call, runs)
            worst = max(worst, p95(samples))
            print(f"{name:26s} p50 {statistics.median(samples):7.1f} ms   p95 {p95(samples):7.1f} ms   "
                  f"max {max(samples):7.1f} ms")
        rt.db.dispose()
    print(f"worst p95 {worst:.1f} ms (target < {TARGET_MS:.0f} ms)")
    return 0 if worst < TARGET_MS else 1


def main() -> int:
    from wxpub.infra.db import scratch_schema

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="PostgreSQL URL (default: temporary SQLite)")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with ExitStack() as stack:  # the throw-away PostgreSQL schema, dropped at the end
        url = stack.enter_context(scratch_schema(args.database)) if args.database else ""
        return run(url, args.runs)


if __name__ == "__main__":
    sys.exit(main())
