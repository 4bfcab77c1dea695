"""JSON API of the release desk (registered by ``wxpub.web.api``: login required; writes need the
CSRF token and the editor or approver role — admins pass anyway). Times are Beijing ISO 8601.

* ``GET  /api/v1/releases?state=&month=YYYY-MM&account=``  ``{"releases": [...]}`` in the
  ``wxpub release list --json`` shape (``month`` in Beijing time; ``account`` its name or AppID)
* ``GET  /api/v1/releases/<id>``  that, plus ``state_name``, ``timeline`` (every state move),
  ``attempts`` (the publish log, WeChat's ``rid`` when it gave one), ``preflight`` (the latest
  24-hour and 1-hour checks, as the pre-flight job records them), ``readback`` (what WeChat changed
  in the draft), ``fallback_path`` and ``review`` (``complete``, ``version_hash``, ``missing``)
* ``POST /api/v1/releases/<id>/retry|cancel|hold|resume`` (``hold`` takes an optional ``{"reason"}``)
* ``POST /api/v1/releases/<id>/reschedule``  ``{"at": ISO 8601 with offset | "YYYY-MM-DD HH:MM"}``
* ``POST /api/v1/releases/<id>/manual``  ``{"article_urls": [...]}`` (published by hand in the
  WeChat back office)
* ``POST /api/v1/diagnose``  ``{"rid", "release_id"?, "alert_id"?}`` → what WeChat kept of that
  request: ``{"rid", "invoke_time" (Beijing ISO 8601), "cost_in_ms", "request_url", "request_body",
  "response_body", "client_ip", "errcode", "errmsg", "explanation"}`` (access tokens masked); 404
  for a rid WeChat does not know (76001), 409 one of another account (76002), 410 one it no longer
  keeps (76003) or that wxpub recorded more than 7 days ago (WeChat is then not asked)

Each write answers with the release detail; 400 names the bad field, 404 an unknown release,
409 a move the state model (or the 群发 quota) refuses.
"""

from __future__ import annotations

from flask import jsonify, request

from wxpub.core.errors import ValidationError
from wxpub.releases import actions, detail, diagnose, queries
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor, body

WRITE_ROLES = ("editor", "approver")


def list_releases():
    """GET /api/v1/releases — soonest first, optionally filtered."""
    session, tz = db_session(), runtime().settings.tz
    rows = detail.find(session, in_state=request.args.get("state", ""), month=request.args.get("month", ""),
                       account=request.args.get("account", ""), tz=tz)
    return jsonify({"releases": queries.listed(session, rows, tz=tz)})


def _detail(session, release) -> dict:
    return detail.detail(session, release, runtime().settings)


def get_release(release_id: int):
    """GET /api/v1/releases/<id> — one release with its timeline, publish log and checks."""
    session = db_session()
    return jsonify(_detail(session, queries.get(session, release_id)))


def _answer(release_id: int, **extra):
    session = db_session()
    return jsonify({**_detail(session, queries.get(session, release_id)), **extra})


def _optional_body() -> dict:
    return body() if request.get_data(cache=True) else {}


def retry_release(release_id: int):
    """POST /api/v1/releases/<id>/retry — send a held or failed release again now."""
    actions.retry(db_session(), release_id, by=actor(), now=runtime().clock.now())
    return _answer(release_id)


def cancel_release(release_id: int):
    """POST /api/v1/releases/<id>/cancel — nothing of it will be sent."""
    actions.cancel(db_session(), release_id, by=actor(), now=runtime().clock.now())
    return _answer(release_id)


def hold_release(release_id: int):
    """POST /api/v1/releases/<id>/hold ``{"reason"}`` (optional) — stop it until someone decides."""
    reason = _optional_body().get("reason") or ""
    if not isinstance(reason, str):
        raise ValidationError("reason（暂停原因）应为字符串")
    actions.hold(db_session(), release_id, by=actor(), now=runtime().clock.now(), reason=reason)
    return _answer(release_id)


def resume_release(release_id: int):
    """POST /api/v1/releases/<id>/resume — a held release back on its schedule."""
    actions.resume(db_session(), release_id, by=actor(), now=runtime().clock.now())
    return _answer(release_id)


def reschedule_release(release_id: int):
    """POST /api/v1/releases/<id>/reschedule ``{"at"}`` — a new time (its day's notes in ``warnings``)."""
    rt = runtime()
    at = actions.parse_at(body().get("at"), field="at", tz=rt.settings.tz)
    actions.reschedule(db_session(), release_id, at=at, by=actor(), now=rt.clock.now(), settings=rt.settings)
    return _answer(release_id, warnings=actions.day_notes(at, rt.settings.tz))


def manual_release(release_id: int):
    """POST /api/v1/releases/<id>/manual ``{"article_urls": [...]}`` — it was published by hand."""
    urls = body().get("article_urls")
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and u.strip() for u in urls):
        raise ValidationError("article_urls（文章链接）应为非空的链接列表")
    from wxpub.releases import manual
    manual.record_manual(db_session(), release_id, urls=[u.strip() for u in urls], by=actor(),
                         now=runtime().clock.now())
    return _answer(release_id)


def diagnose_rid():
    """POST /api/v1/diagnose ``{"rid"}`` — 诊断: WeChat's record of the request (``openapi/rid/get``)."""
    data = body()
    unknown = sorted(set(data) - {"rid", "release_id", "alert_id"})
    if unknown:
        raise ValidationError(f"不认识的字段：{'、'.join(unknown)}（可用：rid、release_id、alert_id）")
    ids = {}
    for name in ("release_id", "alert_id"):
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValidationError(f"字段 {name} 应为正整数")
        ids[name] = value
    return jsonify(diagnose.diagnose(runtime(), data.get("rid"), actor=actor(), **ids))


diagnose_rid.write_roles = diagnose.ROLES
diagnose_rid.forbidden_message = "不能诊断微信请求，请由编辑或终审操作"

for _view in (retry_release, cancel_release, hold_release, resume_release, reschedule_release,
              manual_release):
    _view.write_roles = WRITE_ROLES
    _view.forbidden_message = "不能操作发布，请由编辑或终审操作"

ROUTES = [
    ("/releases", list_releases, ["GET"]),
    ("/releases/<id:release_id>", get_release, ["GET"]),
    ("/releases/<id:release_id>/retry", retry_release, ["POST"]),
    ("/releases/<id:release_id>/cancel", cancel_release, ["POST"]),
    ("/releases/<id:release_id>/hold", hold_release, ["POST"]),
    ("/releases/<id:release_id>/resume", resume_release, ["POST"]),
    ("/releases/<id:release_id>/reschedule", reschedule_release, ["POST"]),
    ("/releases/<id:release_id>/manual", manual_release, ["POST"]),
    ("/diagnose", diagnose_rid, ["POST"]),
]
