"""Idempotent writes of statistics (SQLite and PostgreSQL) and the msgid → release mapping.

Every write is an ``INSERT … ON CONFLICT DO UPDATE`` whose update only fires when a figure
differs, so pulling the same answer twice changes no row (``updated_at`` included).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlalchemy import Text, cast, func, or_, select, update
from sqlalchemy.orm import Session

from wxpub.models import Article, Release, StatArticle, StatArticleDaily, StatBizDaily, StatPull

ARTICLE_FIGURES = ("title", "content_url", "publish_date", "publish_type", "read_user", "share_user",
                   "collection_user", "zaikan_user", "like_user", "comment_count",
                   "read_finish_rate", "sources", "is_delay")
JSON_COLUMNS = {"sources", "detail"}


def _insert(session: Session, table):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _differs(column, new):
    if column.name in JSON_COLUMNS:
        return cast(column, Text).is_distinct_from(cast(new, Text))
    return column.is_distinct_from(new)


def upsert(session: Session, model, rows: list[dict], keys: tuple[str, ...],
           columns: Iterable[str], now: datetime) -> None:
    """Insert ``rows`` or update ``columns`` of existing ones, touching only rows that change.

    One cached statement executed for many rows (the driver batches them); measured 3–5× faster
    on PostgreSQL than multi-row VALUES statements, which SQLAlchemy must compile every time.
    A key repeated within ``rows`` keeps its last value.
    """
    if not rows:
        return
    table = model.__table__
    columns = tuple(columns)
    unique = {tuple(row[k] for k in keys): {**row, "updated_at": now} for row in rows}
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={**{c: stmt.excluded[c] for c in columns}, "updated_at": stmt.excluded.updated_at},
        where=or_(*[_differs(table.c[c], stmt.excluded[c]) for c in columns]))
    session.execute(stmt, list(unique.values()))


def ensure_articles(session: Session, msgids: Iterable[str], account_id: int | None = None) -> None:
    """Create bare ``StatArticle`` rows for msgids seen only in daily figures (keeps FKs valid)."""
    from wxpub.stats.parse import split_msgid

    rows = []
    for msgid in sorted(set(msgids)):
        msg_data_id, idx = split_msgid(msgid)
        rows.append({"msgid": msgid, "msg_data_id": msg_data_id, "idx": idx, "title": "",
                     "account_id": account_id,
                     "content_url": "", "read_user": 0, "share_user": 0, "collection_user": 0,
                     "zaikan_user": 0, "like_user": 0, "comment_count": 0, "sources": {},
                     "is_delay": False})
    if rows:
        stmt = _insert(session, StatArticle.__table__).on_conflict_do_nothing(index_elements=["msgid"])
        session.execute(stmt, rows)


def save_articles(session: Session, rows: list[dict], now: datetime,
                  account_id: int | None = None) -> None:
    """Upsert articles with their latest cumulative figures (of ``account_id``)."""
    upsert(session, StatArticle, [{**row, "account_id": account_id} for row in rows], ("msgid",),
           (*ARTICLE_FIGURES, "account_id"), now)


def save_daily_engagement(session: Session, rows: list[dict], delayed: bool, now: datetime) -> None:
    """Upsert per-day favourites and 在看 (differenced from cumulative figures)."""
    full = [{"read_user": 0, "share_user": 0, "sources": {"read": {}, "share": {}},
             "is_delay": delayed, **row} for row in rows]
    upsert(session, StatArticleDaily, full, ("msgid", "stat_date"),
           ("collection_user", "zaikan_user"), now)


def save_daily_reads(session: Session, rows: list[dict], delayed: bool, now: datetime,
                     columns: tuple[str, ...] = ("read_user", "share_user", "sources")) -> None:
    """Upsert per-day reads and shares (with their sources) and the provisional flag."""
    full = [{"collection_user": 0, "zaikan_user": 0, **row, "is_delay": delayed} for row in rows]
    upsert(session, StatArticleDaily, full, ("msgid", "stat_date"), (*columns, "is_delay"), now)


def save_biz(session: Session, account_id: int, rows: list[dict], delayed: bool,
             now: datetime) -> None:
    """Upsert the account's daily overview."""
    full = [{"account_id": account_id, "ref_date": r["ref_date"], "detail": r["detail"],
             "is_delay": delayed} for r in rows]
    upsert(session, StatBizDaily, full, ("account_id", "ref_date"), ("detail", "is_delay"), now)


