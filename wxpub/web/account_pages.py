"""The office's WeChat official accounts (“公众号”) in the browser, for admins only.

Plain forms (POST → the use case in ``wxpub.accounts.service`` → redirect → a flashed message).
Secrets are typed into password fields, stored only encrypted, and never shown again — the pages
say only 已填写 / 未填写. Disabling an account needs a ticked box (its releases are held).

* ``GET  /admin/accounts``                    every account, its state and callback URL
* ``GET|POST /admin/accounts/new``            register one
* ``GET  /admin/accounts/<code>``             one account and its forms
* ``POST /admin/accounts/<code>/rotate-secret|disable|enable``
"""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired

from wxpub.accounts import overview, service
from wxpub.accounts.registry import type_name
from wxpub.core.errors import WxpubError
from wxpub.web import admin as admin_pages
from wxpub.web import db_session, runtime

bp = Blueprint("account_pages", __name__, url_prefix="/admin/accounts")
CONFIRM = "请勾选确认框"
TYPE_CHOICES = [SelectChoice(t, f"{type_name(t)}（{t}）") for t in service.TYPES]
# Secrets are never put back into a form, and browsers should not offer to remember them.
SECRET = {"autocomplete": "off", "spellcheck": "false"}


class AddForm(FlaskForm):
    name = StringField("名称", validators=[DataRequired(message="请填写名称")],
                       description="公众号的名称，如“新政服”；列表、排期和告警里都用它")
    code = StringField("代号", validators=[DataRequired(message="请填写代号")],
                       description="1–32 个英文字母、数字、_ 或 -，如 xzf；成为事件推送地址的最后一段，登记后不能修改",
                       render_kw={"autocapitalize": "off", "spellcheck": "false"})
    appid = StringField("AppID", validators=[DataRequired(message="请填写 AppID")],
                        description="wx 开头，在公众号后台“设置与开发 → 基本配置”查看",
                        render_kw={"autocapitalize": "off", "spellcheck": "false"})
    account_type = SelectField("类型", choices=TYPE_CHOICES, default="subscription")
    appsecret = PasswordField("AppSecret", validators=[DataRequired(message="请填写 AppSecret")],
                              description="在“基本配置”里查看或重置；加密保存，保存后任何页面都不再显示",
                              render_kw=SECRET)
    token = PasswordField("Token（可不填）", description="“服务器配置”里的令牌，接收事件推送时用；加密保存",
                          render_kw=SECRET)
    aes_key = PasswordField("EncodingAESKey（可不填）", description="“服务器配置”里的消息加解密密钥，43 位；加密保存",
                            render_kw=SECRET)


class RotateForm(FlaskForm):
    appsecret = PasswordField("新的 AppSecret", render_kw=SECRET,
                              validators=[DataRequired(message="请填写新的 AppSecret")],
                              description="在公众号后台“基本配置”重置 AppSecret 后填入；旧的随即作废")
    token = PasswordField("新的 Token（可不填）", render_kw=SECRET, description="不填则保持原来的 Token")
    aes_key = PasswordField("新的 EncodingAESKey（可不填）", render_kw=SECRET,
                            description="不填则保持原来的 EncodingAESKey")
    confirm = BooleanField("我确认更换 AppSecret（下一次调用微信接口时即用它换取新的 access token）",
                           validators=[DataRequired(message=CONFIRM)])


class DisableForm(FlaskForm):
    confirm = BooleanField("我确认停用这个公众号（排到它的发布将被暂停、不会发出）",
                           validators=[DataRequired(message=CONFIRM)])


class PlainForm(FlaskForm):
    """A button only (enable): nothing is lost by it."""


# The words a refusal's message starts with or names → the field it is about.
FIELD_WORDS = (("名称", "name"), ("代号", "code"), ("AppID", "appid"), ("类型", "account_type"),
               ("AppSecret", "appsecret"), ("Token", "token"), ("EncodingAESKey", "aes_key"))


bp.before_request(admin_pages.admins_only)  # the same check as the other admin pages
_who = admin_pages.who


def _status(refused: WxpubError) -> int:
    return refused.http_status if refused.http_status < 500 else 400


