"""Planning in the browser (``/plans``): the stored plans, a form per plan, YAML import and export.

Plain forms that work without JavaScript (``plans.js`` adds the live check through
``POST /api/v1/plans``): 检查 is a dry run showing the same errors and warnings as
``wxpub plan show`` with the computed calendar; 保存并应用 (confirmed) applies the plan and stores
its text as the series' plan. A form filled from a YAML text and not changed keeps that text byte
for byte; a changed form is written anew (its comments are then not kept — the page says so).

* ``GET  /plans``                 the stored plans (series, account, mode, next release), import
* ``GET  /plans/new?series=ID``   an empty form (the series' chapters filled in)
* ``GET  /plans/<id>``            the form of a stored plan, and the series' releases
* ``GET  /plans/<id>.yaml``       download the stored text exactly as given
* ``POST /plans/import``          a .yaml upload or pasted text → the form filled from it
* ``POST /plans/form``            ``action=check`` (dry run) or ``action=apply`` (needs ``confirm``)
"""

from __future__ import annotations

import base64
from datetime import timedelta

from flask import Blueprint, Flask, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wxpub.core import plans
from wxpub.core.errors import ValidationError
from wxpub.core.plans import form as plan_fields
from wxpub.core.release_states import mode_name, state_name
from wxpub.library import series as series_service
from wxpub.models import Account, Chapter, Release, User
from wxpub.releases import plan_form, plan_store
from wxpub.staff.users import has_role
from wxpub.stats.exports import content_disposition
from wxpub.web import db_session, runtime, upload_limit
from wxpub.web.desk import actor, done, login_only, now, tz

bp = Blueprint("plan_pages", __name__)
APPLY_ROLES = ("editor", "approver")
MAX_UPLOAD = 512 * 1024
BLANK_ROWS = 2
WAITING = ("planned", "approved", "held")


def encode_source(text: str | None) -> str:
    """The source YAML for the form's hidden field: base64 of its UTF-8 bytes, because browsers
    turn every line break of a submitted field into CRLF and the text must come back byte for byte."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii") if text is not None else ""


def decode_source(value: str) -> str | None:
    """The source YAML back from the hidden field (None when absent or not one of ours)."""
    if not value:
        return None
    try:
        return base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, UnicodeError):
        return None


def can_apply() -> bool:
    """Whether the current person may apply plans (editors, approvers, admins)."""
    return current_user.is_authenticated and has_role(current_user, *APPLY_ROLES)


def _next_release(session, series_name: str):
    return session.scalar(select(Release).where(Release.plan_key.like(f"{series_name}/%"),
                                                Release.state.in_(WAITING), Release.scheduled_at >= now())
                          .order_by(Release.scheduled_at).limit(1))


def _display_name(session, username: str) -> str:
    user = session.scalar(select(User).where(User.username == username)) if username else None
    return user.display_name if user is not None and user.display_name else username


def _list_page(*, errors=None, pasted: str = "", status: int = 200):
    session = db_session()
    rows = []
    for row in plan_store.stored_plans(session):
        plan = plan_store.parsed(row)
        upcoming = _next_release(session, row.series_name)
        rows.append({"row": row, "account": plan_store.account_name(session, row),
                     "by": _display_name(session, row.updated_by),
                     "mode": mode_name(plan.mode) if plan else "（无法解析）", "next": upcoming,
                     "next_chapter": session.get(Chapter, upcoming.chapter_id).name if upcoming else ""})
    return render_template("plans/list.html", rows=rows, errors=errors or [], pasted=pasted,
                           can_apply=can_apply()), status


@bp.get("/plans")
@login_only
def plan_list():
    """The stored plans, one per series, and the YAML import."""
    return _list_page()


def _series_options(session) -> list[dict]:
    return [{"id": s.id, "name": s.name, "chapters": [c.name for c in sorted(s.chapters, key=lambda c: c.position)]}
            for s in series_service.list_series(session)]


def _account_names(session) -> list[str]:
    return list(session.scalars(select(Account.name).order_by(Account.id)))


def _form_page(fields: plan_fields.PlanFields, *, source_text: str | None = None, plan_id: int | None = None,
               name: str = plan_form.BROWSER_NAME, result=None, form_error=None, apply_error: str = "",
               status: int = 200):
    """The planning form with ``fields``; ``result`` is a dry run's ``CheckResult``."""
    session = db_session()
    options = _series_options(session)
    if fields.series and fields.series not in [o["name"] for o in options]:
        options.append({"id": None, "name": fields.series, "chapters": []})
    chosen = next((o for o in options if o["name"] == fields.series), None)
    rows = list(fields.chapters) + [plan_fields.ChapterRow() for _ in range(BLANK_ROWS)]
    try:
        yaml_text = plan_fields.text_for(fields, source_text, plan_form.source_fields(source_text))
    except plan_fields.FormError:
        yaml_text = source_text or ""
    changed = source_text is not None and yaml_text != source_text
    stored = plan_store.get(session, plan_id) if plan_id else None
    releases = _series_releases(session, stored.series_name) if stored else []
    return render_template(
        "plans/form.html", f=fields, rows=rows, options=options, chosen=chosen,
        accounts=_account_names(session), source_text=source_text, plan_id=plan_id, stored=stored, name=name,
        result=result, form_error=form_error, apply_error=apply_error, yaml_text=yaml_text, changed=changed,
        releases=releases, can_apply=can_apply(), mode_labels=dict(plan_fields.MODE_CHOICES),
        source_b64=encode_source(source_text),
        updated_by=_display_name(session, stored.updated_by) if stored else ""), status