def log_pull(session: Session, endpoint: str, begin: date, end: date, *, rows: int = 0,
             is_delay: bool = False, errcode: int | None = None, rid: str | None = None,
             now: datetime, account_id: int | None = None) -> None:
    """Record one WeChat call of ``account_id`` in the pull log (a failed one with WeChat's rid)."""
    session.add(StatPull(account_id=account_id, endpoint=endpoint, begin_date=begin, end_date=end, rows=rows,
                         is_delay=is_delay, errcode=errcode, rid=rid, pulled_at=now))


def _of(query, account_id: int | None):
    return query if account_id is None else query.where(StatPull.account_id == account_id)


def final_days(session: Session, endpoint: str, first: date, last: date,
               with_rows: bool = False, account_id: int | None = None) -> set[date]:
    """Days in [first, last] for which ``endpoint`` already gave a final (not delayed) answer
    (only answers that listed something when ``with_rows``)."""
    from wxpub.stats.dates import days_between

    done: set[date] = set()
    query = (select(StatPull.begin_date, StatPull.end_date)
             .where(StatPull.endpoint == endpoint, StatPull.errcode.is_(None),
                    StatPull.is_delay.is_(False), StatPull.end_date >= first,
                    StatPull.begin_date <= last))
    if with_rows:
        query = query.where(StatPull.rows > 0)
    for begin, end in session.execute(_of(query, account_id)).all():
        done.update(days_between(max(begin, first), min(end, last)))
    return done


def delayed_days(session: Session, endpoint: str, account_id: int | None = None) -> set[date]:
    """Days whose last answer from ``endpoint`` was provisional and never became final."""
    from wxpub.stats.dates import days_between

    pending: set[date] = set()
    for begin, end in session.execute(_of(
            select(StatPull.begin_date, StatPull.end_date)
            .where(StatPull.endpoint == endpoint, StatPull.errcode.is_(None),
                   StatPull.is_delay.is_(True)), account_id)).all():
        pending.update(days_between(begin, end))
    if not pending:
        return pending
    return pending - final_days(session, endpoint, min(pending), max(pending), account_id=account_id)


def map_releases(session: Session) -> int:
    """Link statistics to releases (by msg_data_id) and articles (by idx); returns rows linked."""
    pending = session.execute(
        select(StatArticle.msgid, StatArticle.msg_data_id, StatArticle.idx, StatArticle.release_id,
               StatArticle.article_id)
        .where(or_(StatArticle.release_id.is_(None), StatArticle.article_id.is_(None)))).all()
    if not pending:
        return 0
    releases = {}
    ids = sorted({p.msg_data_id for p in pending})
    for start in range(0, len(ids), 500):
        for rid, mdid, version in session.execute(
                select(Release.id, Release.msg_data_id,
                       func.coalesce(Release.sent_version_id, Release.approved_version_id))
                .where(Release.msg_data_id.in_(ids[start:start + 500]))).all():
            releases[mdid] = (rid, version)
    versions = sorted({v for _, v in releases.values() if v is not None})
    articles = {}
    if versions:
        articles = {(v, i): aid for aid, v, i in session.execute(
            select(Article.id, Article.message_version_id, Article.idx)
            .where(Article.message_version_id.in_(versions))).all()}
    changes = []
    for p in pending:
        if p.msg_data_id not in releases:
            continue
        rid, version = releases[p.msg_data_id]
        aid = articles.get((version, p.idx))
        if (rid, aid) != (p.release_id, p.article_id):
            changes.append({"msgid": p.msgid, "release_id": rid, "article_id": aid})
    if changes:
        session.execute(update(StatArticle), changes)
    return len(changes)
