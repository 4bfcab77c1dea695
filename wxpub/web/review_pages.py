"""The review desk (三审三校, 先审后发) in the browser.

* ``GET  /review``                        我的待办 (what waits for the logged-in person), then every
                                          message under review with where its chain stands
* ``GET  /review/messages/<id>``          the review page of the message's current version: the phone
                                          preview (paragraphs to comment on), the comment threads, the
                                          chain, and the sign form for what the person may do now
* ``POST /review/messages/<id>/sign``     sign a stage (通过 / 退回) or record a 校对 round
* ``POST /review/messages/<id>/comments`` a new comment thread at a paragraph, or a reply
* ``POST /review/comments/<id>/resolve``  标为已解决 (``reopen=1``: 重新打开)

Each form carries the version hash the page showed: when the content changed in between, the use
case refuses (409) and the page says so. Refusals re-show the page with the message and the status
(400 / 403 / 404 / 409); successes redirect with a flash.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import current_user

from wxpub.core.errors import NotFound, ValidationError, WxpubError
from wxpub.core.release_states import mode_name, state_name
from wxpub.core.review_policy import APPROVE, PROOFREAD
from wxpub.editorial import comments, review, todo
from wxpub.infra.clock import format_local
from wxpub.models import ReviewComment
from wxpub.staff.users import role_name
from wxpub.web import db_session, runtime
from wxpub.web.desk import actor, done, login_only, now, tz
from wxpub.web.review_forms import (annotate, page_data, place_of, places, quote_for, secret_choice,
                                    signed_message)

bp = Blueprint("review_pages", __name__, url_prefix="/review")


def _policy():
    return runtime().settings.review_policy


@bp.get("")
@login_only
def index():
    """我的待办 and every message under review, soonest release first."""
    session, policy = db_session(), _policy()
    rows = todo.under_review(session, policy)
    items = [item for row in rows for item in todo.items_for(row, current_user.username, current_user.role)]
    return render_template("review/index.html", items=items, rows=rows, policy=policy,
                           policy_text=policy.describe(role_name), role_name=role_name)


@bp.get("/messages/<id:message_id>")
@login_only
def page(message_id: int):
    """The review page of the message's current version."""
    return _page(message_id)


def _page(message_id: int, *, error: str = "", status: int = 200, form: dict | None = None):
    try:
        data = page_data(db_session(), message_id, user=current_user, policy=_policy())
    except NotFound:
        abort(404)
    return render_template("review/message.html", error=error, form=form or {}, role_name=role_name,
                           mode_name=mode_name, state_name=state_name, **data), status


def _refused(message_id: int, refused: WxpubError, form: dict):
    """The page again with the refusal's message and status; what the person typed is kept,
    unless the content changed under them (their choice was about the old version)."""
    db_session().rollback()
    code = refused.http_status if 400 <= refused.http_status < 500 else 400
    if refused.code == "stale_version":
        form = {}
    return _page(message_id, error=refused.message, status=code, form=form)


@bp.post("/messages/<id:message_id>/sign")
@login_only
def sign(message_id: int):
    """通过 / 退回 a stage, or record a 校对 round, on the version the page showed."""
    f = request.form
    form = {"kind": "sign", "stage": f.get("stage", ""), "decision": f.get("decision", ""),
            "comment": f.get("comment", ""), "secret": f.get("secret", ""),
            "secrecy_opinion": f.get("secrecy_opinion", "")}
    stage = form["stage"].strip()
    decision = APPROVE if stage == PROOFREAD else form["decision"].strip()
    policy = _policy()
    session = db_session()
    try:
        if decision not in ("approve", "reject"):
            raise ValidationError("请选择“通过”或“退回”", code="decision")
        secret = secret_choice(form["secret"], needed=stage == policy.secrecy_stage, decision=decision)
        signed = review.sign(session, message_id, version_hash=f.get("version_hash", ""), stage=stage,
                             decision=decision, comment=form["comment"], by=actor(), now=now(),
                             policy=policy, tz=tz(), secret=secret,
                             secrecy_opinion=form["secrecy_opinion"])
    except NotFound:
        abort(404)
    except WxpubError as refused:
        return _refused(message_id, refused, form)
    when = format_local(signed.approved[0].scheduled_at, tz()) if signed.approved else ""
    done(signed_message(stage, decision, signed, when))
    return redirect(url_for("review_pages.page", message_id=message_id) + "#chain")


@bp.post("/messages/<id:message_id>/comments")
@login_only
def comment(message_id: int):
    """A new thread at the chosen paragraph, or a reply (``parent_id``)."""
    f = request.form
    form = {"kind": "comment", "where": f.get("where", ""), "quote": f.get("quote", ""),
            "body": f.get("body", ""), "parent_id": f.get("parent_id", "")}
    session = db_session()
    try:
        if form["parent_id"]:
            row = comments.add(session, message_id, version_hash=f.get("version_hash", ""), body=form["body"],
                               by=actor(), now=now(), parent_id=form["parent_id"])
        else:
            version = review.current_version(session, review.get_message(session, message_id),
                                             f.get("version_hash", ""))
            place = place_of(places(annotate(session, version)), form["where"])
            row = comments.add(session, message_id, version_hash=f.get("version_hash", ""), body=form["body"],
                               by=actor(), now=now(), article=place["article"], case=place["case"],
                               paragraph=place["paragraph"], anchor=place["id"],
                               quote=quote_for(place, form["quote"]) if place["id"] else "")
    except WxpubError as refused:
        if isinstance(refused, NotFound) and not form["parent_id"]:
                abort(404)
        return _refused(message_id, refused, form)
    thread = row.parent_id or row.id
    done("已回复意见。" if row.parent_id else
         f"已添加意见（{comments.describe(row.article, row.case, row.paragraph, row.anchor)}）。")
    return redirect(url_for("review_pages.page", message_id=message_id) + f"#thread-{thread}")


@bp.post("/comments/<id:comment_id>/resolve")
@login_only
def resolve(comment_id: int):
    """标为已解决, or 重新打开 (``reopen=1``)."""
    session = db_session()
    found = session.get(ReviewComment, comment_id)
    if found is None:
        abort(404)
    message_id = found.message_id
    reopen = request.form.get("reopen") == "1"
    try:
        root = comments.resolve(session, comment_id, by=actor(), now=now(), reopen=reopen)
    except WxpubError as refused:
        return _refused(message_id, refused, {"kind": "resolve", "comment": comment_id})
    done("已重新打开这条意见。" if reopen else "已把这条意见标为已解决。")
    return redirect(url_for("review_pages.page", message_id=message_id) + f"#thread-{root.id}")


def init_app(app: Flask) -> None:
    """Register the review desk."""
    app.register_blueprint(bp)
