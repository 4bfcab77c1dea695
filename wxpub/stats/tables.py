"""Every table of the dashboard, built from ``queries`` as ``exports.Table`` objects.

``TABLES`` maps an export name to its builder ``(session, month=None, msgid=None) → Table``;
the dashboard shows these tables and ``/dashboard/export/<name>.<fmt>`` downloads them.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core.errors import NotFound
from wxpub.models import StatArticleDaily, StatBizDaily
from wxpub.stats import queries as q
from wxpub.stats.exports import Column as C
from wxpub.stats.exports import Table

FIG_COLUMNS = [C("read_user", "阅读人数", "int"), C("share_user", "分享人数", "int"),
               C("collection_user", "收藏人数", "int"), C("zaikan_user", "在看人数", "int")]


def chapters(session: Session, **_) -> Table:
    """Series overview / chapter comparison."""
    return Table("chapters", "各篇章阅读概况", file_label="篇章阅读概况", columns=
                 [C("series", "系列"), C("chapter", "篇章"), C("articles", "文章数", "int"),
                  *FIG_COLUMNS, C("avg_read", "篇均阅读", "int"),
                  C("read_finish_rate", "完读率", "rate"), C("first_publish", "首发日期", "date"),
                  C("last_publish", "最近发布", "date")],
                 rows=q.chapter_summary(session))


#: How long WeChat keeps changing an article's figures after it went out.
SETTLE_DAYS = 30
PROVISIONAL = "临时，微信可能更新"
DAY_FINAL = "已确定"


def article_status(publish_date: date | None, is_delay: bool, through: date | None,
                   newest: date | None) -> str:
    """What staff should make of an article's figures: provisional, waiting for WeChat's first
    day, settled (more than ``SETTLE_DAYS`` after it went out), or up to date through a day."""
    if is_delay:
        return PROVISIONAL
    if through is None:
        return "等待微信数据"
    if publish_date is not None and newest is not None and (newest - publish_date).days > SETTLE_DAYS:
        return f"超过{SETTLE_DAYS}天，不再统计"
    return f"已更新至 {through:%m-%d}"


def _through(session: Session, msgids: list[str]) -> tuple[dict[str, date], date | None]:
    """The last day with figures per article (of ``msgids``, by the daily table's primary key), and
    the newest day of statistics (the account's overview: one row a day, cheap to ask)."""
    newest = session.scalar(select(func.max(StatBizDaily.ref_date)))
    if not msgids:
        return {}, newest
    found = dict(session.execute(select(StatArticleDaily.msgid, func.max(StatArticleDaily.stat_date))
                                 .where(StatArticleDaily.msgid.in_(msgids))
                                 .group_by(StatArticleDaily.msgid)).all())
    return found, max([newest, *found.values()], default=None, key=lambda d: d or date.min)


def articles(session: Session, month: str | None = None, limit: int | None = None, **_) -> Table:
    """Articles with their latest cumulative figures (a month's, or all by reads). Their msgid is
    in the downloads only; 数据状态 says how far their figures go (``article_status``)."""
    rows = q.article_rows(session, month=month, limit=limit, order="date" if month else "read")
    through, newest = _through(session, [r["msgid"] for r in rows])
    for row in rows:
        row["mode"] = {0: "群发", 1: "发布"}.get(row["publish_type"], "")
        row["delay"] = article_status(row["publish_date"], row["is_delay"], through.get(row["msgid"]),
                                      newest)
        row["chapter"] = row["chapter"] or q.UNLINKED
    title = f"{_month_name(month)}发布的文章" if month else "文章阅读排行"
    return Table("articles", title,
                 [C("publish_date", "发布日期", "date"), C("title", "标题"), C("chapter", "篇章"),
                  C("mode", "方式"), *FIG_COLUMNS, C("like_user", "点赞", "int"),
                  C("comment_count", "留言", "int"), C("read_finish_rate", "完读率", "rate"),
                  C("delay", "数据状态"), C("msgid", "文章编号（msgid）", screen=False)], rows,
                 file_label="文章数据" if month else "文章阅读排行")


def daily(session: Session, msgid: str | None = None, **_) -> Table:
    """One article's figures day by day."""
    detail = q.article_detail(session, msgid or "")
    if detail is None:
        raise NotFound(f"没有这篇文章的统计数据：msgid {msgid!r}")
    rows = [{**d, "read_sources": "、".join(f"{k} {v}" for k, v in q.sorted_sources(
        (d["sources"] or {}).get("read", {}))), "delay": PROVISIONAL if d["is_delay"] else DAY_FINAL}
        for d in detail["daily"]]
    return Table("daily", f"《{detail['stat'].title or msgid}》每日数据",
                 [C("stat_date", "日期", "date"), *FIG_COLUMNS, C("read_sources", "阅读来源"),
                  C("delay", "数据状态")], rows,
                 file_label=f"每日数据-{_short(detail['stat'].title or msgid)}")


def _month_name(month: str) -> str:
    """``"2026-03"`` → ``"2026年3月"``."""
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def _short(title: str, chars: int = 16) -> str:
    """The first ``chars`` characters of an article title, for a file name."""
    return title if len(title) <= chars else title[:chars]


def sources(session: Session, msgid: str | None = None, **_) -> Table:
    """One article's readers by source (cumulative)."""
    detail = q.article_detail(session, msgid or "")
    if detail is None:
        raise NotFound(f"没有这篇文章的统计数据：msgid {msgid!r}")
    items = q.sorted_sources(detail["stat"].sources or {})
    total = sum(v for _, v in items) or 1
    return Table("sources", "阅读来源",
                 [C("source", "来源"), C("read_user", "阅读人数", "int"), C("share", "占比", "rate")],
                 [{"source": k, "read_user": v, "share": v / total} for k, v in items],
                 file_label=f"阅读来源-{_short(detail['stat'].title or msgid or '')}")


def calendar(session: Session, month: str | None = None, **_) -> Table:
    """Releases of a month with state (times in Beijing time)."""
    rows = q.calendar(session, month)
    for row in rows:
        row["state_name"] = q.STATE_NAMES.get(row["state"], row["state"])
        row["mode_name"] = q.MODE_NAMES.get(row["mode"], row["mode"])
    return Table("calendar", f"{month} 发布日历", file_label="发布日历", columns=
                 [C("scheduled_at", "计划时间（北京时间）", "datetime"), C("series", "系列"),
                  C("chapter", "篇章"), C("mode_name", "方式"), C("state_name", "状态"),
                  C("published_at", "实际发出", "datetime"), C("read_user", "阅读人数", "int")], rows=rows)


def account(session: Session, month: str | None = None, **_) -> Table:
    """The account's daily overview in a month."""
    first, following = q.month_bounds(month)
    rows = q.account_days(session, first, following - timedelta(days=1))
    for row in rows:
        row["delay"] = PROVISIONAL if row["is_delay"] else DAY_FINAL
    return Table("account", f"{_month_name(month)}账号每日概况",
                 [C("date", "日期", "date"), *FIG_COLUMNS, C("delay", "数据状态")], rows,
                 file_label="账号每日概况")


def library(session: Session, **_) -> Table:
    """Cases per chapter by curation status."""
    return Table("library", "案例库概况", file_label="案例库概况", columns=
                 [C("series", "系列"), C("chapter", "篇章"), C("selected", "入选", "int"),
                  C("pending", "待定", "int"), C("rejected", "淘汰", "int")],
                 rows=q.library_summary(session))


TABLES = {"chapters": chapters, "articles": articles, "daily": daily, "sources": sources,
          "calendar": calendar, "account": account, "library": library}
