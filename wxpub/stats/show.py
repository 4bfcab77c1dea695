"""``wxpub stats show``: the latest figures of every article as one JSON-ready dict."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.infra.clock import format_local
from wxpub.models import StatArticleDaily
from wxpub.stats import queries as q


def articles_document(session: Session) -> dict:
    """``{"articles": [...], "freshness": {...}}``: cumulative figures, sources and daily rows."""
    rows = q.article_rows(session, order="date")
    daily: dict[str, list] = defaultdict(list)
    for msgid, day, reads, shares in session.execute(
            select(StatArticleDaily.msgid, StatArticleDaily.stat_date, StatArticleDaily.read_user,
                   StatArticleDaily.share_user)
            .order_by(StatArticleDaily.msgid, StatArticleDaily.stat_date)):
        daily[msgid].append({"date": day.isoformat(), "read_user": reads, "share_user": shares})
    articles = []
    for row in rows:
        articles.append({
            "msgid": row["msgid"], "title": row["title"], "series": row["series"],
            "chapter": row["chapter"], "release_id": row["release_id"],
            "publish_date": row["publish_date"].isoformat() if row["publish_date"] else None,
            "publish_type": row["publish_type"],
            **{f: row[f] for f in q.FIGURES}, "like_user": row["like_user"],
            "comment_count": row["comment_count"], "read_finish_rate": row["read_finish_rate"],
            "is_delay": row["is_delay"], "sources": row["sources"] or {},
            "daily": daily.get(row["msgid"], [])})
    fresh = q.freshness(session)
    return {"articles": articles, "freshness": {
        "last_pull": fresh["last_pull"].isoformat() if fresh["last_pull"] else None,
        "last_pull_beijing": format_local(fresh["last_pull"]) if fresh["last_pull"] else None,
        "latest_day": fresh["latest_day"].isoformat() if fresh["latest_day"] else None,
        "delayed_articles": fresh["delayed_articles"]}}