def _series_releases(session, series_name: str) -> list[dict]:
    rows = session.execute(select(Release, Chapter.name).join(Chapter, Release.chapter_id == Chapter.id)
                           .where(Release.plan_key.like(f"{series_name}/%"))
                           .order_by(Release.scheduled_at, Release.id)).all()
    return [{"id": r.id, "chapter": name, "at": r.scheduled_at, "mode": mode_name(r.mode),
             "state": r.state, "state_name": state_name(r.state)} for r, name in rows]


def _defaults(session, series_id: int | None) -> plan_fields.PlanFields:
    settings = runtime().settings
    accounts = _account_names(session)
    series = next((o for o in _series_options(session) if o["id"] == series_id), None) if series_id else None
    tomorrow = (now().astimezone(tz()) + timedelta(days=1)).date().isoformat()
    return plan_fields.PlanFields(
        series=series["name"] if series else "", account=accounts[0] if accounts else "",
        account_type=settings.account_type, start_date=tomorrow, start_time="09:00", interval="7",
        time_of_day="09:00", workdays_only=True,
        chapters=[plan_fields.ChapterRow(name) for name in (series["chapters"] if series else [])])


@bp.get("/plans/new")
@login_only
def plan_new():
    """An empty planning form (``?series=<id or name>`` fills in that series' chapters)."""
    raw, session = request.args.get("series", "").strip(), db_session()
    series_id = int(raw) if raw.isdigit() and len(raw) < 10 else next(
        (o["id"] for o in _series_options(session) if o["name"] == raw), None)
    return _form_page(_defaults(session, series_id))


def _stored_or_404(plan_id: int):
    row = plan_store.get(db_session(), plan_id)
    if row is None:
        abort(404)
    return row


@bp.get("/plans/<id:plan_id>")
@login_only
def plan_edit(plan_id: int):
    """The form of a stored plan (filled from its text and checked) and the series' releases."""
    row = _stored_or_404(plan_id)
    try:
        fields = plan_form.fields_for_text(row.yaml_text, row.filename or plan_form.BROWSER_NAME)
    except plans.PlanError as error:
        return _list_page(errors=_problems(error), pasted=row.yaml_text, status=200)
    name = row.filename or plan_form.BROWSER_NAME
    result = plan_form.check(db_session(), row.yaml_text, now=now(), settings=runtime().settings, name=name)
    return _form_page(fields, source_text=row.yaml_text, plan_id=row.id, name=name, result=result)


