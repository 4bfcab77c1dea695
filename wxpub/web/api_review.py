"""JSON API of the review chain (registered by ``wxpub.web.api``: login required; writes need the
CSRF token and a signing role — the rules then check the stage itself).

* ``GET  /api/v1/messages/<id>/reviews``   the chain of the message's current version
  (``wxpub.editorial.review_report.review_json``)
* ``POST /api/v1/messages/<id>/reviews``   ``{"version_hash", "stage", "decision": "approve"|"reject",
  "comment"}`` (+ optional ``"secret": bool``, ``"secrecy_opinion"`` at the secrecy stage; ``"stage":
  "校对"`` records a proofreading round) → 201 with the chain; 403 when the role does not allow the
  stage; 409 when the hash is not the current version, a stage is out of order, or the person
  already signed another stage of it; 400 for a return without its reason
* ``GET  /api/v1/messages/<id>/comments``  ``{"version_hash", "threads": [...], "page", "per_page", "total"}``
* ``POST /api/v1/messages/<id>/comments``  ``{"version_hash", "body", "article", "case", "paragraph",
  "anchor", "quote", "parent_id"}`` → 201 with the thread list
* ``POST /api/v1/comments/<id>/resolve``   ``{"reopen": false}`` → the thread list
"""

from __future__ import annotations

from flask import jsonify
from pydantic import Field

from wxpub.core.review_policy import SIGNING_ROLES
from wxpub.editorial import review
from wxpub.editorial.review_report import review_json
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor
from wxpub.web.api_schema import Body, Paging, operation, page_of, paged_answer, shape

REVIEW_ROLES = tuple(r for r in SIGNING_ROLES if r != "admin")
TAG = "审核与批注"
CHAIN = shape({"message_id": "integer", "chapter_id": "integer?", "part": "any", "policy": "object",
               "version": "integer?", "version_hash": "string?", "stages": "list", "proofreads": "list",
               "complete": "boolean", "stale": "boolean", "returned": "object?", "next": "any",
               "missing": "list", "open_comments": "integer", "voided": "list"})
SIGNED = {**CHAIN, "properties": {**CHAIN["properties"], "approved_releases": {"type": "array",
                                                                                "items": {"type": "integer"}}}}
Id = int | None


class SignOff(Body):
    """One sign-off of the message's current version (or one 校对 round)."""

    messages = {f"{n}.missing": f"缺少 {n}" for n in ("version_hash", "stage", "decision")}
    version_hash: str = Field(description="所审版本的哈希（须是当前版本）")
    stage: str = Field(description="审核环节，如 初审、复审、终审；“校对”记一轮校对")
    decision: str = Field(description="approve（通过）或 reject（退回，须写明理由）")
    comment: str = Field("", description="意见；退回时必填")
    secret: bool | None = Field(None, description="是否涉密（保密审查环节）")
    secrecy_opinion: str = Field("", description="保密审查意见")


class Remark(Body):
    """A remark on a paragraph of the current version, or a reply to one (``parent_id``)."""

    messages = {f"{n}.missing": f"缺少 {n}" for n in ("version_hash", "body")}
    version_hash: str = Field(description="所批注版本的哈希（须是当前版本）")
    body: str = Field(description="批注内容")
    article: Id = Field(None, ge=0, lt=2 ** 31, description="第几篇文章（从 1 开始）")
    case: Id = Field(None, ge=0, lt=2 ** 31, description="第几个案例")
    paragraph: Id = Field(None, ge=0, lt=2 ** 31, description="第几段")
    anchor: str = Field("", description="段落锚点")
    quote: str = Field("", description="引用的原文")
    parent_id: Id = Field(None, ge=0, lt=2 ** 31, description="回复的批注编号")


class Reopen(Body):
    """Whether to open the thread again instead of closing it."""

    reopen: bool = Field(False, description="true：重新打开")


THREADS = shape({"message_id": "integer", "version_hash": "string?", "threads": "list"})


@operation("消息当前版本的审核链", tag=TAG, answer=CHAIN)
def get_reviews(message_id: int):
    """GET /api/v1/messages/<id>/reviews."""
    session, settings = db_session(), runtime().settings
    message = review.get_message(session, message_id)
    return jsonify(review_json(session, message, settings.review_policy, settings.tz))


@operation("签署一个审核环节（或记一轮校对）", tag=TAG, body=SignOff, status=201, answer=SIGNED, errors=(409,))
def post_review(message_id: int, body: SignOff):
    """POST /api/v1/messages/<id>/reviews — one sign-off (or one 校对 round)."""
    session, rt = db_session(), runtime()
    signed = review.sign(session, message_id, version_hash=body.version_hash, stage=body.stage,
                         decision=body.decision, comment=body.comment, by=actor(), now=rt.clock.now(),
                         policy=rt.settings.review_policy, tz=rt.settings.tz, secret=body.secret,
                         secrecy_opinion=body.secrecy_opinion)
    answer = review_json(session, review.get_message(session, message_id), rt.settings.review_policy,
                         rt.settings.tz)
    answer["approved_releases"] = [r.id for r in signed.approved]
    return jsonify(answer), 201


def _threads(message_id: int) -> dict:
    from wxpub.editorial import comments
    session, tz = db_session(), runtime().settings.tz
    message = review.get_message(session, message_id)
    version = message.current_version
    return {"message_id": message.id, "version_hash": version.sha256 if version else None,
            "threads": comments.threads(session, version.id, tz) if version else []}


@operation("消息当前版本的批注（分页）", tag=TAG, query=Paging,
           answer=paged_answer("object", "threads", message_id="integer", version_hash="string?"))
def get_comments(message_id: int, query: Paging):
    """GET /api/v1/messages/<id>/comments — the threads of the current version."""
    data = _threads(message_id)
    return jsonify({**data, **page_of(data["threads"], query, "threads")})


@operation("在段落上批注，或回复批注", tag=TAG, body=Remark, status=201, answer=THREADS, errors=(409,))
def post_comment(message_id: int, body: Remark):
    """POST /api/v1/messages/<id>/comments — a remark on a paragraph, or a reply (``parent_id``)."""
    from wxpub.editorial import comments
    comments.add(db_session(), message_id, by=actor(), now=runtime().clock.now(),
                 **body.model_dump())
    return jsonify(_threads(message_id)), 201


@operation("关闭批注（reopen 为 true 时重新打开）", tag=TAG, body=Reopen, body_optional=True, answer=THREADS,
           errors=(409,))
def resolve_comment(comment_id: int, body: Reopen | None):
    """POST /api/v1/comments/<id>/resolve — close a thread (``{"reopen": true}`` opens it again)."""
    from wxpub.editorial import comments
    row = comments.resolve(db_session(), comment_id, by=actor(), now=runtime().clock.now(),
                           reopen=bool(body and body.reopen))
    return jsonify(_threads(row.message_id))


for _view in (post_review, post_comment, resolve_comment):
    _view.write_roles = REVIEW_ROLES

ROUTES = [
    ("/messages/<id:message_id>/reviews", get_reviews, ["GET"]),
    ("/messages/<id:message_id>/reviews", post_review, ["POST"]),
    ("/messages/<id:message_id>/comments", get_comments, ["GET"]),
    ("/messages/<id:message_id>/comments", post_comment, ["POST"]),
    ("/comments/<id:comment_id>/resolve", resolve_comment, ["POST"]),
]
