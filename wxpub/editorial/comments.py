"""Review comments (审核意见): remarks anchored to a case and paragraph of one exact message version,
threaded, and closed by 标为已解决.

* ``add`` writes a thread's first comment (anchored: article, case, paragraph, the preview's
  element id, the words quoted) or a reply (``parent_id``: it joins the thread's root and inherits
  its anchor). The version must be the message's current one and not out of date: a comment on
  what a person no longer sees would point at the wrong words.
* ``resolve`` closes a thread (or reopens it); its author or any editor may.
* ``threads`` lists a version's threads in document order, for the pages and the API.

An open thread keeps the last stage from being approved (``chain.open_comments``; ``review.sign``
refuses with code ``comments``). Each use case is one transaction with its audit row.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, Forbidden, NotFound, ValidationError
from wxpub.core.lint import Location
from wxpub.editorial import chain, review
from wxpub.infra.clock import local
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import AuditEntry, MessageVersion, ReviewComment, User

COMMENT_ROLES = ("editor", "proofreader", "reviewer", "approver")
RESOLVE_ROLES = ("editor",)      # besides the thread's author
MAX_BODY = 2000
MAX_QUOTE = 300
_ANCHOR = re.compile(r"[A-Za-z0-9_-]{0,100}")
# The part of an article a paragraph without a case belongs to (from the preview's element id).
_SECTIONS = (("-intro-", 0, "导语"), ("-note-", 2, "参考链接"), ("-footer-", 3, "文末"))


class CommentInvalid(ValidationError):
    """A comment field that cannot be accepted; ``field`` names it (body, article, case, …)."""

    def __init__(self, message: str, field: str):
        super().__init__(message, code="invalid")
        self.field = field


def describe(article: int | None, case: int | None, paragraph: int | None, anchor: str = "") -> str:
    """Where a comment is, as staff read it: "第1篇 · 案例03 · 第2段", "第1篇 · 导语 · 第1段"."""
    if case is None and paragraph is None and anchor.endswith("-title"):
        return Location(article, field="title").describe()
    where = Location(article, case, paragraph).describe()
    if case is None and paragraph is not None:
        for marker, _rank, name in _SECTIONS:
            if marker in anchor:
                head, _, tail = where.rpartition(" · ")
                return f"{head} · {name} · {tail}" if head else f"{name} · {tail}"
    return where


def _order(row: ReviewComment) -> tuple:
    """Document order: the whole message first, then per article its 导语, cases, 参考链接, 文末."""
    rank = 1 if row.case is not None else next(
        (r for marker, r, _ in _SECTIONS if marker in (row.anchor or "")), 0)
    return (-1 if row.article is None else row.article, rank, row.case or 0, row.paragraph or 0,
            row.at, row.id)


def _commenter(session: Session, by: str | None) -> User:
    """The enabled account that comments; admins (IT) do not take part in the review."""
    user = review.signer(session, by)
    if user.role not in COMMENT_ROLES:
        raise Forbidden("管理员负责系统维护，不参与审核，不能写或处理审核意见", code="role")
    return user


def _number(value, field: str, what: str, low: int, high: int | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise CommentInvalid(f"{what}应为整数，而不是 {value!r}", field) from None
    if number < low or (high is not None and number > high):
        limit = f"{low}–{high}" if high is not None else f"不小于 {low}"
        raise CommentInvalid(f"{what}超出范围（{limit}）：{number}", field)
    return number


def _body(body) -> str:
    text = (body or "").strip() if isinstance(body, str) or body is None else None
    if text is None:
        raise CommentInvalid("意见内容（body）应为文字", "body")
    if not text:
        raise CommentInvalid("意见内容（body）不能为空", "body")
    if len(text) > MAX_BODY:
        raise CommentInvalid(f"意见内容（body）太长：最多 {MAX_BODY} 字，现有 {len(text)} 字", "body")
    return text


def _root(session: Session, comment: ReviewComment) -> ReviewComment:
    while comment.parent_id is not None:
        comment = session.get(ReviewComment, comment.parent_id)
    return comment


def add(session: Session, message_id: int, *, version_hash: str, body: str, by: str, now: datetime,
        article: int | None = None, case: int | None = None, paragraph: int | None = None,
        anchor: str = "", quote: str = "", parent_id: int | None = None) -> ReviewComment:
    """``by``'s comment on the message's current version (which must be ``version_hash``): a new
    thread at ``article``/``case``/``paragraph`` (``anchor``: the preview's element id, ``quote``:
    the words commented on), or a reply to thread ``parent_id``; one commit."""
    return commit_or_roll_back(session, lambda: _add(
        session, message_id, version_hash=version_hash, body=body, by=by, now=now, article=article,
        case=case, paragraph=paragraph, anchor=anchor, quote=quote, parent_id=parent_id))


def _add(session, message_id, *, version_hash, body, by, now, article, case, paragraph, anchor,
         quote, parent_id) -> ReviewComment:
    message = review.get_message(session, message_id)
    version = review.current_version(session, message, version_hash)
    user = _commenter(session, by)
    text = _body(body)
    if chain.sealed(session, version.id):
        raise Conflict(f"v{version.version} 的审核已经完成，不能再写意见；如发现问题，请编辑修改后重新生成"
                       "（修改会使这次审核作废，须重新审核）", code="sealed")
    root = None
    if parent_id not in (None, ""):
        parent_number = _number(parent_id, "parent_id", "所回复的意见编号", 1, None)
        parent = session.get(ReviewComment, parent_number)
        if parent is None or parent.message_id != message.id:
            raise NotFound(f"消息 {message.id} 没有编号为 {parent_number} 的意见")
        root = _root(session, parent)
        if root.message_version_id != version.id:
            old = session.get(MessageVersion, root.message_version_id)
            raise Conflict(f"这条意见是对旧版本 v{old.version} 写的，不能在 v{version.version} 中回复；"
                           "请针对当前版本另写一条意见", code="stale_version")
        article, case, paragraph = root.article, root.case, root.paragraph
        anchor, quote = root.anchor, root.quote
    else:
        article = _number(article, "article", "篇序号（article）", 0, len(version.articles) - 1)
        case = _number(case, "case", "案例序号（case）", 1, max(1, len(version.case_version_ids or [])))
        paragraph = _number(paragraph, "paragraph", "段落序号（paragraph）", 0, None)
        anchor = (anchor or "").strip()
        if not _ANCHOR.fullmatch(anchor):
            raise CommentInvalid("预览位置（anchor）只能由字母、数字、- 和 _ 组成，最多 100 个字符", "anchor")
        quote = " ".join((quote or "").split())
        if len(quote) > MAX_QUOTE:
            quote = quote[:MAX_QUOTE - 1] + "…"
    row = ReviewComment(message_id=message.id, message_version_id=version.id,
                        parent_id=root.id if root is not None else None, article=article, case=case,
                        paragraph=paragraph, anchor=anchor, quote=quote, body=text,
                        username=user.username, display_name=user.display_name or user.username, at=now)
    session.add(row)
    session.flush()
    session.add(AuditEntry(at=now, actor=user.username, action="review.comment", object_type="message",
                           object_id=str(message.id), before_sha256=version.sha256,
                           after_sha256=version.sha256,
                           detail={"comment": row.id, "thread": root.id if root is not None else row.id,
                                   "reply": root is not None, "version": version.version,
                                   "where": describe(article, case, paragraph, anchor),
                                   "quote": quote[:100], "body": text[:300]}))
    return row


def resolve(session: Session, comment_id: int, *, by: str, now: datetime,
            reopen: bool = False) -> ReviewComment:
    """Close the thread of ``comment_id`` (标为已解决), or reopen it; the thread's author or any
    editor may; returns the thread's root; one commit."""
    return commit_or_roll_back(session, lambda: _resolve(session, comment_id, by=by, now=now,
                                                         reopen=reopen))