@bp.get("/plans/<id:plan_id>.yaml")
@login_only
def plan_download(plan_id: int):
    """The stored plan's text exactly as given (UTF-8 YAML)."""
    row = _stored_or_404(plan_id)
    return Response(row.yaml_text.encode("utf-8"), mimetype="application/x-yaml",
                    headers={"Content-Disposition": content_disposition(
                        f"发布计划-{row.series_name}", "yaml", ascii_stem=f"plan-{row.id}"),
                        "Cache-Control": "no-store"})


def _problems(error: plans.PlanError) -> list[dict]:
    return [{"line": line, "message": message} for line, message in error.problems]


@bp.post("/plans/import")
@login_only
@upload_limit(MAX_UPLOAD + 64 * 1024)
def plan_import():
    """A .yaml file (or pasted text) → the form filled from it, checked; nothing is stored."""
    upload = request.files.get("file")
    name, text = plan_form.BROWSER_NAME, request.form.get("text", "")
    if upload is not None and upload.filename:
        data = upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return _list_page(errors=[{"line": None, "message": f"文件 {upload.filename} 太大（最多 512 KB）"}],
                              status=400)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return _list_page(errors=[{"line": None, "message": f"{upload.filename} 不是 UTF-8 编码的 YAML 文件"}],
                              status=400)
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:100] or name
    if not text.strip():
        return _list_page(errors=[{"line": None, "message": "请选择一个 .yaml 文件，或把计划的 YAML 文本粘贴到文本框里"}],
                          status=400)
    try:
        fields = plan_form.fields_for_text(text, name)
    except plans.PlanError as error:
        return _list_page(errors=_problems(error), pasted=text, status=400)
    session = db_session()
    stored = plan_store.for_plan(session, fields.series, fields.account)
    result = plan_form.check(session, text, now=now(), settings=runtime().settings, name=name)
    return _form_page(fields, source_text=text, plan_id=stored.id if stored else None, name=name, result=result)


@bp.post("/plans/form")
@login_only
def plan_submit():
    """检查 (dry run) or 保存并应用 (confirmed) the posted form."""
    form = request.form
    fields = plan_form.fields_from_mapping(form.get, form.getlist)
    source_text = decode_source(form.get("source_b64", ""))
    raw_id = form.get("plan_id", "")
    plan_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 10 else None
    name = (form.get("name") or plan_form.BROWSER_NAME)[:300]
    page = dict(source_text=source_text, plan_id=plan_id, name=name)
    try:
        text = plan_fields.text_for(fields, source_text, plan_form.source_fields(source_text))
    except plan_fields.FormError as error:
        return _form_page(fields, form_error=error, status=400, **page)
    session, settings = db_session(), runtime().settings
    if form.get("action") != "apply":
        return _form_page(fields, result=plan_form.check(session, text, now=now(), settings=settings, name=name),
                          **page)
    if not can_apply():
        abort(403)
    if not form.get("confirm"):
        result = plan_form.check(session, text, now=now(), settings=settings, name=name)
        return _form_page(fields, result=result, apply_error="请先勾选“我已核对上面的日历，确认应用”，再点“保存并应用”。",
                          status=400, **page)
    try:
        report, result = plan_form.apply(session, text, now=now(), settings=settings, actor=actor(), name=name)
    except plan_form.PlanRejected:
        result = plan_form.check(session, text, now=now(), settings=settings, name=name)
        return _form_page(fields, result=result, apply_error="计划有错误，未应用：请按下面的提示改正后再试。",
                          status=400, **page)
    except ValidationError as error:
        return _form_page(fields, apply_error=error.message, status=400, **page)
    stored = plan_store.for_plan(session, result.loaded.plan.series, result.loaded.plan.account)
    done(plan_form.report_line(report))
    return redirect(url_for("plan_pages.plan_edit", plan_id=stored.id))


def init_app(app: Flask) -> None:
    """Register the planning pages."""
    app.register_blueprint(bp)