def _mark_field(form: FlaskForm, message: str) -> None:
    """Show a refusal next to the field it names (also shown above the form)."""
    named = [(message.find(word), name) for word, name in FIELD_WORDS if word in message and name in form]
    if named:
        field = form[min(named)[1]]
        field.errors = [*field.errors, message]


def _callback_base() -> str:
    return runtime().settings.public_url or request.host_url.rstrip("/")


@bp.get("")
def index():
    """Every official account: type, where its credentials are, state, callback URL."""
    lines = overview.listing(db_session(), runtime().settings)
    return render_template("accounts/index.html", lines=lines, base=_callback_base())


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Register an official account."""
    form = AddForm()
    error = None
    if form.validate_on_submit():
        try:
            row = service.add(db_session(), runtime().settings, name=form.name.data, code=form.code.data,
                              appid=form.appid.data, account_type=form.account_type.data,
                              appsecret=form.appsecret.data, token=form.token.data or "",
                              encoding_aes_key=form.aes_key.data or "", **_who())
        except WxpubError as refused:
            error = refused.message
            _mark_field(form, error)
        else:
            flash(f"已登记公众号“{row.name}”（代号 {row.code}，{type_name(row.account_type)}）。"
                  "请在公众号后台“服务器配置”里填入本页的事件推送地址。", "ok")
            return redirect(url_for("account_pages.detail", code=row.code))
    return render_template("accounts/new.html", form=form, error=error), 400 if error or form.errors else 200


def _detail(code: str, *, status: int = 200, error: str | None = None, **bound):
    line = overview.one(db_session(), code)
    forms = {"rotate_form": RotateForm(prefix="rotate", formdata=None),
             "disable_form": DisableForm(prefix="disable", formdata=None),
             "enable_form": PlainForm(prefix="enable", formdata=None)}
    forms.update({f"{name}_form": form for name, form in bound.items()})
    return render_template("accounts/detail.html", line=line, error=error, base=_callback_base(),
                           **forms), status


@bp.get("/<code>")
def detail(code: str):
    """One official account and the forms that change it."""
    return _detail(code)


def _act(code: str, name: str, form: FlaskForm, action, done):
    """Validate ``form``, run ``action``, redirect with ``done(account)`` flashed; on a refusal show
    the account page again with the message."""
    line = overview.one(db_session(), code)  # 404 for an unknown account before anything else
    if not form.validate_on_submit():
        return _detail(line.code, status=400, **{name: form})
    try:
        account = action(line.code)
    except WxpubError as refused:
        _mark_field(form, refused.message)
        return _detail(line.code, status=_status(refused), error=refused.message, **{name: form})
    flash(done(account), "ok")
    return redirect(url_for("account_pages.detail", code=account.code))


@bp.post("/<code>/rotate-secret")
def rotate(code: str):
    """Replace the AppSecret (and, when given, the Token / EncodingAESKey)."""
    form = RotateForm(prefix="rotate")
    return _act(code, "rotate", form, lambda key: service.rotate_secret(
        db_session(), runtime().settings, key, appsecret=form.appsecret.data or "",
        token=form.token.data or None, encoding_aes_key=form.aes_key.data or None, **_who()),
        lambda a: f"已更换公众号“{a.name}”的 AppSecret，下一次调用微信接口时将用它换取新的 access token。")


@bp.post("/<code>/disable")
def disable(code: str):
    """Stop publishing on the account (its releases are held)."""
    form = DisableForm(prefix="disable")
    return _act(code, "disable", form, lambda key: service.disable(db_session(), key, **_who()),
                lambda a: f"已停用公众号“{a.name}”：排到它的发布将被暂停、不会发出，直到重新启用。")


@bp.post("/<code>/enable")
def enable(code: str):
    """Publish on the account again."""
    form = PlainForm(prefix="enable")
    return _act(code, "enable", form, lambda key: service.enable(db_session(), key, **_who()),
                lambda a: f"已重新启用公众号“{a.name}”。")


def init_app(app: Flask) -> None:
    """Register the official-account pages."""
    app.register_blueprint(bp)
