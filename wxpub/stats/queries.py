"""Read side of the statistics: aggregates computed in SQL for the dashboard, exports and CLI.

Everything per chapter or per series is a GROUP BY over ``stat_articles`` (one row per article,
latest cumulative figures); trends come from ``stat_biz_daily`` (one row per day) or one
article's ``stat_article_daily`` rows (primary key prefix msgid), so no query scans the whole
daily table.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wxpub.models import (Article, Case, Chapter, Release, Series, StatArticle, StatArticleDaily,
                      StatBizDaily, StatPull)
from wxpub.stats.dates import BEIJING
from wxpub.wechat.errors import explain

UNLINKED = "未关联发布记录"
FIGURES = ("read_user", "share_user", "collection_user", "zaikan_user")
STATE_NAMES = {"planned": "计划中", "approved": "已审批", "publishing": "发布中", "published": "已发布",
               "failed": "失败", "held": "已暂停", "canceled": "已取消",
               "manual": "人工发布"}
MODE_NAMES = {"publish": "发布（不通知）", "mass_send": "群发（通知粉丝）"}
SOURCE_ORDER = ("公众号消息", "聊天会话", "朋友圈", "公众号主页", "推荐", "搜一搜", "其他")


def month_bounds(month: str) -> tuple[date, date]:
    """``"2026-03"`` → (first day, first day of next month); ValueError in Chinese if malformed."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except (TypeError, ValueError):
        raise ValueError(f"月份格式不对：{month!r}，应为 YYYY-MM，例如 2026-03") from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following


def _finish_rate():
    weighted = func.sum(StatArticle.read_finish_rate * StatArticle.read_user)
    readers = func.sum(case((StatArticle.read_finish_rate.is_not(None), StatArticle.read_user), else_=0))
    return case((readers > 0, weighted / readers), else_=None)


def chapter_summary(session: Session) -> list[dict]:
    """Per series and chapter: articles, reads, shares, favourites, 在看, read-through."""
    query = (select(Series.name.label("series"), Chapter.name.label("chapter"),
                    Chapter.id.label("chapter_id"),
                    func.count(StatArticle.msgid).label("articles"),
                    *[func.coalesce(func.sum(getattr(StatArticle, f)), 0).label(f) for f in FIGURES],
                    _finish_rate().label("read_finish_rate"),
                    func.min(StatArticle.publish_date).label("first_publish"),
                    func.max(StatArticle.publish_date).label("last_publish"))
             .select_from(StatArticle)
             .outerjoin(Release, Release.id == StatArticle.release_id)
             .outerjoin(Chapter, Chapter.id == Release.chapter_id)
             .outerjoin(Series, Series.id == Release.series_id)
             .group_by(Series.name, Chapter.id, Chapter.name, Chapter.position)
             .order_by(Series.name, Chapter.position, Chapter.name))
    rows = []
    for row in session.execute(query).mappings():
        item = dict(row)
        item["series"] = item["series"] or UNLINKED
        item["chapter"] = item["chapter"] or UNLINKED
        item["avg_read"] = round(item["read_user"] / item["articles"]) if item["articles"] else 0
        rows.append(item)
    return rows


def totals(session: Session) -> dict:
    """Account-wide totals over every article on record."""
    row = session.execute(select(
        func.count(StatArticle.msgid).label("articles"),
        *[func.coalesce(func.sum(getattr(StatArticle, f)), 0).label(f) for f in FIGURES],
        _finish_rate().label("read_finish_rate"))).mappings().one()
    return dict(row)


def article_rows(session: Session, *, month: str | None = None, limit: int | None = None,
                 order: str = "read") -> list[dict]:
    """Articles with their chapter and latest figures (optionally those published in ``month``)."""
    query = (select(StatArticle.msgid, StatArticle.title, StatArticle.publish_date,
                    StatArticle.publish_type, StatArticle.release_id,
                    *[getattr(StatArticle, f) for f in FIGURES], StatArticle.like_user,
                    StatArticle.comment_count, StatArticle.read_finish_rate, StatArticle.is_delay,
                    StatArticle.sources, Chapter.name.label("chapter"), Series.name.label("series"))
             .outerjoin(Release, Release.id == StatArticle.release_id)
             .outerjoin(Chapter, Chapter.id == Release.chapter_id)
             .outerjoin(Series, Series.id == Release.series_id))
    if month:
        first, following = month_bounds(month)
        query = query.where(StatArticle.publish_date >= first, StatArticle.publish_date < following)
    if order == "read":
        query = query.order_by(StatArticle.read_user.desc(), StatArticle.msgid)
    else:
        query = query.order_by(StatArticle.publish_date, StatArticle.msgid)
    if limit:
        query = query.limit(limit)
    return [dict(r) for r in session.execute(query).mappings()]


