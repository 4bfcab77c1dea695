"""What staff do with readers' comments: reply, delete a reply, 精选 / un-精选, delete a comment,
open or close an article's comments — each one use case in one transaction, sent after the commit.

* ``request`` validates (the role, the comment or article, the reply text — not empty, at most 600
  characters, no reply yet, and proofread with the articles' own lint rules: blocking findings
  refuse, warnings are returned), then writes the ``CommentAction`` (pending), an outbox row of kind
  ``comment_action`` and the audit row, and commits once. The same request while one is pending
  gives the pending one (a double click sends once).
* ``deliver`` / ``deliver_claimed`` (``wxpub.comments.delivery``) call WeChat after that commit:
  the web request, the API and the CLI at once, the scheduler's outbox job whatever is left.

This module and delivery must not import ``wxpub.notify`` (the outbox imports them).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.comments.delivery import deliver, deliver_claimed  # noqa: F401 - the outbox's entry point
from wxpub.comments.queries import KIND_NAMES
from wxpub.core.errors import Conflict, Forbidden, NotFound, ValidationError
from wxpub.core.lint import load_lexicon
from wxpub.core.lint.findings import Location
from wxpub.core.lint.rules import check_text
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import (ACTION_KINDS, AuditEntry, CommentAction, CommentArticle, OutboxMessage,
                          ReaderComment, User)
from wxpub.staff.users import ROLE_NAMES

KIND = "comment_action"
MAX_REPLY = 600
#: Who may do what: answering readers is the editors' daily work; removing a reader's words and
#: opening / closing comments are decisions for the approver (admins may do everything).
ROLES = {"reply": ("editor", "approver"), "delete_reply": ("editor", "approver"),
         "elect": ("editor", "approver"), "unelect": ("editor", "approver"),
         "delete": ("approver",), "open": ("approver",), "close": ("approver",)}
STATUS_NAMES = {"pending": "发送中", "sent": "已完成", "failed": "失败"}
ON_ARTICLE = ("open", "close")


def may(user, kind: str) -> bool:
    """True when ``user`` (a ``User`` or anything with ``role``) may ask for ``kind``."""
    role = getattr(user, "role", None)
    return role == "admin" or role in ROLES.get(kind, ())


def _who(session: Session, actor: str, kind: str) -> User:
    user = session.scalar(select(User).where(User.username == (actor or "").strip())) if actor else None
    if user is None:
        raise NotFound(f"没有用户名为“{actor}”的账号" if actor else "没有指定操作人")
    if not user.active:
        raise Forbidden(f"账号“{user.display_name or user.username}”已停用，不能{KIND_NAMES[kind]}")
    if not may(user, kind):
        allowed = "、".join(ROLE_NAMES[r] for r in ROLES[kind]) + "或管理员"
        raise Forbidden(f"当前角色（{ROLE_NAMES.get(user.role, user.role)}）不能{KIND_NAMES[kind]}："
                        f"须由{allowed}操作", code="forbidden")
    return user


def lint_reply(text: str, settings) -> tuple[list, list]:
    """The lint findings of a reply: (blocking, warnings), with the office's lexicon."""
    lexicon = load_lexicon(getattr(settings, "lexicon_file", None) or None)
    findings = check_text(text, Location(field="message"), lexicon)
    return [f for f in findings if f.blocking], [f for f in findings if not f.blocking]


def _check_reply(comment: ReaderComment, text: str, settings) -> tuple[str, list]:
    text = (text or "").strip()
    if not text:
        raise ValidationError("回复内容不能为空", code="reply_empty")
    if len(text) > MAX_REPLY:
        raise ValidationError(f"回复内容 {len(text)} 字，超过微信上限 {MAX_REPLY} 字，请删减",
                              code="reply_too_long")
    if comment.reply_content:
        raise Conflict("已回复，如需修改请先删除原回复", code="already_replied")
    blocking, warnings = lint_reply(text, settings)
    if blocking:
        raise ValidationError("回复未通过审校，不能发送：" + "；".join(f.message for f in blocking),
                              code="reply_lint")
    return text, warnings


