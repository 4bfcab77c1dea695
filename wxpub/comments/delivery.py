"""Sending a requested comment action to WeChat, exactly once, and recording what happened.

``deliver`` claims the action's outbox row with a conditional UPDATE (as the outbox does), so two
deliverers never send the same action and a settled one is never sent again; the WeChat call runs
with no transaction open. The outcome: ``sent`` (applied to the local rows: the reply, 精选, the
deletion, comments open or closed) or ``failed`` (WeChat's code, the Chinese explanation, the rid).

Exactly once for replies: WeChat accepts one author reply per comment. When the connection broke
after the call may have arrived, or WeChat answers 88005 (already replied), the comment is read back
with ``comment/list``: our text there means the reply went out (``sent``); no reply means it never
arrived, and the outbox retries with backoff; someone else's reply (the MP web UI) is taken as is
and the action fails with 88005. A transient failure before arrival is simply retried. The other
kinds are idempotent at WeChat (a delete that finds the comment gone — 88008 — is done).
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from wxpub.comments.listing import error_text, fetch_all, find
from wxpub.core.errors import WxpubError
from wxpub.models import Account, CommentAction, CommentArticle, OutboxMessage, ReaderComment
from wxpub.wechat.errors import TransientWeChatError, WeChatError

log = logging.getLogger("wxpub.comments.delivery")
KIND = "comment_action"
CLAIM = timedelta(seconds=60)
MAX_ATTEMPTS = 6
CALLS = {"reply": "reply", "delete_reply": "delete_reply", "elect": "markelect",
         "unelect": "unmarkelect", "delete": "delete", "open": "open", "close": "close"}


class _Retry(Exception):
    """Not settled: try again later (the reason, in Chinese)."""


def deliver(rt, action_id: int, worker: str | None = None) -> str:
    """Send one requested action now unless another deliverer has it or it is settled; returns its
    status: ``sent``, ``failed`` or ``pending`` (to be retried by the outbox job)."""
    worker = worker or f"direct-{uuid.uuid4().hex[:12]}"  # each caller its own claim
    now = rt.clock.now()
    with rt.db.session() as session:
        row_id = session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.kind == KIND, OutboxMessage.target == f"{KIND}:{action_id}"))
        won = row_id is not None and session.execute(update(OutboxMessage).where(
            OutboxMessage.id == row_id, OutboxMessage.delivered_at.is_(None),
            OutboxMessage.gave_up_at.is_(None), OutboxMessage.next_try_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
            .values(claimed_by=worker, claimed_until=now + CLAIM)
            .execution_options(synchronize_session=False)).rowcount == 1
        session.commit()
    if won:
        deliver_claimed(rt, row_id, worker)
    with rt.db.session() as session:
        action = session.get(CommentAction, action_id)
        return action.status if action is not None else "failed"


def deliver_claimed(rt, row_id: int, worker: str) -> int:
    """Deliver the action of outbox row ``row_id`` claimed by ``worker``; 1 when it is settled (sent
    or failed), 0 when it will be tried again (or the row was not this worker's)."""
    with rt.db.session() as session:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.claimed_by != worker:
            return 0
        action = session.get(CommentAction, int((row.payload or {}).get("action_id") or 0))
        if action is None or action.status != "pending":
            _settle(row, rt.clock.now(), delivered=True)
            session.commit()
            return 1
        article = session.get(CommentArticle, action.article_id)
        comment = session.get(ReaderComment, action.comment_id) if action.comment_id else None
        target = (article.msg_data_id, article.article_index,
                  comment.user_comment_id if comment is not None else None)
        try:  # the article's own account answers for its comments
            wechat = rt.wechat_for(session.get(Account, article.account_id))
        except WxpubError as error:  # its credentials cannot be read: keep the request
            wechat = error
        session.commit()  # nothing is held while WeChat is called
        try:
            if isinstance(wechat, WxpubError):
                raise _Retry(wechat.message)
            outcome = _call(wechat, action.kind, target, action.text)
        except _Retry as retry:
            settled = _retry(rt, session, row, action, str(retry), worker)
            session.commit()
            return settled
        except WeChatError as error:
            outcome = error
        except Exception as error:  # a bug or the network stack: keep the request, try again later
            log.exception("comment action %s failed unexpectedly", action.id)
            session.rollback()
            settled = _retry(rt, session, row, action, f"系统内部错误（{type(error).__name__}）", worker)
            session.commit()
            return settled
        session.refresh(row)
        if row.claimed_by != worker:
            return 0  # our claim ran out and another deliverer took the row
        now = rt.clock.now()
        if isinstance(outcome, WeChatError):
            _fail(row, action, article, comment, outcome, now)
            session.commit()
            log.warning("comment action %s (%s) failed: %s", action.id, action.kind, action.error_message)
            return 1
        _apply(action, article, comment, outcome, now)
        action.status, action.finished_at = "sent", now
        action.error_code = action.error_message = action.rid = None
        _settle(row, now, delivered=True)
        session.commit()
        return 1


def _call(wechat, kind: str, target: tuple, text: str) -> dict | None:
    """Make the call; returns what to apply locally (a reply someone else made, for a reply that
    turned out to be there already), raises ``WeChatError`` to fail, ``_Retry`` to retry."""
    msg_data_id, index, user_comment_id = target
    api = wechat.comment
    try:
        if kind in ("open", "close"):
            getattr(api, kind)(msg_data_id, index)
        elif kind == "reply":
            api.reply(msg_data_id, index, user_comment_id, text)
        else:
            getattr(api, CALLS[kind])(msg_data_id, index, user_comment_id)
        return None
    except TransientWeChatError as error:
        if kind != "reply" or not error.maybe_applied:
            raise _Retry(error_text(error)) from error
        return _read_back(wechat, target, text, error)
    except WeChatError as error:
        if kind == "reply" and error.errcode == 88005:
            return _read_back(wechat, target, text, error)
        if kind == "delete" and error.errcode == 88008:
            return None  # already gone: what was asked for is true
        raise


def _read_back(wechat, target: tuple, text: str, error: WeChatError) -> dict | None:
    """After a reply that may have arrived (or 88005): is our reply there?"""
    msg_data_id, index, user_comment_id = target
    try:
        item = find(fetch_all(wechat, msg_data_id, index), user_comment_id)
    except WeChatError as again:
        raise _Retry(f"回复可能已发出，核对时读取留言失败：{error_text(again)}") from again
    reply = (item or {}).get("reply") or {}
    if (reply.get("content") or "").strip() == text.strip():
        return None  # ours: the reply went out
    if reply.get("content"):
        error.elsewhere = reply  # someone replied in the MP web UI: take theirs, fail ours
        raise error
    if error.errcode == 88005:
        raise error
    raise _Retry(f"与微信的连接在发送途中中断，核对后确认回复尚未发出，将自动重试（{error_text(error)}）")


def _utc(seconds) -> datetime:
    return datetime.fromtimestamp(int(seconds or 0), tz=timezone.utc)


def _apply(action: CommentAction, article: CommentArticle, comment: ReaderComment | None,
           outcome, now: datetime) -> None:
    kind = action.kind
    if kind in ("open", "close"):
        article.comments_open = kind == "open"
    elif kind == "reply":
        comment.reply_content, comment.reply_at, comment.reply_by = action.text, now, action.requested_by
        comment.first_reply_at = comment.first_reply_at or now
    elif kind == "delete_reply":
        comment.reply_content = comment.reply_at = comment.reply_by = None
    elif kind in ("elect", "unelect"):
        comment.elected = kind == "elect"
    elif kind == "delete":
        comment.deleted_at, comment.deleted_by = now, action.requested_by


def _fail(row: OutboxMessage, action: CommentAction, article: CommentArticle,
          comment: ReaderComment | None, error: WeChatError, now: datetime) -> None:
    """Record a refusal on the action, the outbox row and what it tells of the comment (the caller
    commits)."""
    action.status, action.finished_at = "failed", now
    action.error_code, action.error_message, action.rid = error.errcode, error_text(error)[:2000], error.rid
    if error.errcode == 88000:
        article.comments_open = False  # closed elsewhere
    elsewhere = getattr(error, "elsewhere", None)
    if elsewhere and comment is not None:
        comment.reply_content, comment.reply_by = elsewhere.get("content"), None
        comment.reply_at = _utc(elsewhere.get("create_time"))
        comment.first_reply_at = comment.first_reply_at or comment.reply_at
    if error.errcode in (88004, 88008) and comment is not None and action.kind != "delete":
        comment.deleted_at, comment.deleted_by = comment.deleted_at or now, comment.deleted_by or "微信后台或读者本人"
    _settle(row, now, delivered=False, error=action.error_message)


def _settle(row: OutboxMessage, now: datetime, *, delivered: bool, error: str | None = None) -> None:
    row.attempts += 1
    row.claimed_by = row.claimed_until = None
    if delivered:
        row.delivered_at = now
    else:
        row.gave_up_at = now
        row.last_error = (error or "")[:500]


def _retry(rt, session: Session, row: OutboxMessage, action: CommentAction, message: str,
           worker: str) -> int:
    """Give the row back for a later try, or give up after MAX_ATTEMPTS (the caller commits); 1 when
    settled, 0 otherwise."""
    now = rt.clock.now()
    session.refresh(row)
    if row.claimed_by != worker:
        return 0  # our claim ran out and another deliverer took the row
    if row.attempts + 1 >= MAX_ATTEMPTS:
        action.status, action.finished_at = "failed", now
        action.error_message = f"多次重试仍未完成：{message}"[:2000]
        _settle(row, now, delivered=False, error=message)
        return 1
    row.attempts += 1
    row.claimed_by = row.claimed_until = None
    row.last_error = message[:500]
    delay = random.uniform(0.5, 1.0) * min(3600, 5 * 2 ** row.attempts)
    row.next_try_at = now + timedelta(seconds=delay)
    action.error_message = (f"第 {row.attempts} 次发送没有成功，系统会在约 {max(1, round(delay / 60))} 分钟后"
                            f"自动重试。原因：{message}")[:2000]
    return 0
