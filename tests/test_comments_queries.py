"""The comment queries pages, API, CLI and dashboard share: the inbox order and age, counts, reply
times per chapter and month (medians on known data), and a query count that does not grow."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import event, select

from wxpub.comments import queries
from wxpub.models import Account, Chapter, CommentAction, CommentArticle, ReaderComment, Series

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=timezone.utc)  # 12:00 Beijing time


def _article(session, chapter_name: str, title: str) -> CommentArticle:
    series = session.scalar(select(Series)) or Series(name="测试系列")
    session.add(series)
    session.flush()
    chapter = session.scalar(select(Chapter).where(Chapter.name == chapter_name))
    if chapter is None:
        chapter = Chapter(series_id=series.id, name=chapter_name,
                          position=len(session.scalars(select(Chapter)).all()))
        session.add(chapter)
    account = session.scalar(select(Account)) or Account(name="新政服", appid="wx-test")
    session.add(account)
    session.flush()
    article = CommentArticle(account_id=account.id, series_id=series.id, chapter_id=chapter.id,
                             msg_data_id=f"{abs(hash(title)) % 10**9}", article_index=0, title=title,
                             url="https://mp.weixin.qq.com/s/x", published_at=NOW - timedelta(days=40))
    session.add(article)
    session.flush()
    return article


def _comment(session, article, n, created, *, first_reply_hours=None, deleted=False):
    row = ReaderComment(article_id=article.id, user_comment_id=str(n), openid=f"oABCDEFGHIJ{n:06d}",
                        content=f"留言{n}", created_at=created)
    if first_reply_hours is not None:
        row.first_reply_at = row.reply_at = created + timedelta(hours=first_reply_hours)
        row.reply_content, row.reply_by = "答复", "bianji"
    if deleted:
        row.deleted_at, row.deleted_by = created + timedelta(hours=1), "zhongshen"
    session.add(row)
    session.flush()
    return row


def test_the_inbox_puts_the_unanswered_first_oldest_first_then_the_rest_newest_first(session):
    article = _article(session, "市场环境", "一网通办")
    old = _comment(session, article, 1, NOW - timedelta(days=2))
    young = _comment(session, article, 2, NOW - timedelta(hours=3))
    answered = _comment(session, article, 3, NOW - timedelta(hours=30), first_reply_hours=2)
    gone = _comment(session, article, 4, NOW - timedelta(hours=5), deleted=True)
    session.add(CommentAction(article_id=article.id, comment_id=young.id, kind="reply", text="x",
                              requested_by="bianji", status="pending"))
    session.commit()
    rows = queries.inbox(session, now=NOW)
    assert [r["id"] for r in rows] == [old.id, young.id]
    assert [r["age"] for r in rows] == ["2 天", "3 小时"] and rows[0]["overdue"] and not rows[1]["overdue"]
    assert rows[1]["pending_action"]["kind"] == "reply" and rows[0]["pending_action"] is None
    assert rows[0]["created_text"] == "2026-11-29 12:00" and rows[0]["reader"] == "oABCDE…0001"
    assert rows[0]["article"]["chapter"] == "市场环境" and rows[0]["article"]["title"] == "一网通办"
    every = queries.inbox(session, state="all", now=NOW)
    assert [r["id"] for r in every] == [old.id, young.id, gone.id, answered.id]
    assert [r["state"] for r in every] == ["unanswered", "unanswered", "deleted", "answered"]
    assert every[3]["reply"]["by"] == "bianji"
    assert queries.counts(session, now=NOW) == {"unanswered": 2, "overdue": 1}
    assert [r["id"] for r in queries.article_comments(session, article.id, now=NOW)] == [
        old.id, answered.id, gone.id, young.id]


def test_reply_times_per_chapter_and_month_on_known_data(session):
    market = _article(session, "市场环境", "甲")
    government = _article(session, "政务环境", "乙")
    # November (Beijing): market answered after 1, 2 and 6 hours; one unanswered
    for n, hours in enumerate((1, 2, 6), start=1):
        _comment(session, market, n, datetime(2026, 11, 10, 2, tzinfo=timezone.utc), first_reply_hours=hours)
    _comment(session, market, 4, datetime(2026, 11, 11, 2, tzinfo=timezone.utc))
    # 2026-11-30 17:00 UTC is 12-01 01:00 in Beijing: counted in December
    _comment(session, government, 5, datetime(2026, 11, 30, 17, tzinfo=timezone.utc), first_reply_hours=0.5)
    _comment(session, government, 6, datetime(2026, 11, 30, 18, tzinfo=timezone.utc), first_reply_hours=1.75)
    _comment(session, government, 7, datetime(2026, 11, 30, 18, tzinfo=timezone.utc), deleted=True)
    session.commit()
    times = queries.reply_times(session)
    assert times["chapters"] == [
        {"chapter_id": market.chapter_id, "chapter": "市场环境", "comments": 4, "answered": 3, "unanswered": 1,
         "median_hours": 2.0},
        {"chapter_id": government.chapter_id, "chapter": "政务环境", "comments": 2, "answered": 2,
         "unanswered": 0, "median_hours": 1.1}]
    assert times["months"] == [
        {"month": "2026-11", "comments": 4, "answered": 3, "unanswered": 1, "median_hours": 2.0},
        {"month": "2026-12", "comments": 2, "answered": 2, "unanswered": 0, "median_hours": 1.1}]


def _queries_of(session, call) -> int:
    seen = []
    engine = session.get_bind()
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_the_inbox_and_counts_run_the_same_few_queries_for_3_or_60_comments(session):
    article = _article(session, "市场环境", "丙")
    for n in range(3):
        row = _comment(session, article, n, NOW - timedelta(hours=n + 1))
        session.add(CommentAction(article_id=article.id, comment_id=row.id, kind="elect",
                                  requested_by="bianji", status="failed"))
    session.commit()
    few = _queries_of(session, lambda: queries.inbox(session, state="all", now=NOW))
    few_counts = _queries_of(session, lambda: queries.counts(session, now=NOW))
    for n in range(3, 60):
        row = _comment(session, article, n, NOW - timedelta(hours=n + 1), first_reply_hours=1 if n % 2 else None)
        session.add(CommentAction(article_id=article.id, comment_id=row.id, kind="elect",
                                  requested_by="bianji", status="failed"))
    session.commit()
    rows = []
    many = _queries_of(session, lambda: rows.extend(queries.inbox(session, state="all", now=NOW)))
    assert len(rows) == 60 and rows[0]["failed_action"]["kind_name"] == "设为精选"
    assert many == few <= 4
    assert _queries_of(session, lambda: queries.counts(session, now=NOW)) == few_counts == 1
    assert _queries_of(session, lambda: queries.reply_times(session)) == 1
