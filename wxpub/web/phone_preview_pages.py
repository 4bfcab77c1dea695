"""手机预览 in the browser: send the message's current version to a colleague's WeChat.

* ``GET  /review/messages/<id>/phone``   what will be sent (the current version), the colleagues
  who have a 微信号 (where to set one when nobody has), and the previews of this version with
  their status, errors and — on the WeChat sandbox — a link to what the phone was shown
* ``POST /review/messages/<id>/phone``   ``version_hash`` + ``to_username``: the use case
  (``wxpub.editorial.phone_preview.request``, one commit), then delivery at once in this request
  (the scheduler's outbox job retries what could not go out); back with a flash

Nothing is lost by a preview, so there is no confirmation step; anyone logged in may send one.
"""

from __future__ import annotations

import os
import re
from ipaddress import ip_address
from urllib.parse import quote, urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wxpub.core.errors import WxpubError
from wxpub.editorial import chain, phone_preview
from wxpub.infra.config import DEV_APPID
from wxpub.models import Chapter, Message, PhonePreview, Series, User
from wxpub.staff.users import role_name
from wxpub.web import db_session, runtime
from wxpub.web.desk import actor, done, login_only, now

bp = Blueprint("phone_preview_pages", __name__, url_prefix="/review")


def sandbox_url() -> str | None:
    """The WeChat sandbox's address when the app talks to one (loopback or the sandbox's AppID)."""
    settings = runtime().settings
    host = (urlsplit(settings.wechat_api_url).hostname or "").lower()
    try:
        loopback = host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback or settings.appid == DEV_APPID:
        return settings.wechat_api_url.rstrip("/")
    return None


_DETAIL = re.compile(r"^(?P<plain>.*?)（(?P<detail>(?:/\S+ )?错误码 .*)）$", re.S)


def error_parts(message: str | None) -> tuple[str, str]:
    """A stored error as (what staff read, the technical tail: endpoint, code, WeChat's text, rid)."""
    match = _DETAIL.match(message or "")
    if match is None:
        return message or "", ""
    return match["plain"], match["detail"]


def _label(user: User | None, username: str) -> str:
    if user is None:
        return username
    return f"{user.display_name or user.username}（{role_name(user.role)}）"


def _page(message_id: int, *, error: str = "", chosen: str = "", status: int = 200):
    session = db_session()
    message = session.get(Message, message_id)
    if message is None:
        abort(404)
    chapter = session.get(Chapter, message.chapter_id)
    series = session.get(Series, message.series_id)
    version = message.current_version
    people = {u.username: u for u in session.scalars(select(User))}
    rows, stale = [], False
    if version is not None:
        stale = chain.version_drifted(session, version)
        rows = phone_preview.previews_of(session, version.id)
    me = people.get(current_user.username)
    sandbox = sandbox_url()
    title = version.articles[0].title if version is not None and version.articles else f"消息 {message.id}"
    return render_template(
        "review/phone.html", message=message, chapter=chapter, series=series, version=version,
        title=title, stale=stale, recipients=phone_preview.recipients(session), rows=rows,
        people=people, label=_label, me=me, error=error, chosen=chosen or request.args.get("to", ""),
        sandbox=sandbox, status_names=phone_preview.STATUS_NAMES, role_name=role_name,
        wechat_rule=phone_preview.WECHAT_ID_RULE, error_parts=error_parts,
        sandbox_link=lambda wx: f"{sandbox}/sandbox/previews.html?wxname={quote(wx)}"), status


@bp.get("/messages/<id:message_id>/phone")
@login_only
def page(message_id: int):
    """Choose a colleague and send; the previews of this version."""
    return _page(message_id)


@bp.post("/messages/<id:message_id>/phone")
@login_only
def send(message_id: int):
    """Request a preview, deliver it right away, and say how it went."""
    session = db_session()
    to = request.form.get("to_username", "")
    try:
        row = phone_preview.request(session, message_id, version_hash=request.form.get("version_hash", ""),
                                    to_username=to, by=actor(), now=now())
    except WxpubError as refused:
        return _page(message_id, error=refused.message, chosen=to,
                     status=refused.http_status if 400 <= refused.http_status < 500 else 400)
    preview_id, wxname = row.id, row.to_wxname
    name = _label(session.scalar(select(User).where(User.username == row.to_username)), row.to_username)
    outcome = phone_preview.deliver(runtime(), preview_id, worker=f"web-{os.getpid()}")
    session.expire_all()  # delivery wrote through its own sessions
    row = session.get(PhonePreview, preview_id)
    if outcome == "sent":
        done(f"已发送到{name}的微信（微信号 {wxname}）：请在手机微信中打开公众号发来的消息查看。")
    elif outcome == "pending" and row is not None and row.error_message:
        done(f"暂时没能发到{name}的微信，系统会自动重试；结果见下方“已发送的预览”。")
    elif outcome == "pending":  # the scheduler's outbox job took it first
        done(f"正在发送到{name}的微信，请稍后刷新本页查看结果。")
    else:
        flash(f"没能发到{name}的微信：{error_parts(row.error_message if row else '原因不明')[0]}", "error")
    return redirect(url_for("phone_preview_pages.page", message_id=message_id) + "#previews")


def init_app(app: Flask) -> None:
    """Register the phone preview page."""
    app.register_blueprint(bp)
