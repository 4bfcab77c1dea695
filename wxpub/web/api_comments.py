"""JSON API of readers' comments (留言) (registered by ``wxpub.web.api``: login required; writes need
the CSRF token and the role of the action — replies and 精选: editor or approver; deleting a comment,
opening or closing comments: approver; admins pass anyway). Times are Beijing ISO 8601 (+08:00).

* ``GET    /api/v1/comments?state=unanswered|all&article=<id>``  ``{"comments": [...]}``
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

from flask import jsonify, request

from wxpub.comments import actions, queries, service
from wxpub.core.errors import ValidationError
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor, body

STATUS_CODES = {"sent": 200, "failed": 502, "pending": 202}


def _article_arg() -> int | None:
    raw = request.args.get("article")
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationError(f"参数 article 应为文章编号（正整数），而不是 {raw!r}", code="article")
    return int(raw)


def list_comments():
    """GET /api/v1/comments — the inbox: unanswered first (oldest first), then the rest newest first."""
    rt = runtime()
    rows = queries.inbox(db_session(), request.args.get("state") or "unanswered",
                         article_id=_article_arg(), now=rt.clock.now(), tz=rt.settings.tz,
                         answer_hours=rt.settings.comment_answer_hours)
    return jsonify({"comments": [queries.api_dict(r) for r in rows]})


def _answer(kind: str, *, comment_id=None, article_id=None, text: str = ""):
    action = service.act(runtime(), actor=actor(), kind=kind, comment_id=comment_id, article_id=article_id,
                         text=text)
    data = {"id": action.id, "kind": action.kind, "status": action.status,
            "error": action.error_message if action.status != "sent" else None,
            "error_code": action.error_code, "rid": action.rid,
            "warnings": list(getattr(action, "warnings", []))}
    return jsonify(data), STATUS_CODES.get(action.status, 200)


def reply_comment(comment_id: int):
    """POST /api/v1/comments/<id>/reply ``{"text"}``."""
    text = body().get("text")
    if not isinstance(text, str):
        raise ValidationError("请求体须包含回复内容 text（字符串）", code="text")
    return _answer("reply", comment_id=comment_id, text=text)


def elect_comment(comment_id: int):
    """POST /api/v1/comments/<id>/elect — 设为精选."""
    return _answer("elect", comment_id=comment_id)


def unelect_comment(comment_id: int):
    """POST /api/v1/comments/<id>/unelect — 取消精选."""
    return _answer("unelect", comment_id=comment_id)


def delete_comment(comment_id: int):
    """DELETE /api/v1/comments/<id> — delete the reader's comment."""
    return _answer("delete", comment_id=comment_id)


def delete_reply(comment_id: int):
    """DELETE /api/v1/comments/<id>/reply — delete the office's reply."""
    return _answer("delete_reply", comment_id=comment_id)


def open_comments(article_id: int):
    """POST /api/v1/comment-articles/<id>/open."""
    return _answer("open", article_id=article_id)


def close_comments(article_id: int):
    """POST /api/v1/comment-articles/<id>/close."""
    return _answer("close", article_id=article_id)


def pull_comments():
    """POST /api/v1/comments/pull — pull now (every article, or ``{"article": id}``)."""
    from wxpub.comments.pull import pull
    data = request.get_json(silent=True) or {}
    article = data.get("article") if isinstance(data, dict) else None
    if article is not None and (isinstance(article, bool) or not isinstance(article, int)):
        raise ValidationError("article 应为文章编号（整数）", code="article")
    report = pull(runtime(), article_id=article)
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
