"""Staff accounts in the browser (``/admin/users``), for admins only (others get the 403 page).

Every change is a plain form (works without JavaScript): POST → the service in ``wxpub.staff.users``
→ redirect → a flashed message. Destructive changes (disable, reset a password, change a role) need a
ticked confirmation box, checked on the server too. The audit log records the logged-in admin and the
request's address.

* ``GET  /admin/users``                       the list: role, state, last login; locked addresses
* ``GET|POST /admin/users/new``               create an account
* ``GET  /admin/users/<name>``                one account and its forms
* ``POST /admin/users/<name>/role|password|disable|enable|unlock|wechat``
* ``POST /admin/addresses/unlock``            lift an address's lock
* ``GET|POST /admin/users/<name>/tokens/new``  a new API token, shown once on the answer page
* ``POST /admin/users/<name>/tokens/<id>/revoke``
* ``POST /admin/users/<name>/accounts``       the 公众号 the account may see (none ticked: all)
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from wxpub.accounts import overview
from wxpub.accounts import service as account_service
from wxpub.core.errors import WxpubError
from wxpub.editorial.phone_preview import set_wechat_id
from wxpub.models import ROLES
from wxpub.staff import api_tokens, passwords, throttle, users
from wxpub.web import db_session, runtime
from wxpub.web.auth import client_address, login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")
ROLE_CHOICES = [SelectChoice(role, f"{users.role_name(role)}（{role}）") for role in ROLES]
CONFIRM = "请勾选确认框"


class CreateForm(FlaskForm):
    username = StringField("用户名", description="2–40 位字母、数字、汉字或 _ . -，登录时使用",
                           validators=[DataRequired(message="请输入用户名"), Length(max=40)])
    display_name = StringField("显示名称", description="如 张主任；不填则同用户名",
                               validators=[Length(max=40, message="显示名称不能超过 40 个字")])
    role = SelectField("角色", choices=ROLE_CHOICES, default="editor")
    password = PasswordField("初始密码", description=passwords.RULES,
                             validators=[DataRequired(message="请输入初始密码")])
    confirm = PasswordField("再次输入密码", validators=[DataRequired(message="请再次输入密码"),
                                                  EqualTo("password", message="两次输入的密码不一致")])


class RoleForm(FlaskForm):
    role = SelectField("新角色", choices=ROLE_CHOICES)
    confirm = BooleanField("我确认更改角色（这位同事需要重新登录）", validators=[DataRequired(message=CONFIRM)])


class ResetForm(FlaskForm):
    password = PasswordField("新密码", description=passwords.RULES,
                             validators=[DataRequired(message="请输入新密码")])
    again = PasswordField("再次输入新密码", validators=[DataRequired(message="请再次输入新密码"),
                                                  EqualTo("password", message="两次输入的密码不一致")])
    confirm = BooleanField("我确认重置密码（这位同事的登录将全部退出，账号同时解锁）",
                           validators=[DataRequired(message=CONFIRM)])


class DisableForm(FlaskForm):
    confirm = BooleanField("我确认停用这个账号（立即退出登录，之后不能再登录）",
                           validators=[DataRequired(message=CONFIRM)])


class WechatForm(FlaskForm):
    wechat_id = StringField("微信号", description="接收手机预览用；6–20 个字符，以字母开头，只含字母、数字、_ 和 -；"
                                                "留空表示不接收", validators=[Length(max=40)])


class TokenForm(FlaskForm):
    name = StringField("用途（令牌名称）", description="写明哪个系统、做什么用，如“区数据平台读取案例”；列表中靠它区分令牌",
                       validators=[DataRequired(message="请填写令牌的用途"),
                                   Length(max=80, message="令牌名称不能超过 80 个字")])
    scope = SelectField("权限", choices=[SelectChoice("read", "只读：只能读取数据（GET）"),
                                       SelectChoice("write", "读写：还能修改，权限同这位同事的角色")],
                        default="read",
                        description="令牌以这位同事的身份和角色调用 API；只需读取数据时请选“只读”")
    days = SelectField("有效期", choices=[SelectChoice("0", "长期有效（直到撤销）"), SelectChoice("30", "30 天"),
                                        SelectChoice("90", "90 天"), SelectChoice("365", "一年")],
                       default="365",
                       description="到期后令牌自动失效；随时可以提前撤销")


class RevokeForm(FlaskForm):
    confirm = BooleanField("我确认撤销（对方系统立即无法访问）",
                           validators=[DataRequired(message=CONFIRM)])


class PlainForm(FlaskForm):
    """A button only (enable, unlock): nothing is lost by it."""


class AddressForm(FlaskForm):
    address = HiddenField("地址", validators=[DataRequired()])


@bp.before_request
def admins_only():
    """Every admin page: sign in first, and be an admin (else 403). Shared with the 公众号 pages."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not users.has_role(current_user, "admin"):
        abort(403)
    return None


