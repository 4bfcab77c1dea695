"""Login for staff (Flask-Login), CSRF on every form (Flask-WTF), sessions that expire."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from wxpub.staff import users
from wxpub.models import User
from wxpub.web import db_session, runtime

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
SESSION_LIFETIME = timedelta(hours=8)


class StaffUser(UserMixin):
    """The logged-in staff member (a detached copy of the row)."""

    def __init__(self, row: User):
        self.id = str(row.id)
        self.username = row.username
        self.display_name = row.display_name
        self.role = row.role


class LoginForm(FlaskForm):
    """用户名 + 密码."""

    username = StringField("用户名", validators=[DataRequired(message="请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码")])


@login_manager.user_loader
def _load_user(user_id: str):
    row = db_session().get(User, int(user_id)) if user_id.isdigit() else None
    return StaffUser(row) if row is not None and row.active else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success go to ``next`` when it is a local path."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        row = users.authenticate(db_session(), form.username.data, form.password.data,
                                 now=runtime().clock.now())
        if row is not None:
            login_user(StaffUser(row))
            target = request.args.get("next", "")
            if not target.startswith("/") or urlparse(target).netloc or target.startswith("//"):
                target = url_for("dashboard.overview")
            return redirect(target)
        error = "用户名或密码不正确"
    return render_template("login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    """End the session."""
    logout_user()
    return redirect(url_for("auth.login"))


def runtime_settings(app: Flask):
    """The app's validated settings."""
    return app.extensions["wxpub"].settings


def init_app(app: Flask) -> None:
    """Login manager, CSRF protection and session lifetime."""
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", SESSION_LIFETIME)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_SECURE", runtime_settings(app).is_production)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    csrf.init_app(app)
    app.register_blueprint(bp)

    @app.before_request
    def _expiring_session():
        from flask import session
        session.permanent = True  # PERMANENT_SESSION_LIFETIME then bounds every session

    @app.context_processor
    def _user():
        return {"current_user": current_user, "role_names": users.ROLE_NAMES}
