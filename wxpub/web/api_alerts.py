"""JSON API of the alert inbox (registered by ``wxpub.web.api``: login required; writes need the
CSRF token and the editor or approver role — admins pass anyway). Times are Beijing ISO 8601.

* ``GET  /api/v1/alerts?state=open|acknowledged|resolved``  ``{"alerts": [...], "counts": {...}, "page", "per_page", "total"}``
  (open first, then acknowledged, then resolved; every alert without ``state``)
* ``POST /api/v1/alerts/<id>/acknowledge``  someone is on it: the alert stays open
* ``POST /api/v1/alerts/<id>/resolve``      closed: the next occurrence of its cause alerts again

An alert carries ``rid`` (WeChat's request id of the failure behind it, for 诊断: ``POST
/api/v1/diagnose``; null when none). Each write answers with the alert; 400 names a bad
``state``, 404 an unknown alert, 409 an alert already acknowledged or resolved.
"""

from __future__ import annotations

from pydantic import Field
from flask import jsonify

from wxpub.notify import inbox
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor
from wxpub.web.api_schema import Paging, operation, page_of, paged_answer, shape

TAG = "告警"
ALERT = shape({"id": "integer", "cause": "string", "severity": "string", "severity_name": "string",
               "message": "string", "state": "string", "state_name": "string", "count": "integer",
               "first_at": "string?", "last_at": "string?", "release_ids": "list", "sent": "any",
               "acknowledged_at": "string?", "acknowledged_by": "string?", "resolved_at": "string?",
               "resolved_by": "string?", "rid": "string?"})


class AlertQuery(Paging):
    """Which alerts."""

    state: str | None = Field(None, description="open（未处理）、acknowledged（已确认）、resolved（已解决）；不给则全部")


@operation("告警列表（未处理的在前，分页）", tag=TAG, query=AlertQuery,
           answer=paged_answer(ALERT, "alerts", counts=shape({s: "integer" for s in inbox.SHOWS})))
def list_alerts(query: AlertQuery):
    """GET /api/v1/alerts — the inbox, optionally one kind of alert."""
    session, tz = db_session(), runtime().settings.tz
    show = inbox.parse_show(query.state)
    answer = page_of(inbox.listing(session, show), query, "alerts")
    answer["alerts"] = [inbox.alert_dict(a, tz) for a in answer["alerts"]]
    return jsonify({**answer, "counts": inbox.counts(session)})


@operation("确认告警（有人在处理，告警仍未解决）", tag=TAG, answer=ALERT, errors=(409,))
def acknowledge_alert(alert_id: int):
    """POST /api/v1/alerts/<id>/acknowledge."""
    rt = runtime()
    alert = inbox.acknowledge(db_session(), alert_id, by=actor(), now=rt.clock.now())
    return jsonify(inbox.alert_dict(alert, rt.settings.tz))


@operation("解决告警（同一原因再次出现时重新告警）", tag=TAG, answer=ALERT, errors=(409,))
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
