"""Which articles' comments wxpub follows: one ``CommentArticle`` per article of every release that
went out (state ``published`` with a ``msg_data_id``), made lazily by the pull — the publishing
pipeline does not change. Idempotent: a release already followed is skipped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.models import COMMENT_POLICIES, Article, CommentArticle, Release, Series


def _policy(series: Series | None) -> dict:
    name = getattr(series, "comment_policy", None) or "everyone"
    return COMMENT_POLICIES.get(name, COMMENT_POLICIES["everyone"])[1]


def follow_published(session: Session, *, now: datetime) -> list[CommentArticle]:
    """Add a ``CommentArticle`` for every article of every published release not followed yet
    (flushes; the caller commits). Returns the new rows. Three queries whatever the count."""
    followed = select(CommentArticle.release_id).where(CommentArticle.release_id.is_not(None))
    releases = list(session.scalars(select(Release).where(
        Release.state == "published", Release.msg_data_id.is_not(None), Release.msg_data_id != "",
        Release.sent_version_id.is_not(None), Release.id.not_in(followed)).order_by(Release.id)))
    if not releases:
        return []
    version_ids = {r.sent_version_id for r in releases}
    articles: dict[int, list[Article]] = {}
    for article in session.scalars(select(Article).where(Article.message_version_id.in_(version_ids))
                                   .order_by(Article.message_version_id, Article.idx)):
        articles.setdefault(article.message_version_id, []).append(article)
    series = {s.id: s for s in session.scalars(select(Series).where(
        Series.id.in_({r.series_id for r in releases})))}
    # A msg_data_id already followed (e.g. a release re-recorded by hand) is not followed twice.
    known = {(a, m, i) for a, m, i in session.execute(select(
        CommentArticle.account_id, CommentArticle.msg_data_id, CommentArticle.article_index).where(
        CommentArticle.msg_data_id.in_({r.msg_data_id for r in releases})))}
    made = []
    for release in releases:
        policy = _policy(series.get(release.series_id))
        urls = list(release.article_urls or [])
        for position, article in enumerate(articles.get(release.sent_version_id, [])):
            key = (release.account_id, str(release.msg_data_id), position)
            if key in known:
                continue
            known.add(key)
            row = CommentArticle(
                account_id=release.account_id, release_id=release.id, series_id=release.series_id,
                chapter_id=release.chapter_id, msg_data_id=str(release.msg_data_id),
                article_index=position, title=article.title[:200],
                url=(urls[position] if position < len(urls) and urls[position] else "")[:1024],
                comments_open=bool(policy["need_open_comment"]),
                only_fans=bool(policy["only_fans_can_comment"]),
                published_at=release.published_at or now, created_at=now)
            session.add(row)
            made.append(row)
    session.flush()
    return made
