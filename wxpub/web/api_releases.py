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

Each write answers with the release detail; 400 names the bad field, 404 an unknown release,
409 a move the state model (or the 群发 quota) refuses.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import jsonify, request
from sqlalchemy import or_, select

from wxpub.core.errors import ValidationError
from wxpub.core.release_states import State, state_name
from wxpub.models import Account, Chapter, Message, PublishAttempt, Release, ReleaseTransition
from wxpub.releases import actions, queries
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor, body

WRITE_ROLES = ("editor", "approver")
MONTH = re.compile(r"(\d{4})-(\d{2})")
PREFLIGHT_STEPS = ("preflight-24h", "preflight-1h")
RID = re.compile(r"rid:\s*([0-9A-Za-z-]+)")  # WeChat appends it to errmsg: "... rid: 65f0-1a2b-3c4d"


def _rid(detail: dict) -> str | None:
    """WeChat's request id for an error, when the attempt recorded one (itself, or in its errmsg)."""
    if detail.get("rid"):
        return str(detail["rid"])
    texts = [detail.get("error"), detail.get("message"), *(detail.get("errors") or [])]
    found = [m.group(1) for t in texts if isinstance(t, str) for m in [RID.search(t)] if m]
    return found[-1] if found else None


def _at(value, tz) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


def _month_range(text: str, tz) -> tuple[datetime, datetime]:
    match = MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(f"参数 month 应为 YYYY-MM（如 2026-03），而不是 {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start, end


def list_releases():
    """GET /api/v1/releases — soonest first, optionally filtered."""
    session, tz = db_session(), runtime().settings.tz
    query = (select(Release, Chapter.name).join(Chapter, Release.chapter_id == Chapter.id)
             .order_by(Release.scheduled_at, Release.id))
    state = request.args.get("state", "")
    if state:
        if state not in {s.value for s in State}:
            raise ValidationError(f"参数 state 无效：{state!r}（可选 {'、'.join(s.value for s in State)}）")
        query = query.where(Release.state == state)
    month = request.args.get("month", "")
    if month:
        start, end = _month_range(month, tz)
        query = query.where(Release.scheduled_at >= start, Release.scheduled_at < end)
    account = request.args.get("account", "")
    if account:
        query = query.join(Account, Release.account_id == Account.id).where(
            or_(Account.name == account, Account.appid == account))
    rows = session.execute(query).all()
    return jsonify({"releases": queries.listed(session, rows, tz=tz)})


def _detail(session, release: Release) -> dict:
    rt = runtime()
    tz = rt.settings.tz
    chapter = session.get(Chapter, release.chapter_id)
    data = queries.release_dict(release, chapter.name if chapter else "", tz)
    transitions = session.scalars(select(ReleaseTransition).where(ReleaseTransition.release_id == release.id)
                                  .order_by(ReleaseTransition.at, ReleaseTransition.id)).all()
    attempts = session.scalars(select(PublishAttempt).where(PublishAttempt.release_id == release.id)
                               .order_by(PublishAttempt.id)).all()
    preflight = {}
    for a in attempts:  # the newest row of each window wins
        if a.step in PREFLIGHT_STEPS:
            preflight[a.step] = {"step": a.step, "ok": a.outcome == "ok", "outcome": a.outcome,
                                 "problems": list((a.detail or {}).get("problems") or []),
                                 "at": _at(a.started_at, tz)}
    readbacks = [a for a in attempts if a.step == "readback" and a.outcome == "ok"]
    message = session.get(Message, release.message_id) if release.message_id else None
    data.update({
        "state_name": state_name(release.state),
        "timeline": [{"from": t.from_state, "to": t.to_state, "step": t.step, "reason": t.reason,
                      "actor": t.actor, "at": _at(t.at, tz)} for t in transitions],
        "attempts": [{"step": a.step, "outcome": a.outcome, "errcode": a.errcode,
                      "detail": a.detail or {}, "rid": _rid(a.detail or {}),
                      "started_at": _at(a.started_at, tz), "finished_at": _at(a.finished_at, tz)}
                     for a in attempts],
        "preflight": [preflight[s] for s in PREFLIGHT_STEPS if s in preflight],
        "readback": (readbacks[-1].detail or {}).get("changes") or [] if readbacks else None,
        "fallback_path": release.fallback_path,
        "review": _review(session, message, rt.settings),
    })
    return data


def _review(session, message, settings) -> dict | None:
    if message is None:
        return None
    from wxpub.editorial.review_report import review_json
    full = review_json(session, message, settings.review_policy, settings.tz)
    return {"complete": full["complete"], "version_hash": full["version_hash"], "missing": full["missing"]}


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
]
