"""Pull readers' comments from WeChat (``comment/list``) and store what changed.

Three phases, so no transaction is open while WeChat is called:

1. read — follow newly published articles (``articles.follow_published``), commit, and note what to
   pull: every followed article with comments open (or the one asked for);
2. fetch — page through ``comment/list`` (begin 0, count 49, until ``total``) for each article;
   88000 (comments not open) means they were closed elsewhere (the MP web UI) — not an error;
   any other failure is kept for that article, and the others are still pulled;
3. store — one transaction: new comments inserted, 精选 and replies taken as WeChat lists them (a
   reply made in the MP web UI is taken as is, ``reply_by`` None), comments no longer listed marked
   deleted (by "微信后台或读者本人").

Then the overdue check (``overdue.check_overdue``) runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wxpub.comments import articles as following
from wxpub.comments.listing import error_text, fetch_all
from wxpub.core.errors import NotFound, WxpubError
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Account, CommentAction, CommentArticle, ReaderComment
from wxpub.wechat.errors import WeChatError

log = logging.getLogger("wxpub.comments.pull")
DELETED_ELSEWHERE = "微信后台或读者本人"


@dataclass
class PullReport:
    """What one pull did: articles pulled, comments new / updated / deleted, articles that failed
    (``errors``: article id → Chinese reason with rid) or turned out closed."""

    articles: int = 0
    new: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    closed: int = 0
    followed: int = 0
    errors: dict[int, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One line in Chinese for the CLI, a flash message or a log."""
        text = (f"拉取了 {self.articles} 篇文章的留言：新留言 {self.new} 条，更新 {self.updated} 条，"
                f"已删除 {self.deleted} 条")
        if self.closed:
            text += f"；{self.closed} 篇文章的留言已在别处关闭"
        if self.failed:
            text += f"；{self.failed} 篇文章拉取失败"
        return text + "。"


@dataclass
class _Fetched:
    article_id: int
    started_at: datetime
    comments: list[dict] | None = None
    closed: bool = False
    error: str | None = None


def _utc(seconds) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc)


def _targets(rt, article_id: int | None) -> tuple[list[tuple[int, str, int]], int]:
    now = rt.clock.now()
    with rt.db.session() as session:
        followed = commit_or_roll_back(session, lambda: following.follow_published(session, now=now))
        query = select(CommentArticle.id, CommentArticle.msg_data_id, CommentArticle.article_index,
                       CommentArticle.account_id)
        if article_id is not None:
            if session.get(CommentArticle, article_id) is None:
                raise NotFound(f"没有编号为 {article_id} 的留言文章")
            query = query.where(CommentArticle.id == article_id)
        query = query.where(CommentArticle.comments_open.is_(True)).order_by(CommentArticle.id)
        rows = [tuple(row) for row in session.execute(query)]
        targets = [(ident, msg_data_id, index, _facade(rt, session, account_id))
                   for ident, msg_data_id, index, account_id in rows]
        # a disabled account is not pulled (its comments stay as they were last seen)
        return [target for target in targets if target[3] is not None], len(followed)


def _facade(rt, session, account_id: int):
    """The account's WeChat facade, the reason there is none (an unreadable secret), or None for
    a disabled account."""
    account = session.get(Account, account_id)
    if not account.enabled:
        return None
    try:
        return rt.wechat_for(account)
    except WxpubError as error:
        return error.message


def pull(rt, *, article_id: int | None = None) -> PullReport:
    """Pull the comments of every followed article with comments open (or of ``article_id``) and
    store them; then run the overdue check. Returns what changed."""
    targets, followed = _targets(rt, article_id)
    fetched = []
    for ident, msg_data_id, index, wechat in targets:
        item = _Fetched(ident, rt.clock.now())
        if isinstance(wechat, str):
            item.error = wechat
            fetched.append(item)
            continue
        try:
            item.comments = fetch_all(wechat, msg_data_id, index)
        except WeChatError as error:
            if error.errcode == 88000:
                item.closed = True
            else:
                item.error = error_text(error)
                log.warning("comment/list of article %s failed: %s", ident, item.error)
        fetched.append(item)
    for attempt in (1, 2):
        report = PullReport(articles=len(fetched), followed=followed)
        try:
            with rt.db.session() as session:
                commit_or_roll_back(session, lambda: _store(session, fetched, report, rt.clock.now()))
            break
        except IntegrityError:
            # A pull running at the same time stored the same new comments first: merge again
            # against what it stored (the second time finds them and only updates).
            if attempt == 2:
                raise
    from wxpub.comments.overdue import check_overdue
    check_overdue(rt)
    return report


