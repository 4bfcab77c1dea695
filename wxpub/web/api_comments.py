"""JSON API of readers' comments (留言) (registered by ``wxpub.web.api``: login required; writes need
the CSRF token and the role of the action — replies and 精选: editor or approver; deleting a comment,
opening or closing comments: approver; admins pass anyway). Times are Beijing ISO 8601 (+08:00).

* ``GET    /api/v1/comments?state=unanswered|all&article=<id>``  ``{"comments": [...], "page", "per_page", "total"}``
  (each: id, article {id, title, msg_data_id, index, url, chapter}, content, openid, created_at,
  age_hours, elected, reply {content, at, by} | null, state unanswered|answered|deleted, pending_action)
* ``POST   /api/v1/comments/<id>/reply`` ``{"text"}`` · ``POST …/<id>/elect`` · ``POST …/<id>/unelect``
* ``DELETE /api/v1/comments/<id>`` (the comment) · ``DELETE /api/v1/comments/<id>/reply`` (the reply)
* ``POST   /api/v1/comment-articles/<id>/open`` · ``…/close``
* ``POST   /api/v1/comments/pull`` (``{"article": id}`` optional) → the pull's report

An action answers ``{"id", "kind", "status", "error", "error_code", "rid", "warnings"}``: 200 when
WeChat took it, 502 when WeChat refused (``error`` in Chinese, with WeChat's ``rid``), 202 while it
waits for an automatic retry; 400 / 403 / 404 / 409 (``{"error": code, "message": 中文}``) for bad input
(a reply with blocking proofreading findings names them), a role that may not, an unknown comment or
article, and a state that forbids it (已回复，如需修改请先删除原回复 …) — nothing is sent then.
(``POST /api/v1/comments/<id>/resolve`` belongs to the reviewers' comments, ``api_review``.)
"""

from __future__ import annotations

from flask import jsonify
from pydantic import Field

from wxpub.comments import actions, queries, service
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor
from wxpub.web.api_schema import Body, Paging, operation, page_of, paged_answer, shape

STATUS_CODES = {"sent": 200, "failed": 502, "pending": 202}
TAG = "读者留言"
INBOX_LIMIT = 10_000  # the inbox's own default is 200 rows; a page needs the whole count
COMMENT = shape({"id": "integer", "article": shape({"id": "integer", "title": "string?", "msg_data_id": "any",
                                                     "index": "integer?", "url": "string?", "chapter": "string?"}),
                 "content": "string", "openid": "string?", "created_at": "string", "age_hours": "number?",
                 "elected": "boolean", "reply": "object?", "state": "string", "pending_action": "any"})
ACTION = shape({"id": "integer", "kind": "string", "status": "string", "error": "string?",
                "error_code": "integer?", "rid": "string?", "warnings": "list"})
ACTION_OTHERS = {202: ("已排队，等待自动重试", ACTION), 502: ("微信拒绝了这个操作（error 为中文说明，rid 为微信的请求编号）", ACTION)}
PULLED = shape({"articles": "integer", "new": "integer", "updated": "integer", "deleted": "integer",
                "failed": "integer", "closed": "integer", "errors": "object", "summary": "string"})


class CommentQuery(Paging):
    """Which comments."""

    state: str = Field("unanswered", description="unanswered（待回复，默认）或 all（全部）")
    article: int | None = Field(None, ge=0, le=999_999_999, description="只看这篇文章（文章编号）的留言")


@operation("读者留言（待回复的在前，分页）", tag=TAG, query=CommentQuery, answer=paged_answer(COMMENT, "comments"))
def list_comments(query: CommentQuery):
    """GET /api/v1/comments — the inbox: unanswered first (oldest first), then the rest newest first."""
    rt = runtime()
    rows = queries.inbox(db_session(), query.state, article_id=query.article, now=rt.clock.now(),
                         tz=rt.settings.tz, answer_hours=rt.settings.comment_answer_hours, limit=INBOX_LIMIT)
    answer = page_of(rows, query, "comments")
    answer["comments"] = [queries.api_dict(r) for r in answer["comments"]]
    return jsonify(answer)


def _act(summary: str, **extra):
    return operation(summary, tag=TAG, answer=ACTION, others=ACTION_OTHERS, errors=(409,), **extra)


