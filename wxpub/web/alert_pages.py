"""The alert inbox in the browser (``/alerts``): open alerts first, then acknowledged, then resolved.

* ``GET  /alerts?state=open|acknowledged|resolved``  the inbox (every alert without ``state``)
* ``POST /alerts/<id>/acknowledge``                  "I am on it": the alert stays open
* ``POST /alerts/<id>/resolve``                      closed; needs ``confirm`` (a tick box, which
                                                     alerts.js replaces by a confirmation dialog)
* ``POST /alerts/<id>/diagnose``                     诊断 the alert's WeChat rid: the result page

Everyone logged in may look; editors and approvers (and admins) may acknowledge, resolve and
diagnose, others get the 403 page. POST → one use case (``wxpub.notify.inbox``) → redirect → a flash.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import current_user

from wxpub.core.errors import ValidationError, WxpubError
from wxpub.notify import inbox
from wxpub.releases import diagnose
from wxpub.staff.users import has_role
from wxpub.web import db_session, runtime
from wxpub.web.api_common import flag
from wxpub.web.desk import actor, done, failed, login_only, now
from wxpub.web.release_pages import diagnosis_page

bp = Blueprint("alert_pages", __name__)


def handlers_only(view):
    """The view changes an alert: editors, approvers and admins (others get the 403 page)."""
    @wraps(view)
    @login_only
    def wrapped(*args, **kwargs):
        if not has_role(current_user, *inbox.ACT_ROLES):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _back(alert_id: int | None = None):
    show = request.form.get("back", "")
    target = url_for("alert_pages.index") + (f"?state={show}" if show in inbox.SHOWS else "")
    return redirect(target + (f"#alert-{alert_id}" if alert_id else ""))


@bp.get("/alerts")
@login_only
def index():
    """The inbox, optionally one kind of alert."""
    session = db_session()
    error = None
    try:
        show = inbox.parse_show(request.args.get("state"))
    except ValidationError as refused:
        error, show = refused.message, None
    rows = inbox.listing(session, show)
    names = inbox.people(session, rows)
    return render_template("alerts/index.html", rows=rows, show=show, error=error,
                           counts=inbox.counts(session), releases=inbox.affected(session, rows),
                           names=inbox.SHOW_NAMES, severity_names=inbox.SEVERITY_NAMES,
                           show_of=inbox.show_of, can_act=has_role(current_user, *inbox.ACT_ROLES),
                           per_page=inbox.PER_PAGE, who=lambda name: names.get(name, name),
                           can_diagnose=has_role(current_user, *diagnose.ROLES),
                           fresh=lambda at: diagnose.fresh(at, now()), too_old=diagnose.TOO_OLD), 400 if error else 200


@bp.post("/alerts/<id:alert_id>/acknowledge")
@handlers_only
def acknowledge(alert_id: int):
    """Acknowledge one alert (it stays open until resolved)."""
    try:
        inbox.acknowledge(db_session(), alert_id, by=actor(), now=now())
    except WxpubError as error:
        failed(error)
        return _back(alert_id)
    done(f"已确认告警 {alert_id}：它仍在“已确认”中，直到有人标为已解决；同一问题再次出现只累计次数")
    return _back(alert_id)


@bp.post("/alerts/<id:alert_id>/resolve")
@handlers_only
def resolve(alert_id: int):
    """Resolve one alert, once the person confirmed it."""
    if not flag(request.form.get("confirm")):
        failed(ValidationError(f"告警 {alert_id} 未标为已解决：请先勾选“确认问题已处理”"))
        return _back(alert_id)
    try:
        inbox.resolve_alert(db_session(), alert_id, by=actor(), now=now())
    except WxpubError as error:
        failed(error)
        return _back(alert_id)
    done(f"告警 {alert_id} 已标为已解决；同一问题再次出现时会重新告警")
    return _back(alert_id)


@bp.post("/alerts/<id:alert_id>/diagnose")
@login_only
def diagnose_alert(alert_id: int):
    """诊断 the alert's rid: what WeChat kept of the failed request behind it."""
    if not has_role(current_user, *diagnose.ROLES):
        abort(403)
    alert = inbox.get(db_session(), alert_id)
    back = url_for("alert_pages.index") + f"#alert-{alert.id}"
    error = "" if alert.rid else f"告警 {alert.id} 没有微信请求编号（rid），无法诊断"
    return diagnosis_page(alert.rid or "", lambda: diagnose.diagnose(runtime(), alert.rid, actor=actor(),
                                                                      alert_id=alert.id),
                          subject=f"告警 {alert.id}", back_url=back, error=error, status=400 if error else 200)


def init_app(app: Flask) -> None:
    """Register the alert inbox."""
    app.register_blueprint(bp)
