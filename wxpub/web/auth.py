"""Login for staff (Flask-Login), CSRF on every form (Flask-WTF), sessions ended on the server.

* The session cookie carries a random token for a row of ``staff_sessions`` (Flask-Login's
  "alternative token": ``StaffUser.get_id`` is that token, not the user id). The user loader accepts
  it only while the row is open and younger than ``WXPUB_SESSION_HOURS`` by the runtime's clock;
  using the session does not extend it. Logout ends the row; a password change or reset, a role
  change and disabling the account end every row of the user (``wxpub.staff``).
* The cookie is HttpOnly, SameSite=Lax, Secure in production, and is not re-sent (re-dated) on
  every request.
* Logins are throttled per account name and per address (``wxpub.staff.throttle``); the address is
  the client's as seen through ``WXPUB_PROXY_HOPS`` trusted reverse proxies.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from flask import (Blueprint, Flask, flash, redirect, render_template, request, session, url_for)
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from wxpub.core.errors import ValidationError
from wxpub.staff import login as staff_login, passwords, sessions as staff_sessions, users
from wxpub.web import db_session, runtime

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


class StaffUser(UserMixin):
    """The logged-in staff member (a detached copy of the row) and the token of this session."""

    def __init__(self, row, token: str):  # a User, or the row of ``staff_sessions.who``
        self.token = token
        self.username = row.username
        self.display_name = row.display_name
        self.role = row.role
        # Limited to some official accounts? (None: not known, wxpub.accounts.scope asks.)
        limited = getattr(row, "limited", None)
        self.limited = None if limited is None else bool(limited)  # SQLite answers 0 / 1

    def get_id(self) -> str:
        return self.token


class LoginForm(FlaskForm):
    """用户名 + 密码."""

    username = StringField("用户名", validators=[DataRequired(message="请输入用户名"),
                                               Length(max=80, message="用户名太长")])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码"),
                                               Length(max=passwords.MAX_LENGTH, message="密码太长")])


class PasswordForm(FlaskForm):
    """当前密码 + 新密码（两次）."""

    current = PasswordField("当前密码", validators=[DataRequired(message="请输入当前密码")])
    new = PasswordField("新密码", description=f"密码规则：{passwords.RULES}",
                        validators=[DataRequired(message="请输入新密码")])
    confirm = PasswordField("再次输入新密码", validators=[DataRequired(message="请再次输入新密码"),
                                                   EqualTo("new", message="两次输入的新密码不一致")])


def lifetime() -> timedelta:
    """How long a login lasts (``WXPUB_SESSION_HOURS``)."""
    return timedelta(hours=runtime().settings.session_hours)


def client_address() -> str:
    """The client's address (through the trusted proxies), for throttles and the audit log."""
    return (request.remote_addr or "unknown")[:64]


@login_manager.user_loader
def _load_user(token: str):
    row = staff_sessions.who(db_session(), token, now=runtime().clock.now(), lifetime=lifetime())
    return StaffUser(row, token) if row is not None else None


def bearer_login():
    """Authenticate this request (only) by its ``Authorization: Bearer`` token: returns the refusal
    (401, or 429 with ``Retry-After``) or None, the token's user then being ``current_user`` and its
    scope ``g.api_token_scope``. No session cookie is set; a bad token never falls back to one."""
    from flask import current_app, g, jsonify
    from wxpub.staff import api_tokens
    text = request.headers.get("Authorization", "")[7:].strip()  # after "Bearer "
    limit = current_app.config.get("WXPUB_API_TOKEN_RATE_LIMIT", api_tokens.RATE_LIMIT)
    with runtime().db.session() as session:
        try:
            found = api_tokens.authenticate(session, text, runtime().clock.now(), limit=limit)
        except api_tokens.RateLimited as limited:
            answer = jsonify(limited.to_dict())
            answer.headers["Retry-After"] = str(limited.retry_after)
            return answer, 429
        if found is None:
            return jsonify({"error": "unauthorized", "message": "API 令牌无效或已撤销"}), 401
        # For this request only (``g``), not the session: nothing is written into a cookie.
        login_manager._update_request_context_with_user(StaffUser(found.user, token=""))
    g.api_token_scope = found.scope
    from wxpub.web import account_scope
    account_scope.apply_for(found.user)  # the token acts as its user: the same accounts
    return None


def _local_target(home: str | None = None) -> str:
    """``next`` when it is a local path, else ``home`` (default: the reading figures)."""
    target = request.args.get("next", "")
    if not target.startswith("/") or urlparse(target).netloc or target.startswith("//") \
            or target.startswith("/\\"):
        return home or url_for("dashboard.overview")
    return target


def _start(done: staff_login.LoggedIn) -> None:
    """Put a fresh session's token in the cookie; nothing from before (a planted CSRF token)
    carries over, and the cookie expires with the login."""
    session.clear()
    login_user(StaffUser(done.user, done.token))
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success go to ``next`` when it is a local path."""
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            done = staff_login.log_in(db_session(), form.username.data, form.password.data,
                                      now=runtime().clock.now(), address=client_address(),
                                      lifetime=lifetime(), tz=runtime().settings.tz)
        except (staff_login.LoginFailed, staff_login.LoginLocked) as refused:
            error, status = refused.message, refused.http_status
        else:
            target = _local_target("/rate" if done.user.role == "expert" else None)  # 评审专家: only 评选
            _start(done)
            return redirect(target)
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """End this browser's session, on the server too."""
    token = getattr(current_user, "token", None) if current_user.is_authenticated else None
    if token:
        staff_login.log_out(db_session(), token, now=runtime().clock.now(), address=client_address())
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every other session of the account ends."""
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            done = staff_login.change_password(
                db_session(), current_user.token, form.current.data, form.new.data,
                now=runtime().clock.now(), address=client_address(), lifetime=lifetime())
        except (ValidationError, staff_login.LoginLocked) as refused:
            error = refused.message
        else:
            _start(done)
            flash("密码已修改。其他电脑和手机上的登录已全部退出。", "ok")
            return redirect(url_for("auth.change_password"))
    return render_template("admin/password.html", form=form, error=error), \
        (400 if error or form.errors else 200)


def init_app(app: Flask) -> None:
    """Login manager, CSRF protection and the session cookie's lifetime and flags."""
    settings = app.extensions["wxpub"].settings
    app.config.update(
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        SESSION_REFRESH_EACH_REQUEST=False,  # the cookie's expiry does not slide either
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.is_production,
    )
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    csrf.init_app(app)
    app.register_blueprint(bp)

    @app.context_processor
    def _user():
        return {"current_user": current_user, "role_names": users.ROLE_NAMES}
