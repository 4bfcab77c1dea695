"""JSON API of the alert inbox (registered by ``wxpub.web.api``: login required; writes need the
CSRF token and the editor or approver role — admins pass anyway). Times are Beijing ISO 8601.

* ``GET  /api/v1/alerts?state=open|acknowledged|resolved``  ``{"alerts": [...], "counts": {...}}``
  (open first, then acknowledged, then resolved; every alert without ``state``)
* ``POST /api/v1/alerts/<id>/acknowledge``  someone is on it: the alert stays open
* ``POST /api/v1/alerts/<id>/resolve``      closed: the next occurrence of its cause alerts again

An alert carries ``rid`` (WeChat's request id of the failure behind it, for 诊断: ``POST
/api/v1/diagnose``; null when none). Each write answers with the alert; 400 names a bad
``state``, 404 an unknown alert, 409 an alert already acknowledged or resolved.
"""

from __future__ import annotations

from flask import jsonify, request

from wxpub.notify import inbox
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor


def list_alerts():
    """GET /api/v1/alerts — the inbox, optionally one kind of alert."""
    session, tz = db_session(), runtime().settings.tz
    show = inbox.parse_show(request.args.get("state"))
    return jsonify({"alerts": [inbox.alert_dict(a, tz) for a in inbox.listing(session, show)],
                    "counts": inbox.counts(session)})


def acknowledge_alert(alert_id: int):
    """POST /api/v1/alerts/<id>/acknowledge."""
    rt = runtime()
    alert = inbox.acknowledge(db_session(), alert_id, by=actor(), now=rt.clock.now())
    return jsonify(inbox.alert_dict(alert, rt.settings.tz))


def resolve_alert(alert_id: int):
    """POST /api/v1/alerts/<id>/resolve."""
    rt = runtime()
    alert = inbox.resolve_alert(db_session(), alert_id, by=actor(), now=rt.clock.now())
    return jsonify(inbox.alert_dict(alert, rt.settings.tz))


for _view in (acknowledge_alert, resolve_alert):
    _view.write_roles = inbox.ACT_ROLES
    _view.forbidden_message = "不能处理告警，请由编辑或终审操作"

ROUTES = [
    ("/alerts", list_alerts, ["GET"]),
    ("/alerts/<id:alert_id>/acknowledge", acknowledge_alert, ["POST"]),
    ("/alerts/<id:alert_id>/resolve", resolve_alert, ["POST"]),
]