def who() -> dict:
    """The actor, time and address an admin action is recorded with."""
    return {"actor": current_user.username, "now": runtime().clock.now(), "address": client_address()}


_who = who


@bp.get("/users")
def user_list():
    """Every account with its role and state, and the addresses locked now."""
    now = runtime().clock.now()
    session = db_session()
    return render_template("admin/users.html", rows=users.listing(session, now=now),
                           limits=overview.user_limits(session),
                           addresses=throttle.locks(session, now=now, kind=throttle.ADDRESS),
                           address_form=AddressForm())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create an account."""
    form = CreateForm()
    error = None
    if form.validate_on_submit():
        try:
            row = users.create_user(db_session(), form.username.data, form.password.data,
                                    form.role.data, display_name=form.display_name.data, **_who())
        except WxpubError as refused:
            error = refused.message
        else:
            flash(f"已创建账号 {row.username}（{row.display_name}，{users.role_name(row.role)}）。"
                  "请把初始密码当面或电话告知本人。", "ok")
            return redirect(url_for("admin.user_detail", username=row.username))
    status = 400 if error or form.errors else 200
    return render_template("admin/new.html", form=form, error=error), status


# The forms of the account page by name; the name is also the form's prefix, which keeps the
# fields' ids (and so their labels) apart.
FORMS = {"role": RoleForm, "reset": ResetForm, "disable": DisableForm, "enable": PlainForm,
         "unlock": PlainForm, "wechat": WechatForm, "accounts": PlainForm}


def _form(name: str, **kwargs) -> FlaskForm:
    return FORMS[name](prefix=name, **kwargs)


def _detail(username: str, *, status: int = 200, error: str | None = None, **bound):
    row = users.account(db_session(), username, now=runtime().clock.now())
    forms = {f"{name}_form": _form(name, formdata=None) for name in FORMS}
    forms["role_form"].role.data = row.role
    forms["wechat_form"].wechat_id.data = users.find(db_session(), username).wechat_id
    revoking = bound.pop("revoke", None)
    forms.update({f"{name}_form": form for name, form in bound.items()})
    tokens = [token for token, _name in api_tokens.listing(db_session(), username)]
    revoke_forms = {t.id: RevokeForm(prefix=f"revoke-{t.id}", formdata=None) for t in tokens}
    if revoking is not None:
        revoke_forms[revoking[0]] = revoking[1]
    session = db_session()
    limited = {a.id for a in account_service.limited_to(session, users.find(session, username).id)}
    return render_template("admin/user.html", row=row, error=error, tokens=tokens,
                           wechat_accounts=overview.listing(session, runtime().settings), limited=limited,
                           revoke_forms=revoke_forms, now=runtime().clock.now(),
                           token_state=api_tokens.state, scope_name=api_tokens.scope_name,
                           is_self=row.username == current_user.username, **forms), status


@bp.get("/users/<username>")
def user_detail(username: str):
    """One account: its state and the forms that change it."""
    return _detail(username)


def _act(username: str, name: str, form: FlaskForm, action, done: str):
    """Validate ``form``, run ``action`` (a service call), then redirect with ``done`` flashed; on
    a refusal show the account page again with the message."""
    users.find(db_session(), username)  # 404 for an unknown account before anything else
    if not form.validate_on_submit():
        return _detail(username, status=400, **{name: form})
    try:
        action()
    except WxpubError as refused:
        return _detail(username, status=refused.http_status if refused.http_status < 500 else 400,
                       error=refused.message, **{name: form})
    flash(done, "ok")
    return redirect(url_for("admin.user_detail", username=username))


@bp.post("/users/<username>/role")
def user_role(username: str):
    """Change the role (ends the account's sessions)."""
    form = _form("role")
    return _act(username, "role", form,
                lambda: users.set_role(db_session(), username, form.role.data, **_who()),
                f"已把 {username} 的角色改为“{users.role_name(form.role.data)}”，这位同事需要重新登录。")


@bp.post("/users/<username>/password")
def user_password(username: str):
    """Reset the password (ends the account's sessions and unlocks it)."""
    form = _form("reset")
    return _act(username, "reset", form,
                lambda: users.reset_password(db_session(), username, form.password.data, **_who()),
                f"已重置 {username} 的密码，其登录已全部退出。请把新密码当面或电话告知本人。")


@bp.post("/users/<username>/disable")
def user_disable(username: str):
    """Disable the account (ends its sessions)."""
    form = _form("disable")
    return _act(username, "disable", form,
                lambda: users.disable(db_session(), username, **_who()),
                f"已停用账号 {username}，其登录已全部退出。")


@bp.post("/users/<username>/enable")
def user_enable(username: str):
    """Enable the account again."""
    form = _form("enable")
    return _act(username, "enable", form,
                lambda: users.enable(db_session(), username, **_who()), f"已启用账号 {username}。")


@bp.post("/users/<username>/wechat")
def user_wechat(username: str):
    """Set (or clear) the account's 微信号 for phone previews."""
    form = _form("wechat")
    value = (form.wechat_id.data or "").strip()
    return _act(username, "wechat", form,
                lambda: set_wechat_id(db_session(), username, value, actor=current_user.username,
                                      now=runtime().clock.now()),
                f"已把 {username} 的微信号设为 {value}。" if value else f"已清除 {username} 的微信号。")


@bp.post("/users/<username>/unlock")
def user_unlock(username: str):
    """Lift a lockout caused by wrong passwords."""
    form = _form("unlock")
    return _act(username, "unlock", form,
                lambda: users.unlock(db_session(), username, **_who()),
                f"已解锁账号 {username}，现在可以登录。")


@bp.post("/users/<username>/accounts")
def user_accounts(username: str):
    """Limit the account to the ticked 公众号 (none ticked: it sees every one)."""
    form = _form("accounts")
    codes = request.form.getlist("accounts")
    users.find(db_session(), username)
    if not form.validate_on_submit():
        return _detail(username, status=400)
    try:
        chosen = account_service.set_user_accounts(db_session(), username, codes, **_who())
    except WxpubError as refused:
        return _detail(username, status=refused.http_status if refused.http_status < 500 else 400,
                       error=refused.message)
    flash(f"{username} 现在只能看到这些公众号：{'、'.join(a.name for a in chosen)}。" if chosen
          else f"{username} 现在可以看到全部公众号。", "ok")
    return redirect(url_for("admin.user_detail", username=username))


@bp.route("/users/<username>/tokens/new", methods=["GET", "POST"])
def token_new(username: str):
    """A new API token for the account; the answer page shows it once (never stored, never flashed)."""
    account = users.find(db_session(), username)
    form = TokenForm()
    error = None
    if form.validate_on_submit():
        now = runtime().clock.now()
        days = int(form.days.data or 0)
        try:
            row, text = api_tokens.create(db_session(), user=account, name=form.name.data,
                                          scope=form.scope.data, actor=current_user.username, now=now,
                                          expires_at=now + timedelta(days=days) if days else None,
                                          address=client_address())
        except WxpubError as refused:
            error = refused.message
        else:
            answer = make_response(render_template(
                "admin/token_created.html", username=account.username, token=row, text=text,
                scope_name=api_tokens.scope_name))
            answer.headers["Cache-Control"] = "no-store"  # the token must not stay in any cache
            return answer
    return render_template("admin/token_new.html", form=form, error=error, username=account.username,
                           active=account.active), 400 if error or form.errors else 200


@bp.post("/users/<username>/tokens/<id:token_id>/revoke")
def token_revoke(username: str, token_id: int):
    """Revoke an API token (refused from the next request on)."""
    form = RevokeForm(prefix=f"revoke-{token_id}")
    users.find(db_session(), username)
    if not form.validate_on_submit():
        return _detail(username, status=400, revoke=(token_id, form))
    try:
        row = api_tokens.revoke(db_session(), token_id, actor=current_user.username,
                                now=runtime().clock.now(), address=client_address(), username=username)
    except WxpubError as refused:
        return _detail(username, status=refused.http_status if refused.http_status < 500 else 400,
                       error=refused.message, revoke=(token_id, form))
    flash(f"已撤销 API 令牌 {row.prefix}…（{row.name}），使用它的系统已无法访问。", "ok")
    return redirect(url_for("admin.user_detail", username=username))


@bp.post("/addresses/unlock")
def address_unlock():
    """Lift the lock on an address."""
    form = AddressForm()
    if form.validate_on_submit():
        try:
            users.unlock_address(db_session(), form.address.data, **_who())
        except WxpubError as refused:
            flash(refused.message, "error")
        else:
            flash(f"已解锁地址 {form.address.data}。", "ok")
    else:
        flash("请求不完整，请刷新页面后再试。", "error")
    return redirect(url_for("admin.user_list"))


def init_app(app: Flask) -> None:
    """Register the admin pages."""
    app.register_blueprint(bp)