def _resolve(session, comment_id, *, by, now, reopen) -> ReviewComment:
    found = session.get(ReviewComment, comment_id)
    if found is None:
        raise NotFound(f"没有编号为 {comment_id} 的审核意见")
    root = _root(session, found)
    user = _commenter(session, by)
    if user.username != root.username and user.role not in RESOLVE_ROLES:
        raise Forbidden(f"只有提出这条意见的{root.display_name or root.username}或编辑可以"
                        f"{'重新打开' if reopen else '把它标为已解决'}", code="role")
    version = session.get(MessageVersion, root.message_version_id)
    if reopen:
        if root.resolved_at is None:
            raise Conflict("这条意见还没有解决，无需重新打开", code="not_resolved")
        if chain.sealed(session, version.id):
            raise Conflict(f"v{version.version} 的审核已经完成，不能再重新打开意见", code="sealed")
        root.resolved_at, root.resolved_by = None, None
    else:
        if root.resolved_at is not None:
            raise Conflict("这条意见已经标为已解决", code="resolved")
        root.resolved_at, root.resolved_by = now, user.username
    session.flush()
    session.add(AuditEntry(at=now, actor=user.username, action="review.reopen" if reopen else "review.resolve",
                           object_type="message", object_id=str(root.message_id),
                           before_sha256=version.sha256, after_sha256=version.sha256,
                           detail={"comment": root.id, "version": version.version,
                                   "where": describe(root.article, root.case, root.paragraph, root.anchor)}))
    return root


def _iso(value: datetime | None, tz) -> str | None:
    return local(value, tz).isoformat(timespec="seconds") if value is not None else None


def threads(session: Session, version_id: int, tz) -> list[dict]:
    """The version's threads in document order (then time), each with its replies (oldest first)."""
    rows = list(session.scalars(select(ReviewComment).where(ReviewComment.message_version_id == version_id)
                                .order_by(ReviewComment.at, ReviewComment.id)))
    names = {r.username: r.display_name or r.username for r in rows}
    resolvers = {r.resolved_by for r in rows if r.resolved_by} - set(names)
    if resolvers:
        names.update({u.username: u.display_name or u.username for u in session.scalars(
            select(User).where(User.username.in_(resolvers)))})
    replies: dict[int, list[dict]] = {}
    for row in rows:
        if row.parent_id is not None:
            replies.setdefault(row.parent_id, []).append(
                {"id": row.id, "body": row.body, "by": row.username, "name": row.display_name or row.username,
                 "at": _iso(row.at, tz)})
    out = []
    for row in sorted((r for r in rows if r.parent_id is None), key=_order):
        out.append({"id": row.id, "article": row.article, "case": row.case, "paragraph": row.paragraph,
                    "anchor": row.anchor or "", "where": describe(row.article, row.case, row.paragraph, row.anchor),
                    "quote": row.quote or "", "body": row.body, "by": row.username,
                    "name": row.display_name or row.username, "at": _iso(row.at, tz),
                    "resolved": row.resolved_at is not None, "resolved_by": row.resolved_by,
                    "resolved_by_name": names.get(row.resolved_by, row.resolved_by) if row.resolved_by else None,
                    "resolved_at": _iso(row.resolved_at, tz), "replies": replies.get(row.id, [])})
    return out
