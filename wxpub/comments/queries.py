"""What the pages, the API, the CLI and the dashboard show of readers' comments.

Every function runs a fixed number of queries whatever the number of comments (no N+1): the menu and
the dashboard call ``counts`` on every page.

Row of ``inbox`` / ``article_comments`` (a dict): ``id``, ``article`` {id, title, msg_data_id, index,
url, chapter, chapter_id, series, series_id, comments_open}, ``content``, ``openid``, ``reader``
(openid shortened), ``created_at`` (aware, Beijing time), ``created_text`` ("2026-12-01 09:30"),
``age_hours`` (float), ``age`` ("3 小时", "2 天"), ``elected``, ``reply`` {content, at (Beijing),
by} or None, ``state`` (unanswered | answered | deleted), ``deleted_by``, ``overdue``,
``pending_action`` / ``failed_action`` {id, kind, kind_name, status, error, rid, requested_by} or None.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from wxpub.infra.clock import SHANGHAI, as_utc, local
from wxpub.models import Chapter, CommentAction, CommentArticle, ReaderComment, Series

STATES = ("unanswered", "all")
STATE_NAMES = {"unanswered": "待回复", "answered": "已回复", "deleted": "已删除"}
KIND_NAMES = {"reply": "回复留言", "delete_reply": "删除回复", "elect": "设为精选", "unelect": "取消精选",
              "delete": "删除留言", "open": "打开留言", "close": "关闭留言"}
DEFAULT_ANSWER_HOURS = 24.0


def age_text(created_at: datetime, now: datetime) -> str:
    """How long ago, in Chinese: "刚刚", "15 分钟", "3 小时", "2 天"."""
    seconds = max(0.0, (as_utc(now) - as_utc(created_at)).total_seconds())
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)} 分钟"
    if seconds < 86400:
        return f"{int(seconds // 3600)} 小时"
    return f"{int(seconds // 86400)} 天"


def shorten_openid(openid: str) -> str:
    """A reader as staff see them: enough of the openid to tell two readers apart, not the whole."""
    openid = openid or ""
    return openid if len(openid) <= 10 else f"{openid[:6]}…{openid[-4:]}"


def _unanswered():
    return and_(ReaderComment.deleted_at.is_(None), ReaderComment.reply_content.is_(None))


def _base():
    return (select(ReaderComment, CommentArticle, Chapter.name, Series.name)
            .join(CommentArticle, CommentArticle.id == ReaderComment.article_id)
            .outerjoin(Chapter, Chapter.id == CommentArticle.chapter_id)
            .outerjoin(Series, Series.id == CommentArticle.series_id))


def _action_dict(action: CommentAction | None) -> dict | None:
    if action is None:
        return None
    return {"id": action.id, "kind": action.kind, "kind_name": KIND_NAMES.get(action.kind, action.kind),
            "status": action.status, "error": action.error_message, "rid": action.rid,
            "requested_by": action.requested_by}


def _latest_actions(session: Session, comment_ids: list[int]) -> dict[int, CommentAction]:
    if not comment_ids:
        return {}
    latest = {}
    for action in session.scalars(select(CommentAction).where(CommentAction.comment_id.in_(comment_ids))
                                  .order_by(CommentAction.id)):
        latest[action.comment_id] = action
    return latest


def _state(row: ReaderComment) -> str:
    if row.deleted_at is not None:
        return "deleted"
    return "answered" if row.reply_content is not None else "unanswered"


def _rows(session: Session, found, now: datetime, tz: ZoneInfo, answer_hours: float) -> list[dict]:
    actions = _latest_actions(session, [c.id for c, *_ in found])
    out = []
    for comment, article, chapter, series in found:
        created = as_utc(comment.created_at)
        age_hours = max(0.0, (as_utc(now) - created).total_seconds() / 3600)
        action = actions.get(comment.id)
        state = _state(comment)
        reply = None
        if comment.reply_content is not None:
            reply = {"content": comment.reply_content, "by": comment.reply_by,
                     "at": local(comment.reply_at, tz) if comment.reply_at else None}
        out.append({
            "id": comment.id, "user_comment_id": comment.user_comment_id,
            "article": {"id": article.id, "title": article.title, "msg_data_id": article.msg_data_id,
                        "index": article.article_index, "url": article.url, "chapter": chapter or "",
                        "chapter_id": article.chapter_id, "series": series or "",
                        "series_id": article.series_id, "comments_open": article.comments_open},
            "content": comment.content, "openid": comment.openid, "reader": shorten_openid(comment.openid),
            "created_at": local(created, tz), "created_text": local(created, tz).strftime("%Y-%m-%d %H:%M"),
            "age_hours": round(age_hours, 1), "age": age_text(created, now), "elected": comment.elected,
            "reply": reply, "state": state, "state_name": STATE_NAMES[state],
            "deleted_by": comment.deleted_by,
            "overdue": state == "unanswered" and age_hours >= answer_hours,
            "pending_action": _action_dict(action if action is not None and action.status == "pending"
                                           else None),
            "failed_action": _action_dict(action if action is not None and action.status == "failed"
                                          else None)})
    return out


def api_dict(row: dict) -> dict:
    """One row as ``GET /api/v1/comments`` (and ``wxpub comments list --json``) gives it: times ISO
    8601 with +08:00."""
    article, reply = row["article"], row["reply"]
    return {"id": row["id"],
            "article": {"id": article["id"], "title": article["title"], "msg_data_id": article["msg_data_id"],
                        "index": article["index"], "url": article["url"], "chapter": article["chapter"]},
            "content": row["content"], "openid": row["openid"], "created_at": row["created_at"].isoformat(),
            "age_hours": row["age_hours"], "elected": row["elected"],
            "reply": None if reply is None else {"content": reply["content"], "by": reply["by"],
                                                 "at": reply["at"].isoformat() if reply["at"] else None},
            "state": row["state"], "pending_action": row["pending_action"]}


def inbox(session: Session, state: str = "unanswered", *, article_id: int | None = None, limit: int = 200,
          now: datetime | None = None, tz: ZoneInfo = SHANGHAI,
          answer_hours: float = DEFAULT_ANSWER_HOURS) -> list[dict]:
    """The comments inbox: unanswered first (oldest first), then — with ``state="all"`` — the rest
    newest first (answered and deleted); at most ``limit`` rows. Three queries."""
    if state not in STATES:
        from wxpub.core.errors import ValidationError
        raise ValidationError(f"留言状态应为 unanswered（待回复）或 all（全部），而不是“{state}”", code="state")
    now = now or datetime.now(timezone.utc)
    where = [CommentArticle.id == article_id] if article_id is not None else []
    found = list(session.execute(_base().where(_unanswered(), *where)
                                 .order_by(ReaderComment.created_at, ReaderComment.id).limit(limit)))
    if state == "all" and len(found) < limit:
        found += list(session.execute(_base().where(~_unanswered(), *where)
                                      .order_by(ReaderComment.created_at.desc(), ReaderComment.id.desc())
                                      .limit(limit - len(found))))
    return _rows(session, found, now, tz, answer_hours)


def article_comments(session: Session, article_id: int, *, now: datetime | None = None,
                     tz: ZoneInfo = SHANGHAI, answer_hours: float = DEFAULT_ANSWER_HOURS) -> list[dict]:
    """Every comment of one article in the order readers wrote them (deleted ones included)."""
    found = list(session.execute(_base().where(CommentArticle.id == article_id)
                                 .order_by(ReaderComment.created_at, ReaderComment.id)))
    return _rows(session, found, now or datetime.now(timezone.utc), tz, answer_hours)


def get_article(session: Session, article_id: int) -> CommentArticle:
    """One followed article, or ``NotFound``."""
    article = session.get(CommentArticle, article_id)
    if article is None:
        from wxpub.core.errors import NotFound
        raise NotFound(f"没有编号为 {article_id} 的留言文章")
    return article


def articles(session: Session) -> list[dict]:
    """Every followed article, newest publication first, with its comment counts (two queries)."""
    tallies = {aid: (total, waiting) for aid, total, waiting in session.execute(
        select(ReaderComment.article_id, func.count(ReaderComment.id),
               func.count(ReaderComment.id).filter(_unanswered()))
        .group_by(ReaderComment.article_id))}
    out = []
    for article, chapter in session.execute(
            select(CommentArticle, Chapter.name).outerjoin(Chapter, Chapter.id == CommentArticle.chapter_id)
            .order_by(CommentArticle.published_at.desc(), CommentArticle.id.desc())):
        total, waiting = tallies.get(article.id, (0, 0))
        out.append({"id": article.id, "title": article.title, "chapter": chapter or "", "url": article.url,
                    "msg_data_id": article.msg_data_id, "index": article.article_index,
                    "comments_open": article.comments_open, "only_fans": article.only_fans,
                    "published_at": article.published_at, "pulled_at": article.pulled_at,
                    "pull_error": article.pull_error, "comments": total, "unanswered": waiting})
    return out


def counts(session: Session, *, now: datetime | None = None,
           answer_hours: float = DEFAULT_ANSWER_HOURS) -> dict:
    """``{"unanswered": n, "overdue": m}`` — comments waiting for a reply, and those waiting longer
    than ``answer_hours``. One query."""
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(hours=answer_hours)
    waiting, overdue = session.execute(select(
        func.count(ReaderComment.id), func.count(ReaderComment.id).filter(ReaderComment.created_at <= cutoff))
        .where(_unanswered())).one()
    return {"unanswered": int(waiting or 0), "overdue": int(overdue or 0)}


def _tally(rows) -> dict:
    hours = [(as_utc(first) - as_utc(created)).total_seconds() / 3600 for created, first, _ in rows if first]
    answered = sum(1 for _, _, reply in rows if reply is not None)
    return {"comments": len(rows), "answered": answered, "unanswered": len(rows) - answered,
            "median_hours": round(statistics.median(hours), 1) if hours else None}


def reply_times(session: Session, tz: ZoneInfo = SHANGHAI) -> dict:
    """Per chapter and per month (the Beijing month the comment was written): comments (not
    deleted), answered (a reply stands), unanswered, and the median time to the first reply in
    hours (1 decimal; None before any reply). One query."""
    chapters: dict[tuple, list] = {}
    months: dict[str, list] = {}
    for created, first, reply, chapter_id, chapter, series_id, position in session.execute(
            select(ReaderComment.created_at, ReaderComment.first_reply_at, ReaderComment.reply_content,
                   CommentArticle.chapter_id, Chapter.name, CommentArticle.series_id, Chapter.position)
            .join(CommentArticle, CommentArticle.id == ReaderComment.article_id)
            .outerjoin(Chapter, Chapter.id == CommentArticle.chapter_id)
            .where(ReaderComment.deleted_at.is_(None))):
        key = (series_id or 0, position if position is not None else 10**6, chapter_id or 0, chapter or "（无篇章）")
        chapters.setdefault(key, []).append((created, first, reply))
        months.setdefault(local(created, tz).strftime("%Y-%m"), []).append((created, first, reply))
    return {"chapters": [{"chapter_id": key[2] or None, "chapter": key[3], **_tally(rows)}
                         for key, rows in sorted(chapters.items())],
            "months": [{"month": month, **_tally(rows)} for month, rows in sorted(months.items())]}