def _busy_comments(session: Session, article_ids: list[int], since: datetime) -> set[int]:
    """Comments with an action pending or finished since the fetch began: what WeChat listed may
    predate it, so the pull leaves them as the action made them."""
    return set(session.scalars(select(CommentAction.comment_id).where(
        CommentAction.article_id.in_(article_ids), CommentAction.comment_id.is_not(None),
        or_(CommentAction.status == "pending", CommentAction.finished_at >= since))))


def _store(session: Session, fetched: list[_Fetched], report: PullReport, now: datetime) -> None:
    ids = [f.article_id for f in fetched]
    if not ids:
        return
    articles = {a.id: a for a in session.scalars(select(CommentArticle).where(CommentArticle.id.in_(ids)))}
    stored: dict[int, dict[str, ReaderComment]] = {}
    for row in session.scalars(select(ReaderComment).where(ReaderComment.article_id.in_(ids))):
        stored.setdefault(row.article_id, {})[row.user_comment_id] = row
    busy = _busy_comments(session, ids, min(f.started_at for f in fetched))
    for item in fetched:
        article = articles.get(item.article_id)
        if article is None:
            continue
        if item.error is not None:
            article.pull_error = item.error[:2000]
            report.failed += 1
            report.errors[article.id] = item.error
            continue
        article.pull_error = None
        if item.closed:
            article.comments_open = False
            report.closed += 1
            continue
        article.pulled_at = now
        _merge(session, article, stored.get(article.id, {}), item.comments or [], busy, report, now)


def _merge(session: Session, article: CommentArticle, known: dict[str, ReaderComment],
           listed: list[dict], busy: set[int], report: PullReport, now: datetime) -> None:
    seen = set()
    for item in listed:
        key = str(item.get("user_comment_id"))
        seen.add(key)
        reply = item.get("reply") or None
        if reply is not None and not (reply.get("content") or "").strip():
            reply = None
        elected = int(item.get("comment_type") or 0) == 1
        row = known.get(key)
        if row is None:
            row = ReaderComment(article_id=article.id, user_comment_id=key,
                                openid=str(item.get("openid") or "")[:64],
                                content=str(item.get("content") or ""),
                                created_at=_utc(item.get("create_time") or 0), elected=elected,
                                first_seen_at=now)
            if reply is not None:
                row.reply_content = reply["content"]
                row.reply_at = row.first_reply_at = _utc(reply.get("create_time") or 0)
            session.add(row)
            report.new += 1
            continue
        if row.id in busy:
            continue
        changed = False
        if row.deleted_at is not None:
            # Listed again: it was not deleted after all (e.g. a failed delete recorded by hand).
            row.deleted_at = row.deleted_by = None
            changed = True
        if row.elected != elected:
            row.elected, changed = elected, True
        if reply is not None and row.reply_content != reply["content"]:
            row.reply_content = reply["content"]
            row.reply_at = _utc(reply.get("create_time") or 0)
            row.reply_by = None  # replied in the MP web UI
            if row.first_reply_at is None:
                row.first_reply_at = row.reply_at
            changed = True
        elif reply is None and row.reply_content is not None:
            row.reply_content = row.reply_at = row.reply_by = None  # deleted elsewhere
            changed = True
        report.updated += changed
    for key, row in known.items():
        if key not in seen and row.deleted_at is None and row.id not in busy:
            row.deleted_at, row.deleted_by = now, DELETED_ELSEWHERE
            report.deleted += 1