def article_detail(session: Session, msgid: str) -> dict | None:
    """One article: figures, chapter, release, cases, and its daily rows (oldest first)."""
    query = (select(StatArticle, Chapter.name, Series.name, Release)
             .outerjoin(Release, Release.id == StatArticle.release_id)
             .outerjoin(Chapter, Chapter.id == Release.chapter_id)
             .outerjoin(Series, Series.id == Release.series_id)
             .where(StatArticle.msgid == msgid))
    found = session.execute(query).first()
    if found is None:
        return None
    stat, chapter, series, release = found
    cases = []
    if stat.article_id is not None:
        article = session.get(Article, stat.article_id)
        if article and article.case_ids:
            cases = [c for c, in session.execute(
                select(Case.title).where(Case.id.in_(article.case_ids)).order_by(Case.position))]
    daily = session.execute(
        select(StatArticleDaily.stat_date, *[getattr(StatArticleDaily, f) for f in FIGURES],
               StatArticleDaily.sources, StatArticleDaily.is_delay)
        .where(StatArticleDaily.msgid == msgid).order_by(StatArticleDaily.stat_date)).mappings()
    return {"stat": stat, "chapter": chapter or UNLINKED, "series": series or UNLINKED,
            "release": release, "cases": cases, "daily": [dict(d) for d in daily]}


def account_days(session: Session, first: date, last: date) -> list[dict]:
    """Account overview per day in [first, last] (getbizsummary; rows pulled from the legacy
    endpoints before they went offline stay readable)."""
    rows = session.execute(select(StatBizDaily.ref_date, StatBizDaily.detail, StatBizDaily.is_delay)
                           .where(StatBizDaily.ref_date >= first, StatBizDaily.ref_date <= last)
                           .order_by(StatBizDaily.ref_date)).all()
    return [{"date": d, "read_user": int(detail.get("read_user") or 0),
             "share_user": int(detail.get("share_user") or 0),
             "zaikan_user": int(detail.get("zaikan_user") or 0),
             "collection_user": int(detail.get("collection_user") or 0),
             "is_delay": delayed} for d, detail, delayed in rows]


def freshness(session: Session) -> dict:
    """When statistics were last pulled, what failed since, and which figures are provisional."""
    last_ok = session.scalar(select(func.max(StatPull.pulled_at)).where(StatPull.errcode.is_(None)))
    last_error = session.execute(
        select(StatPull.endpoint, StatPull.errcode, StatPull.rid, StatPull.pulled_at, StatPull.begin_date)
        .where(StatPull.errcode.is_not(None)).order_by(StatPull.pulled_at.desc()).limit(1)).first()
    if last_error is not None and last_ok is not None and last_error.pulled_at < last_ok:
        last_error = None
    latest_day = session.scalar(select(func.max(StatBizDaily.ref_date)))
    delayed_articles = session.scalar(select(func.count()).select_from(StatArticle)
                                      .where(StatArticle.is_delay.is_(True)))
    delayed_days = [d for d, in session.execute(
        select(StatBizDaily.ref_date).where(StatBizDaily.is_delay.is_(True))
        .order_by(StatBizDaily.ref_date))]
    return {"last_pull": last_ok, "latest_day": latest_day, "delayed_articles": delayed_articles,
            "delayed_days": delayed_days,
            "last_error": _with_explanation(last_error)}


def _with_explanation(row) -> dict | None:
    """The failed call as a dict, with the staff explanation of its errcode."""
    if row is None:
        return None
    return {**row._mapping, "explanation": explain(row.errcode, row.endpoint) if row.errcode else ""}


def calendar(session: Session, month: str) -> list[dict]:
    """Releases scheduled in ``month`` (Beijing calendar) with their state and readership."""
    first, following = month_bounds(month)
    start = datetime.combine(first, time(0), tzinfo=BEIJING)
    end = datetime.combine(following, time(0), tzinfo=BEIJING)
    reads = (select(StatArticle.release_id, func.sum(StatArticle.read_user).label("read_user"))
             .group_by(StatArticle.release_id).subquery())
    query = (select(Release.id, Release.scheduled_at, Release.published_at, Release.state,
                    Release.mode, Release.msg_data_id, Series.name.label("series"),
                    Chapter.name.label("chapter"), reads.c.read_user)
             .join(Chapter, Chapter.id == Release.chapter_id)
             .join(Series, Series.id == Release.series_id)
             .outerjoin(reads, reads.c.release_id == Release.id)
             .where(Release.scheduled_at >= start, Release.scheduled_at < end)
             .order_by(Release.scheduled_at, Release.id))
    return [dict(r) for r in session.execute(query).mappings()]


def library_summary(session: Session) -> list[dict]:
    """Cases per chapter by curation status (selected / pending / rejected)."""
    counts = {status: func.sum(case((Case.status == status, 1), else_=0)).label(status)
              for status in ("selected", "pending", "rejected")}
    query = (select(Series.name.label("series"), Chapter.name.label("chapter"), *counts.values())
             .join(Chapter, Chapter.series_id == Series.id)
             .outerjoin(Case, Case.chapter_id == Chapter.id)
             .group_by(Series.name, Chapter.id, Chapter.name, Chapter.position)
             .order_by(Series.name, Chapter.position))
    return [{k: (v or 0) if k in counts else v for k, v in dict(r).items()}
            for r in session.execute(query).mappings()]


def sorted_sources(sources: dict) -> list[tuple[str, int]]:
    """Read sources in WeChat's usual order, unknown names last."""
    known = [(name, int(sources.get(name) or 0)) for name in SOURCE_ORDER if name in sources]
    extra = [(name, int(v or 0)) for name, v in sources.items() if name not in SOURCE_ORDER]
    return known + extra