def _target(session: Session, kind: str, comment_id, article_id) -> tuple[CommentArticle,
                                                                          ReaderComment | None]:
    if kind in ON_ARTICLE:
        article = session.get(CommentArticle, int(article_id)) if article_id is not None else None
        if article is None:
            raise NotFound(f"没有编号为 {article_id} 的留言文章" if article_id is not None
                           else "没有指定文章")
        return article, None
    comment = session.get(ReaderComment, int(comment_id)) if comment_id is not None else None
    if comment is None:
        raise NotFound(f"没有编号为 {comment_id} 的留言" if comment_id is not None else "没有指定留言")
    if comment.deleted_at is not None:
        raise Conflict(f"这条留言已删除（{comment.deleted_by or '微信后台'}），不能再{KIND_NAMES[kind]}",
                       code="comment_deleted")
    if not comment.article.comments_open:
        raise Conflict(f"文章《{comment.article.title}》的留言已关闭，不能{KIND_NAMES[kind]}："
                       "请先由终审打开留言", code="comments_closed")
    if kind == "delete_reply" and not comment.reply_content:
        raise Conflict("这条留言还没有回复，无需删除", code="no_reply")
    if kind == "elect" and comment.elected:
        raise Conflict("这条留言已是精选", code="already_elected")
    if kind == "unelect" and not comment.elected:
        raise Conflict("这条留言不是精选，无需取消", code="not_elected")
    return comment.article, comment


def request(rt, *, actor: str, kind: str, comment_id: int | None = None, article_id: int | None = None,
            text: str = "", session: Session | None = None) -> CommentAction:
    """Ask for one change (delivered after the commit by ``deliver``). Raises ``ValidationError``,
    ``Forbidden``, ``NotFound`` or ``Conflict`` with a Chinese message; the returned action carries
    ``warnings`` (the reply's non-blocking lint findings, as Chinese strings)."""
    if kind not in ACTION_KINDS:
        raise ValidationError(f"不支持的留言操作：{kind}（可用：{'、'.join(ACTION_KINDS)}）", code="kind")
    if session is None:
        with rt.db.session() as own:
            action = request(rt, actor=actor, kind=kind, comment_id=comment_id, article_id=article_id,
                             text=text, session=own)
            own.expunge(action)
            return action
    now = rt.clock.now()
    user = _who(session, actor, kind)
    article, comment = _target(session, kind, comment_id, article_id)
    warnings = []
    if kind == "reply":
        text, warnings = _check_reply(comment, text, rt.settings)
    else:
        text = ""
    pending = session.scalar(select(CommentAction).where(
        CommentAction.kind == kind, CommentAction.status == "pending",
        CommentAction.article_id == article.id,
        CommentAction.comment_id.is_(None) if comment is None else CommentAction.comment_id == comment.id))
    if pending is not None:
        if pending.text != text:
            raise Conflict("这条留言已有一条回复正在发送，请稍候刷新查看结果", code="reply_pending")
        pending.warnings = [f.message for f in warnings]
        return pending

    def work():
        action = CommentAction(article_id=article.id, comment_id=comment.id if comment else None,
                               kind=kind, text=text, requested_by=user.username, requested_at=now,
                               status="pending")
        session.add(action)
        session.flush()
        session.add(OutboxMessage(kind=KIND, target=f"{KIND}:{action.id}", payload={"action_id": action.id},
                                  created_at=now, next_try_at=now))
        detail = {"action_id": action.id, "article_id": article.id, "title": article.title}
        if comment is not None:
            detail["user_comment_id"] = comment.user_comment_id
        session.add(AuditEntry(
            at=now, actor=user.username[:100], action=f"comment.{kind}",
            object_type="comment" if comment is not None else "comment_article",
            object_id=str(comment.id if comment is not None else article.id),
            after_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None,
            detail=detail))
        return action
    action = commit_or_roll_back(session, work)
    action.warnings = [f.message for f in warnings]
    return action


def actions_of(session: Session, comment_id: int) -> list[CommentAction]:
    """The actions asked for one comment, newest first."""
    return list(session.scalars(select(CommentAction).where(CommentAction.comment_id == comment_id)
                                .order_by(CommentAction.id.desc())))


def status_name(action: CommentAction) -> str:
    """The action's status in Chinese."""
    return STATUS_NAMES.get(action.status, action.status)

