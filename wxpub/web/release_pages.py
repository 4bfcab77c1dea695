"""The release desk in the browser: the list of releases and one page per release.

* ``GET  /releases?state=&month=YYYY-MM&account=&order=soonest|newest``  every release, filtered
* ``GET  /releases/<id>``             the release: header, article links, the error with WeChat's
  rid, pre-flight checks, read-back diff, attempt log, timeline, review, and its actions
* ``GET  /releases/<id>/status.json`` what ``release.js`` polls while the release is in flight
* ``GET  /releases/<id>/pack.zip``    the manual fallback pack as a zip (404 page when none)
* ``POST /releases/<id>/retry|cancel|hold|resume|reschedule|manual``  the staff actions
* ``POST /releases/<id>/diagnose``    诊断: what WeChat kept of one of its rids (``rid`` field),
  shown on a result page (``wxpub.releases.diagnose``)

Everyone logged in may look; only editors and approvers (admins pass) act — anyone else gets the
403 page and sees no forms. Each POST calls the same service function as the JSON API
(``wxpub.releases.actions`` / ``manual``), then redirects back with a flashed message; a refusal of
a form with typed values (hold reason, new time, article links) shows the page again with the
reason beside the form and the values kept. Retry, cancel and 记录人工发布 need the ticked
confirmation box (``release.js`` adds a confirm() dialog on top).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import wraps
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from wxpub.core.errors import ValidationError, WxpubError
from wxpub.core.release_states import MODE_NAMES, STATE_NAMES, State
from wxpub.releases import actions, detail, diagnose, manual, pack, queries
from wxpub.staff.users import has_role
from wxpub.web import db_session, runtime
from wxpub.web.desk import actor, done, failed, login_only, now, tz

bp = Blueprint("release_pages", __name__)
WRITE_ROLES = ("editor", "approver")
CONFIRM = "请先勾选确认框"
CONFIRMED = ("retry", "cancel", "manual")
DAY = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")
CLOCK = re.compile(r"\s*(\d{1,2}):(\d{2})(?::\d{2})?\s*")
LIST_LIMIT = 500
ACTION_NAMES = {"retry": "重试", "cancel": "取消发布", "hold": "暂停", "resume": "恢复",
                "reschedule": "改期", "manual": "记录人工发布"}


def can_act() -> bool:
    """True when the current person may act on releases (editors, approvers, admins)."""
    return current_user.is_authenticated and has_role(current_user, *WRITE_ROLES)


def can_diagnose() -> bool:
    """True when the current person may ask WeChat about a rid (editors, approvers, admins)."""
    return current_user.is_authenticated and has_role(current_user, *diagnose.ROLES)


def actors_only(view):
    """The view changes a release: editors and approvers (admins pass); others get the 403 page."""
    @wraps(view)
    @login_only
    def wrapped(*args, **kwargs):
        if not can_act():
            abort(403)
        return view(*args, **kwargs)
    return wrapped


# --- the list ----------------------------------------------------------------------------------

@bp.get("/releases")
@login_only
def release_list():
    """Every release (filters: state, month, account; newest or soonest first), each linking to its page."""
    session, zone = db_session(), tz()
    args = {k: (request.args.get(k) or "").strip() for k in ("state", "month", "account", "order")}
    newest = args["order"] != "soonest"
    error = None
    try:
        rows = detail.find(session, in_state=args["state"], month=args["month"], account=args["account"],
                           tz=zone, newest_first=newest)
    except ValidationError as refused:
        error, rows = refused.message, []
    accounts, series = detail.names(session)
    shown = [{"release": r, "chapter": chapter, "series": series.get(r.series_id, ""),
              "account": accounts.get(r.account_id, ""), "state_name": STATE_NAMES.get(r.state, r.state),
              "mode_name": MODE_NAMES.get(r.mode, r.mode)} for r, chapter in rows[:LIST_LIMIT]]
    return render_template(
        "releases/list.html", rows=shown, total=len(rows), limit=LIST_LIMIT, args=args, error=error,
        states=[(s.value, STATE_NAMES[s]) for s in State], months=detail.months(session, zone),
        accounts=sorted(accounts.values()), filtered=any(args[k] for k in ("state", "month", "account")),
    ), 400 if error else 200


# --- one release -------------------------------------------------------------------------------

@bp.get("/releases/<id:release_id>")
@login_only
def release_page(release_id: int):
    """The release's page: everything about it, and the actions its state allows."""
    return _page(release_id)


