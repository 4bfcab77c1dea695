"""A person's own settings (``/profile``): their 微信号, so colleagues can send them phone previews.

* ``GET  /profile``   the account (username, name, role) and the 微信号 form
* ``POST /profile``   ``wechat_id`` (empty clears it): ``wxpub.editorial.phone_preview.set_wechat_id``
  (checks the format, writes the audit row ``user.wechat_id``); back with a flash, or the form
  again with the error next to the field (HTTP 400)
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wxpub.core.errors import WxpubError
from wxpub.editorial import phone_preview
from wxpub.models import User
from wxpub.staff.users import role_name
from wxpub.web import db_session
from wxpub.web.desk import actor, done, login_only, now

bp = Blueprint("profile", __name__)


def _page(*, value: str | None = None, error: str = "", status: int = 200):
    user = db_session().scalar(select(User).where(User.username == current_user.username))
    return render_template("profile/index.html", user=user, role=role_name(user.role),
                           value=user.wechat_id if value is None else value, error=error,
                           rule=phone_preview.WECHAT_ID_RULE), status


@bp.get("/profile")
@login_only
def page():
    """The logged-in person's profile."""
    return _page()


@bp.post("/profile")
@login_only
def save():
    """Save (or clear) the person's own 微信号."""
    value = request.form.get("wechat_id", "")
    try:
        user, changed = phone_preview.set_wechat_id(db_session(), actor(), value, actor=actor(), now=now())
    except WxpubError as refused:
        return _page(value=value, error=refused.message,
                     status=refused.http_status if 400 <= refused.http_status < 500 else 400)
    if not changed:
        done("微信号没有变化。")
    elif user.wechat_id:
        done(f"已保存微信号 {user.wechat_id}：审核时同事可以把稿件发到你的微信上预览。")
    else:
        done("已清除微信号：同事将不能再把稿件发到你的微信上预览。")
    return redirect(url_for("profile.page"))


def init_app(app: Flask) -> None:
    """Register the profile page."""
    app.register_blueprint(bp)
