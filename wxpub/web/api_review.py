"""JSON API of the review chain (registered by ``wxpub.web.api``: login required; writes need the
CSRF token and a signing role — the rules then check the stage itself).

* ``GET  /api/v1/messages/<id>/reviews``   the chain of the message's current version
  (``wxpub.editorial.review_report.review_json``)
* ``POST /api/v1/messages/<id>/reviews``   ``{"version_hash", "stage", "decision": "approve"|"reject",
  "comment"}`` (+ optional ``"secret": bool``, ``"secrecy_opinion"`` at the secrecy stage; ``"stage":
  "校对"`` records a proofreading round) → 201 with the chain; 403 when the role does not allow the
  stage; 409 when the hash is not the current version, a stage is out of order, or the person
  already signed another stage of it; 400 for a return without its reason
* ``GET  /api/v1/messages/<id>/comments``  ``{"version_hash", "threads": [...]}``
* ``POST /api/v1/messages/<id>/comments``  ``{"version_hash", "body", "article", "case", "paragraph",
  "anchor", "quote", "parent_id"}`` → 201 with the thread list
* ``POST /api/v1/comments/<id>/resolve``   ``{"reopen": false}`` → the thread list
"""

from __future__ import annotations

from flask import jsonify

from wxpub.core.errors import ValidationError
from wxpub.core.review_policy import SIGNING_ROLES
from wxpub.editorial import review
from wxpub.editorial.review_report import review_json
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor, body, flag

REVIEW_ROLES = tuple(r for r in SIGNING_ROLES if r != "admin")


def _text(data: dict, name: str, *, required: bool = False) -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise ValidationError(f"缺少 {name}", code="invalid")
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{name} 应为字符串")
    return value


def _number(data: dict, name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** 31:
        raise ValidationError(f"{name} 应为非负整数")
    return value


def get_reviews(message_id: int):
    """GET /api/v1/messages/<id>/reviews."""
    session, settings = db_session(), runtime().settings
    message = review.get_message(session, message_id)
    return jsonify(review_json(session, message, settings.review_policy, settings.tz))


def post_review(message_id: int):
    """POST /api/v1/messages/<id>/reviews — one sign-off (or one 校对 round)."""
    data = body()
    unknown = set(data) - {"version_hash", "stage", "decision", "comment", "secret", "secrecy_opinion"}
    if unknown:
        raise ValidationError(f"不认识的字段：{'、'.join(sorted(unknown))}")
    secret = data.get("secret")
    if secret is not None and not isinstance(secret, bool):
        raise ValidationError("secret（是否涉密）应为 true 或 false")
    session, rt = db_session(), runtime()
    signed = review.sign(session, message_id, version_hash=_text(data, "version_hash", required=True),
                         stage=_text(data, "stage", required=True),
                         decision=_text(data, "decision", required=True),
                         comment=_text(data, "comment"), by=actor(), now=rt.clock.now(),
                         policy=rt.settings.review_policy, tz=rt.settings.tz, secret=secret,
                         secrecy_opinion=_text(data, "secrecy_opinion"))
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


def get_comments(message_id: int):
    """GET /api/v1/messages/<id>/comments — the threads of the current version."""
    return jsonify(_threads(message_id))


def post_comment(message_id: int):
    """POST /api/v1/messages/<id>/comments — a remark on a paragraph, or a reply (``parent_id``)."""
    from wxpub.editorial import comments
    data = body()
    comments.add(db_session(), message_id, version_hash=_text(data, "version_hash", required=True),
                 body=_text(data, "body", required=True), by=actor(), now=runtime().clock.now(),
                 article=_number(data, "article"), case=_number(data, "case"),
                 paragraph=_number(data, "paragraph"), anchor=_text(data, "anchor"),
                 quote=_text(data, "quote"), parent_id=_number(data, "parent_id"))
    return jsonify(_threads(message_id)), 201


def resolve_comment(comment_id: int):
    """POST /api/v1/comments/<id>/resolve — close a thread (``{"reopen": true}`` opens it again)."""
    from wxpub.editorial import comments
    data = body() if _has_body() else {}
    row = comments.resolve(db_session(), comment_id, by=actor(), now=runtime().clock.now(),
                           reopen=flag(data.get("reopen")))
    return jsonify(_threads(row.message_id))


def _has_body() -> bool:
    from flask import request
    return bool(request.get_data(cache=True))


for _view in (post_review, post_comment, resolve_comment):
    _view.write_roles = REVIEW_ROLES

ROUTES = [
    ("/messages/<id:message_id>/reviews", get_reviews, ["GET"]),
    ("/messages/<id:message_id>/reviews", post_review, ["POST"]),
    ("/messages/<id:message_id>/comments", get_comments, ["GET"]),
    ("/messages/<id:message_id>/comments", post_comment, ["POST"]),
    ("/comments/<id:comment_id>/resolve", resolve_comment, ["POST"]),
]