def _page(release_id: int, *, form: str | None = None, error: str | None = None,
          values: dict | None = None, status: int = 200):
    session = db_session()
    release = queries.get(session, release_id)
    data = detail.page(session, release, runtime().settings, now=now())
    local = release.scheduled_at.astimezone(tz())
    defaults = {"date": f"{local:%Y-%m-%d}", "time": f"{local:%H:%M}", "reason": "", "urls": ""}
    return render_template(
        "releases/detail.html", d=data, r=release, can_act=can_act(), form=form, error=error,
        values={**defaults, **(values or {})}, action_names=ACTION_NAMES,
        has_pack=_has_pack(release), can_diagnose=can_diagnose(),
        diagnosable={rid: diagnose.fresh(at, now()) for rid, at in rid_times(data).items()},
        too_old=diagnose.TOO_OLD), status


def rid_times(data: dict) -> dict:
    """Each WeChat rid of the release page's attempt log and when it was first recorded."""
    times = {}
    for entry in data["log"]:
        if entry["rid"] and entry["rid"] not in times:
            times[entry["rid"]] = entry["started_at"]
    return times


def diagnosis_page(rid: str, run, *, subject: str, back_url: str, status: int = 200, error: str = ""):
    """The 诊断 result page: ``run()`` (the service call) answers what WeChat kept of ``rid``, or is
    refused (the reason in Chinese, the page's status the refusal's 4xx)."""
    shown = None
    if not error:
        try:
            shown = run()
        except WxpubError as refused:
            error = refused.message
            status = refused.http_status if 400 <= refused.http_status < 500 else 502
    return render_template("releases/diagnose.html", rid=rid, shown=shown, error=error, subject=subject,
                           back_url=back_url, invoke_at=_invoke_at(shown)), status


def _invoke_at(shown: dict | None) -> str:
    if not shown or not shown.get("invoke_time"):
        return "（微信没有记录）"
    return f"{datetime.fromisoformat(shown['invoke_time']):%Y-%m-%d %H:%M:%S}"


def _has_pack(release) -> bool:
    try:
        pack.pack_folder(runtime().settings, release)
    except WxpubError:
        return False
    return True


@bp.get("/releases/<id:release_id>/status.json")
@login_only
def release_status(release_id: int):
    """The release's state and a signature that changes when its page would (polled while live)."""
    session = db_session()
    return jsonify(detail.status(session, queries.get(session, release_id), now=now()))