class Reply(Body):
    """The office's reply."""

    messages = {"text": "请求体须包含回复内容 text（字符串）", "text.missing": "请求体须包含回复内容 text（字符串）"}
    text: str = Field(description="回复内容（先经校对检查，有阻断性问题时 400）")


class PullWhat(Body):
    """Which article to pull (absent: every article)."""

    messages = {"article": "article 应为文章编号（整数）"}
    article: int | None = Field(None, ge=0, le=2 ** 31 - 1, description="文章编号")


def _answer(kind: str, *, comment_id=None, article_id=None, text: str = ""):
    action = service.act(runtime(), actor=actor(), kind=kind, comment_id=comment_id, article_id=article_id,
                         text=text)
    data = {"id": action.id, "kind": action.kind, "status": action.status,
            "error": action.error_message if action.status != "sent" else None,
            "error_code": action.error_code, "rid": action.rid,
            "warnings": list(getattr(action, "warnings", []))}
    return jsonify(data), STATUS_CODES.get(action.status, 200)


@_act("回复读者留言", body=Reply)
def reply_comment(comment_id: int, body: Reply):
    """POST /api/v1/comments/<id>/reply ``{"text"}``."""
    return _answer("reply", comment_id=comment_id, text=body.text)


@_act("设为精选")
def elect_comment(comment_id: int):
    """POST /api/v1/comments/<id>/elect — 设为精选."""
    return _answer("elect", comment_id=comment_id)


@_act("取消精选")
def unelect_comment(comment_id: int):
    """POST /api/v1/comments/<id>/unelect — 取消精选."""
    return _answer("unelect", comment_id=comment_id)


@_act("删除读者留言")
def delete_comment(comment_id: int):
    """DELETE /api/v1/comments/<id> — delete the reader's comment."""
    return _answer("delete", comment_id=comment_id)


@_act("删除我方回复")
def delete_reply(comment_id: int):
    """DELETE /api/v1/comments/<id>/reply — delete the office's reply."""
    return _answer("delete_reply", comment_id=comment_id)


@_act("打开文章的留言")
def open_comments(article_id: int):
    """POST /api/v1/comment-articles/<id>/open."""
    return _answer("open", article_id=article_id)


@_act("关闭文章的留言")
def close_comments(article_id: int):
    """POST /api/v1/comment-articles/<id>/close."""
    return _answer("close", article_id=article_id)


@operation("立即从微信拉取留言（全部文章，或指定一篇）", tag=TAG, body=PullWhat, body_optional=True, answer=PULLED)
def pull_comments(body: PullWhat | None):
    """POST /api/v1/comments/pull — pull now (every article, or ``{"article": id}``)."""
    from wxpub.comments.pull import pull
    report = pull(runtime(), article_id=body.article if body else None)
    return jsonify({"articles": report.articles, "new": report.new, "updated": report.updated,
                    "deleted": report.deleted, "failed": report.failed, "closed": report.closed,
                    "errors": {str(k): v for k, v in report.errors.items()}, "summary": report.summary()})


def _roles(view, kind: str, what: str) -> None:
    view.write_roles = actions.ROLES[kind]
    allowed = "、".join({"editor": "编辑", "approver": "终审"}[r] for r in actions.ROLES[kind])
    view.forbidden_message = f"不能{what}，请由{allowed}操作"


for _view, _kind in ((reply_comment, "reply"), (elect_comment, "elect"), (unelect_comment, "unelect"),
                     (delete_comment, "delete"), (delete_reply, "delete_reply"), (open_comments, "open"),
                     (close_comments, "close")):
    _roles(_view, _kind, queries.KIND_NAMES[_kind])
_roles(pull_comments, "reply", "拉取留言")

ROUTES = [
    ("/comments", list_comments, ["GET"]),
    ("/comments/pull", pull_comments, ["POST"]),
    ("/comments/<id:comment_id>/reply", reply_comment, ["POST"]),
    ("/comments/<id:comment_id>/reply", delete_reply, ["DELETE"]),
    ("/comments/<id:comment_id>/elect", elect_comment, ["POST"]),
    ("/comments/<id:comment_id>/unelect", unelect_comment, ["POST"]),
    ("/comments/<id:comment_id>", delete_comment, ["DELETE"]),
    ("/comment-articles/<id:article_id>/open", open_comments, ["POST"]),
    ("/comment-articles/<id:article_id>/close", close_comments, ["POST"]),
]
