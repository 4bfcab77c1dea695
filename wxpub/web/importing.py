"""Import by upload in the browser (``/library/import``): choose files, see the dry run, confirm.

Editors only. Plain forms that work without JavaScript (``static/importing.js`` adds dropping files
on the drop zone, the chosen files' sizes checked at once, and the chapter list narrowed to the
chosen series):

* ``GET  /library/import``                  the form: files, 系列, 篇章, the limits
* ``POST /library/import``                  ``imports.stage`` → redirect to the dry run
* ``GET  /library/import/<token>``          the dry run (新增 / 更新 with its changes / 未变, every
                                             error with its row, paragraph or line); once confirmed,
                                             what was imported
* ``POST /library/import/<token>/confirm``  ``imports.confirm`` with the digest of the dry run shown
                                             → the result page with a flash of the counts; if the
                                             library changed since, back to the new dry run

An upload larger than the route's limit (``imports.MAX_BATCH_BYTES``) is answered with the form
and a message saying how large it was and what the limits are (413).
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.core.importers import MAX_FILE_BYTES
from wxpub.core.textdiff import diff_html
from wxpub.library import imports, series as series_service
from wxpub.models import Chapter
from wxpub.web import db_session, upload_limit
from wxpub.web.desk import actor, can_edit, done, editor_only, failed, now

bp = Blueprint("importing", __name__)

ACTIONS = {"created": "新增", "updated": "更新", "unchanged": "未变"}
# What to do about an error, where the message alone does not say it.
ADVICE = {"conflict": "这个文件写明了自己的篇章：请把它单独上传，“导入到篇章”选“（按文件中写的）”。"}
FROM_FILE = ""  # the select value of "（按文件中写的）"
MB = 1024 * 1024


def file_size(size: int) -> str:
    """A file size for people: "812 字节", "37 KB", "1.2 MB"."""
    if size >= MB:
        return f"{size / MB:.1f}".removesuffix(".0") + " MB"
    if size >= 1024:
        return f"{round(size / 1024)} KB"
    return f"{size} 字节"


def _limits() -> dict:
    return {"files": imports.MAX_FILES, "file_mb": MAX_FILE_BYTES // MB,
            "batch_mb": imports.MAX_BATCH_BYTES // MB, "batch_bytes": imports.MAX_BATCH_BYTES,
            "file_bytes": MAX_FILE_BYTES, "types": imports.UPLOAD_TYPES}


def _form_page(*, error: str | None = None, series: str | None = None, chapter: str = "",
               status: int = 200):
    """The upload form; ``series``/``chapter``: the select values to keep (ids as text)."""
    open_series = series_service.list_series(db_session(), open_only=True)
    if series is None:  # first visit: the only open series, else "as the files say"
        series = str(open_series[0].id) if len(open_series) == 1 else FROM_FILE
    groups = [(s, sorted(s.chapters, key=lambda c: (c.position, c.id))) for s in open_series]
    return render_template("importing/form.html", groups=groups, chosen_series=series,
                           chosen_chapter=chapter, error=error, limits=_limits(),
                           accept=",".join(imports.UPLOAD_TYPES)), status


@bp.get("/library/import")
@editor_only
def form():
    """The upload form; ``?series=&chapter=`` (ids, as the library's "导入案例" links give them)
    preselect where the files go."""
    return _form_page(series=request.args.get("series") or None, chapter=request.args.get("chapter", ""))


def _target(series_value: str, chapter_value: str) -> tuple[str, str]:
    """The series and chapter names chosen in the form (ids), "" where the files should say."""
    session = db_session()
    series_name = chapter_name = ""
    series_row = None
    if series_value != FROM_FILE:
        if not series_value.isdigit() or len(series_value) > 9:
            raise ValidationError("所选的系列不存在，请重新选择")
        series_row = series_service.get_series(session, int(series_value))
        series_name = series_row.name
    if chapter_value != FROM_FILE:
        if not chapter_value.isdigit() or len(chapter_value) > 9:
            raise ValidationError("所选的篇章不存在，请重新选择")
        chapter = series_service.get_chapter(session, int(chapter_value))
        if series_row is not None and chapter.series_id != series_row.id:
            raise ValidationError(f"篇章“{chapter.name}”属于系列“{chapter.series.name}”，"
                                  f"不属于所选的系列“{series_row.name}”。请重新选择系列或篇章")
        series_name, chapter_name = chapter.series.name, chapter.name
    return series_name, chapter_name


@bp.post("/library/import")
@upload_limit(imports.MAX_BATCH_BYTES)
@editor_only
def upload():
    """Keep the chosen files and show their dry run."""
    series_value = request.form.get("series", FROM_FILE).strip()
    chapter_value = request.form.get("chapter", FROM_FILE).strip()
    files = [(f.filename or "", f.read()) for f in request.files.getlist("files")
             if f.filename or f.content_length]
    try:
        series_name, chapter_name = _target(series_value, chapter_value)
        batch = imports.stage(db_session(), files, series=series_name, chapter=chapter_name,
                              actor=actor(), now=now())
    except (ValidationError, NotFound) as error:  # NotFound: a series or chapter gone meanwhile
        return _form_page(error=error.message, series=series_value, chapter=chapter_value,
                          status=400)
    return redirect(url_for("importing.batch", token=batch.token), 303)


@bp.errorhandler(413)
def too_large(_error):
    """An upload over the route's limit: the form again, saying how large it was and the limits."""
    limit = request.max_content_length or imports.MAX_BATCH_BYTES
    if not can_edit():  # no form for those who may not import: the site's page
        return render_template("errors/413.html", status=413, code="too_large", home_url="/",
                               title="上传的内容太大", message=f"上传的内容超过了 {file_size(limit)} 的上限。",
                               request_id=None), 413
    size = request.content_length or 0
    message = (f"这次上传的文件合计约 {file_size(size)}，超过了一次最多 {file_size(limit)} 的上限，"
               "没有导入任何内容。" if size else f"上传的内容超过了一次最多 {file_size(limit)} 的上限。")
    message += (f"请分批上传：每批最多 {imports.MAX_FILES} 个文件、合计 {file_size(limit)}，"
                f"单个文件最多 {MAX_FILE_BYTES // MB} MB。")
    return _form_page(error=message, series=None, status=413)


def readable(ops) -> list[tuple[str, str]]:
    """A character diff as people read it: a change split by one or two unchanged characters
    ("1[+3]2[-6]0" for 1260 → 1320) becomes one change ("1[-26][+32]0")."""
    ops, out, i = [tuple(op) for op in ops], [], 0
    while i < len(ops):
        if ops[i][0] == "equal":
            out.append(ops[i])
            i += 1
            continue
        deleted = inserted = ""
        while i < len(ops):
            op, text = ops[i]
            if op == "delete":
                deleted += text
            elif op == "insert":
                inserted += text
            elif len(text) <= 2 and i + 1 < len(ops) and ops[i + 1][0] != "equal":
                deleted, inserted = deleted + text, inserted + text
            else:
                break
            i += 1
        out += [(op, text) for op, text in (("delete", deleted), ("insert", inserted)) if text]
    return out


def _case_rows(file_plan) -> list[dict]:
    rows = []
    for outcome in file_plan.outcomes:
        changes = [{"label": c["label"], "kind": c["kind"],
                    "html": Markup(diff_html(readable(c["ops"])))}
                   for c in imports.changes(outcome)]
        rows.append({"action": outcome.action, "label": ACTIONS[outcome.action],
                     "title": outcome.case.title, "number": outcome.case.number,
                     "series": outcome.case.series, "chapter": outcome.case.chapter,
                     "unit": outcome.case.unit, "where": outcome.case.source.position,
                     "changes": changes})
    return rows


def _error_rows(name: str, errors: list[dict]) -> list[dict]:
    """Errors for the page: the file name (the heading says it) left off the message."""
    return [{"where": e.get("location") or "整个文件",
             "message": e["message"].removeprefix(f"{name}："), "advice": ADVICE.get(e.get("code"))}
            for e in errors]


def _chapter_links(records) -> list[dict]:
    """The library view of each chapter the cases went to: ``{"series", "chapter", "url"}``."""
    session, links, seen = db_session(), [], set()
    for series_name, chapter_name in records:
        if (series_name, chapter_name) in seen:
            continue
        seen.add((series_name, chapter_name))
        row = series_service.series_by_name(session, series_name)
        chapter = row and session.scalar(select(Chapter).where(Chapter.series_id == row.id,
                                                                Chapter.name == chapter_name))
        if chapter is not None:
            links.append({"series": series_name, "chapter": chapter_name,
                          "url": f"/library?series={row.id}&chapter={chapter.id}"})
    return links


@bp.get("/library/import/<token>")
@editor_only
def batch(token: str):
    """The dry run of an upload; after 确认导入, what it imported."""
    session = db_session()
    staged = imports.get_batch(session, token, actor=actor())
    record = imports.applied(session, staged)
    if record is not None:
        return _result_page(staged, record)
    plan = imports.plan_batch(session, staged)
    files = [{"name": f.name, "size": file_size(f.size), "ok": f.ok,
              "errors": _error_rows(f.name, f.errors), "cases": _case_rows(f),
              "warnings": [{"where": w.location or "整个文件", "message": w.message}
                           for w in f.warnings]} for f in plan.files]
    good = sum(1 for f in plan.files if f.ok)
    return render_template(
        "importing/plan.html", token=token, digest=plan.digest, files=files, good=good,
        bad=len(files) - good, counts={a: plan.count(a) for a in ACTIONS}, actions=ACTIONS,
        changed=imports.changed_since_upload(staged, plan), series=staged.series,
        chapter=staged.chapter)


@bp.post("/library/import/<token>/confirm")
@editor_only
def confirm(token: str):
    """确认导入: apply exactly the dry run that was shown (its digest is posted back)."""
    try:
        result = imports.confirm(db_session(), token, digest=request.form.get("digest", ""),
                                 actor=actor(), now=now())
    except (Conflict, ValidationError) as error:
        failed(error)
        return redirect(url_for("importing.batch", token=token), 303)
    skipped = sum(1 for f in result.files if not f.ok)
    done(f"已导入：新增 {result.count('created')}，更新 {result.count('updated')}，"
         f"未变 {result.count('unchanged')}" + (f"；跳过 {skipped} 个有错误的文件" if skipped else ""))
    return redirect(url_for("importing.batch", token=token), 303)


def _result_page(staged, record: dict):
    files = [{"name": f["name"], "size": file_size(f.get("size", 0)),
              "errors": _error_rows(f["name"], f.get("errors", [])),
              "cases": [{**c, "label": ACTIONS.get(c["action"], c["action"])}
                        for c in f.get("cases", [])]} for f in record.get("files", [])]
    links = _chapter_links((c["series"], c["chapter"]) for f in files for c in f["cases"])
    counts = {a: sum(1 for f in files for c in f["cases"] if c["action"] == a) for a in ACTIONS}
    return render_template("importing/result.html", batch=staged, files=files, links=links,
                           counts=counts, actions=ACTIONS)


def init_app(app: Flask) -> None:
    """Register the import pages."""
    app.register_blueprint(bp)
    app.add_template_filter(file_size, "file_size")