@bp.get("/releases/<id:release_id>/pack.zip")
@login_only
def release_pack(release_id: int):
    """The fallback pack (index.html, images, 步骤.txt …) as one zip download."""
    release = queries.get(db_session(), release_id)
    data, name = pack.zip_pack(runtime().settings, release)
    disposition = f"attachment; filename=release-{release.id}-pack.zip; filename*=UTF-8''{quote(name)}"
    return Response(data, content_type="application/zip",
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


# --- the actions -------------------------------------------------------------------------------

def _act(release_id: int, name: str, work, message, values: dict | None = None):
    """Run ``work`` (one service call): back to the page with ``message(result)`` flashed, or the
    page again with the refusal beside the ``name`` form (``values`` kept) — flashed when nothing
    typed would be lost."""
    if name in CONFIRMED and request.form.get("confirm") != "1":
        return _refused(release_id, name, ValidationError(f"{ACTION_NAMES[name]}：{CONFIRM}"), values)
    try:
        result = work()
    except WxpubError as refused:
        return _refused(release_id, name, refused, values)
    text, *warnings = message(result)
    done(text)
    for warning in warnings:
        flash(warning, "warn")
    return redirect(url_for("release_pages.release_page", release_id=release_id))


def _refused(release_id: int, name: str, refused: WxpubError, values: dict | None):
    if refused.http_status == 404:
        raise refused
    if values is None:
        failed(refused)
        return redirect(url_for("release_pages.release_page", release_id=release_id, _anchor="actions"))
    status = refused.http_status if 400 <= refused.http_status < 500 else 400
    return _page(release_id, form=name, error=refused.message, values=values, status=status)


@bp.post("/releases/<id:release_id>/retry")
@actors_only
def release_retry(release_id: int):
    """Send a failed or held release again now."""
    return _act(release_id, "retry", lambda: actions.retry(db_session(), release_id, by=actor(), now=now()),
                lambda r: [f"已重试：发布 {r.id} 将立即重新发送，本页会显示进度。"])


@bp.post("/releases/<id:release_id>/cancel")
@actors_only
def release_cancel(release_id: int):
    """Cancel a release not yet submitted to WeChat."""
    return _act(release_id, "cancel", lambda: actions.cancel(db_session(), release_id, by=actor(), now=now()),
                lambda r: [f"已取消发布 {r.id}：它不会再发送（需要时可改期重新排入计划）。"])


@bp.post("/releases/<id:release_id>/hold")
@actors_only
def release_hold(release_id: int):
    """Stop a release until someone resumes, reschedules or retries it (an optional reason)."""
    values = {"reason": request.form.get("reason", "")}
    if len(values["reason"]) > 500:
        return _refused(release_id, "hold", ValidationError("暂停原因：最多 500 字"), values)
    return _act(release_id, "hold", lambda: actions.hold(db_session(), release_id, by=actor(), now=now(),
                                                         reason=values["reason"]),
                lambda r: [f"已暂停发布 {r.id}：在恢复、改期或重试之前不会发送。"], values)


@bp.post("/releases/<id:release_id>/resume")
@actors_only
def release_resume(release_id: int):
    """Put a held release back on its schedule."""
    def message(r):
        when = r.scheduled_at.astimezone(tz())
        return [f"已恢复发布 {r.id}：现为“{STATE_NAMES.get(r.state, r.state)}”，"
                f"按计划于北京时间 {when:%Y-%m-%d %H:%M} 发送。"]
    return _act(release_id, "resume", lambda: actions.resume(db_session(), release_id, by=actor(), now=now()),
                message)


def _new_time(values: dict):
    """The form's date and time (Beijing time) as an aware datetime, or a ``ValidationError``."""
    # full-width digits, colon and dash (typed with a Chinese input method) read as ASCII
    day = DAY.fullmatch(unicodedata.normalize("NFKC", values["date"] or ""))
    clock = CLOCK.fullmatch(unicodedata.normalize("NFKC", values["time"] or ""))
    if not (values["date"] or "").strip():
        raise ValidationError("新的发布时间：请填写日期（如 2026-03-07）")
    if not day:
        raise ValidationError(f"新的发布时间：日期“{values['date'][:20]}”应写成 YYYY-MM-DD（如 2026-03-07）")
    if not (values["time"] or "").strip():
        raise ValidationError("新的发布时间：请填写时刻（如 09:00）")
    if not clock or int(clock.group(1)) > 23:
        raise ValidationError(f"新的发布时间：时刻“{values['time'][:20]}”应写成 HH:MM（如 09:00）")
    text = f"{day.group(1)}-{int(day.group(2)):02d}-{int(day.group(3)):02d} {int(clock.group(1)):02d}:{clock.group(2)}"
    return actions.parse_at(text, field="新的发布时间", tz=tz())


@bp.post("/releases/<id:release_id>/reschedule")
@actors_only
def release_reschedule(release_id: int):
    """Move a release to a new date and time (Beijing time); the day's notes are flashed after."""
    values = {"date": request.form.get("date", ""), "time": request.form.get("time", "")}
    settings = runtime().settings
    holder = {}

    def work():
        holder["at"] = at = _new_time(values)
        return actions.reschedule(db_session(), release_id, at=at, by=actor(), now=now(), settings=settings)

    def message(r):
        when = r.scheduled_at.astimezone(tz())
        notes = actions.day_notes(holder["at"], tz())
        return [f"已改期：发布 {r.id} 改到北京时间 {when:%Y-%m-%d %H:%M}，"
                f"现为“{STATE_NAMES.get(r.state, r.state)}”。", *[f"请注意：{n}" for n in notes]]
    return _act(release_id, "reschedule", work, message, values)


@bp.post("/releases/<id:release_id>/manual")
@actors_only
def release_manual(release_id: int):
    """记录人工发布: the release was published by hand; its article links, one per line."""
    values = {"urls": request.form.get("urls", "")}
    urls = [line.strip() for line in values["urls"].splitlines() if line.strip()]
    return _act(release_id, "manual", lambda: manual.record_manual(db_session(), release_id, urls=urls,
                                                                   by=actor(), now=now()),
                lambda r: [f"已记录人工发布：发布 {r.id} 现为“人工发布”，共 {len(r.article_urls or [])} 个文章链接；"
                           "系统不会再发送它，统计数据会关联到这些文章。"], values)


@bp.post("/releases/<id:release_id>/diagnose")
@login_only
def release_diagnose(release_id: int):
    """诊断 a rid of this release (its failure's or an attempt's): what WeChat kept of the request."""
    if not can_diagnose():
        abort(403)
    session = db_session()
    release = queries.get(session, release_id)
    rid = (request.form.get("rid") or "").strip()
    back = url_for("release_pages.release_page", release_id=release_id)
    known = rid_times(detail.page(session, release, runtime().settings, now=now()))
    error = "" if rid in known else f"rid“{rid[:70]}”不是发布 {release_id} 的微信请求编号，请从发布页面点“诊断”"
    return diagnosis_page(rid, lambda: diagnose.diagnose(runtime(), rid, actor=actor(), release_id=release_id),
                          subject=f"发布 {release_id}", back_url=back, error=error, status=400 if error else 200)


def init_app(app: Flask) -> None:
    """Register the release pages."""
    app.register_blueprint(bp)
