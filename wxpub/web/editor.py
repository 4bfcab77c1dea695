"""The case editor in the browser (``/library/cases/<id>…``): a structured form, proofreading
beside each field, the version history with a character-level diff, revert, and the one-click
punctuation fix. Plain forms (POST → one service in ``wxpub.library.editing`` → redirect → flash);
``static/editor.js`` only moves points without a round trip.

* ``GET  /library/cases/<id>``                   the form (read-only for roles that cannot edit)
* ``POST /library/cases/<id>``                   save as a new version (or 上移/下移 a point: the
                                                 form comes back reordered, not yet saved)
* ``POST /library/cases/<id>/fix-punctuation``   half-width → full-width as a new version
* ``GET  /library/cases/<id>/history?from=&to=`` every version; the diff of any two
* ``POST /library/cases/<id>/revert``            an old version's content as a new version
"""

from __future__ import annotations

from itertools import zip_longest

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from markupsafe import Markup

from wxpub.core.content import contact_name
from wxpub.core.errors import Conflict, ValidationError, WxpubError
from wxpub.core.release_states import MODE_NAMES, STATE_NAMES, Mode, State
from wxpub.library import drift, editing
from wxpub.library import service as library
from wxpub.web import db_session, runtime
from wxpub.web.desk import actor, can_edit, done, editor_only, failed, login_only, now, tz

bp = Blueprint("editor", __name__, url_prefix="/library/cases")
SPARE = 2          # empty rows offered under every list, for adding
STATUS_NAMES = {"pending": "待定", "selected": "入选", "rejected": "淘汰"}
KIND_NAMES = {"changed": "修改", "added": "新增", "removed": "删除"}


# --- shared with the JSON API (wxpub.web.api_editor) ---------------------------------------------

def proofread(content: dict) -> list:
    """The proofreading findings of a content dict, with the office lexicon."""
    from wxpub.core.lint.proofread import proofread_case
    from wxpub.editorial.compose import office_lexicon
    return proofread_case(content, office_lexicon(runtime().settings))


def finding_dict(found) -> dict:
    """A ``FieldFinding`` as JSON (and as the template reads it)."""
    f = found.finding
    return {"field": found.field, "label": found.label, "rule": f.rule, "severity": f.severity,
            "message": f.message, "text": f.text, "anchor": anchor(found.field)}


def release_dict(release) -> dict:
    """A release a case is under, as staff read it (Beijing time)."""
    from wxpub.infra.clock import format_local
    try:
        state_name = STATE_NAMES[State(release.state)]
    except (KeyError, ValueError):
        state_name = release.state
    try:
        mode_name = MODE_NAMES[Mode(release.mode)]
    except (KeyError, ValueError):
        mode_name = release.mode
    return {"id": release.id, "scheduled_at": release.scheduled_at.isoformat(),
            "when": format_local(release.scheduled_at, tz()), "state": release.state,
            "state_name": state_name, "mode": release.mode, "mode_name": mode_name,
            "description": drift.describe(release, tz())}


def saved_message(saved, *, prefix: str = "") -> str:
    """The flash of a save, a revert or a fix: the new version, and who was told."""
    if not saved.created:
        return "内容没有变化，没有生成新版本"
    text = f"{prefix}已保存为 v{saved.version.version}"
    if saved.releases:
        when = "、".join(f"{r['when']} {r['mode_name']}（{r['state_name']}）"
                        for r in map(release_dict, saved.releases))
        text += f"。此案例所在篇章已安排发布：{when}"
        text += (f"，需重新排版并重新审批；已通知审批人：{'、'.join(saved.notified)}"
                 if saved.notified else "；没有需要通知的审批人")
    return text


def anchor(path: str) -> str:
    """The element id of a field path: "points.2" → "f-points-2"."""
    return "f-" + path.replace(".", "-")


# --- the form ------------------------------------------------------------------------------------

def _padded(items: list, empty) -> list:
    trailing = 0
    for item in reversed(items):
        if item != empty:
            break
        trailing += 1
    return list(items) + [empty] * max(0, SPARE - trailing)


def _form_state(fields: dict, *, removed=()) -> dict:
    """What the form shows: the fields, every list with its spare empty rows."""
    return {"main_title": fields["main_title"], "subtitle": fields["subtitle"],
            "unit": fields["unit"],
            "contact": _padded([[contact_name(k), v] for k, v in fields["contact"].items()], ["", ""]),
            "lead": _padded(fields["lead"], ""), "closing": _padded(fields["closing"], ""),
            "points": _padded([{"lead": p["lead"], "rest": p["rest"]} for p in fields["points"]],
                              {"lead": "", "rest": ""}),
            "images": [{**image, "removed": image["sha256"] in removed}
                       for image in fields["images"]]}


def _posted(current: dict) -> tuple[dict, dict, list[int]]:
    """(the fields for ``save_content``, the form state to show again, the form row of each kept
    image) from the submitted form; lists keep their empty rows (the service drops them) so that
    an error's "第 3 段" is the third box."""
    form = request.form
    points = [{"lead": a, "rest": b} for a, b in
              zip_longest(form.getlist("point_lead"), form.getlist("point_rest"), fillvalue="")]
    rows = [[k.strip(), v] for k, v in
            zip_longest(form.getlist("contact_key"), form.getlist("contact_value"), fillvalue="")]
    contact = {k: v for k, v in rows if k or v.strip()}
    known = {image["sha256"]: image for image in current["images"]}
    removed = set(form.getlist("image_remove"))
    shown, kept, rows_kept = [], [], []
    for n, (sha, caption) in enumerate(zip(form.getlist("image_sha"),
                                           form.getlist("image_caption")), start=1):
        if sha not in known:
            continue
        shown.append({**known[sha], "caption": caption})
        if sha not in removed:
            kept.append({"sha256": sha, "caption": caption})
            rows_kept.append(n)
    fields = {"main_title": form.get("main_title", ""), "subtitle": form.get("subtitle", ""),
              "unit": form.get("unit", ""), "contact": contact, "lead": form.getlist("lead"),
              "points": points, "closing": form.getlist("closing"), "images": kept}
    state = _form_state({**fields, "contact": {}, "images": shown}, removed=removed)
    state["contact"] = _padded(rows, ["", ""])
    return fields, state, rows_kept


def _error_anchor(error: WxpubError, image_rows: list[int]) -> str:
    path = getattr(error, "field", "")
    if path == "title":
        path = "main_title"
    if path.startswith("images.") and path.split(".")[1].isdigit():
        number = int(path.split(".")[1])
        if 0 < number <= len(image_rows):
            path = ".".join(["images", str(image_rows[number - 1]), *path.split(".")[2:]])
    return anchor(path) if path else ""


def _move(state: dict, how: str) -> str | None:
    """Apply a 上移/下移 button ("up:3", "down:1") to the form's points; the message to show."""
    direction, _, number = how.partition(":")
    points = state["points"]
    if not number.isdigit() or direction not in ("up", "down"):
        return None
    i = int(number) - 1
    j = i - 1 if direction == "up" else i + 1
    if not (0 <= i < len(points) and 0 <= j < len(points)):
        return None
    points[i], points[j] = points[j], points[i]
    return f"已把要点{i + 1}{'上移' if direction == 'up' else '下移'}为要点{j + 1}，尚未保存：请检查后点“保存”"


def _version_or_conflict(row):
    if row.current_version is None:
        raise Conflict(f"案例 {row.id} 还没有内容版本")
    return row.current_version


def _page(row, state: dict | None = None, *, status: int = 200, error: str | None = None,
          error_at: str = "", note: str | None = None, base_version: int | None = None,
          meanwhile: str | None = None):
    version = _version_or_conflict(row)
    content = version.content
    findings = [finding_dict(f) for f in proofread(content)]
    by_field: dict[str, list] = {}
    for found in findings:
        by_field.setdefault(found["anchor"], []).append(found)
    from wxpub.core.lint.proofread import fixable_punctuation
    from wxpub.rating.results import commendations_of_cases
    session = db_session()
    releases = [release_dict(r) for r in drift.releases_carrying(session, row)]
    return render_template(
        "editor/edit.html", case=row, version=version, chapter=row.chapter,
        series=row.chapter.series, status_name=STATUS_NAMES.get(row.status, row.status),
        form=state or _form_state(editing.content_fields(content)), findings=findings,
        by_field=by_field, fixable=fixable_punctuation(content) is not None, releases=releases,
        error=error, error_at=error_at, note=note, anchor=anchor, meanwhile=meanwhile,
        base_version=base_version if base_version is not None else version.version,
        readonly=not can_edit(), commendation=commendations_of_cases(session, [row.id]).get(row.id),
        blocking=sum(f["severity"] == "blocking" for f in findings)), status


@bp.get("/<id:case_id>")
@login_only
def edit(case_id: int):
    """The case's structured form, its proofreading findings and where it stands."""
    return _page(library.get_case(db_session(), case_id))


def _base_version() -> int | None:
    raw = request.form.get("base_version", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationError(f"表单中的版本号 {raw!r} 不对，请刷新页面后重新修改")
    return int(raw)


@bp.post("/<id:case_id>")
@editor_only
def save(case_id: int):
    """Save the form as a new version; a 上移/下移 button only reorders the form."""
    session = db_session()
    row = library.get_case(session, case_id)
    current = _version_or_conflict(row)
    fields, state, image_rows = _posted(current.content)
    base = _base_version()
    if request.form.get("move"):
        note = _move(state, request.form["move"])
        return _page(row, state, note=note, base_version=base)
    try:
        saved = editing.save_content(session, case_id, fields, base_version=base, actor=actor(),
                                     now=now(), tz=tz())
    except WxpubError as error:
        if error.http_status >= 500:
            raise
        session.expire_all()
        row = library.get_case(session, case_id)
        stale = isinstance(error, Conflict) and base is not None and row.current_version \
            and row.current_version.version != base
        return _page(row, state, status=error.http_status, error=error.message,
                     error_at=_error_anchor(error, image_rows), base_version=base,
                     meanwhile=url_for("editor.history", case_id=case_id, **{
                         "from": base, "to": row.current_version.version}) + "#diff"
                     if stale else None)
    done(saved_message(saved))
    return redirect(url_for("editor.edit", case_id=case_id))


@bp.post("/<id:case_id>/fix-punctuation")
@editor_only
def fix_punctuation(case_id: int):
    """Half-width punctuation between Chinese characters → full-width, then the diff."""
    session = db_session()
    before = _version_or_conflict(library.get_case(session, case_id)).version
    try:
        saved = editing.fix_punctuation(session, case_id, actor=actor(), now=now(), tz=tz())
    except WxpubError as error:
        if error.http_status >= 500:
            raise
        failed(error)
        return redirect(url_for("editor.edit", case_id=case_id))
    done(saved_message(saved, prefix="已把半角标点改为全角，") + "。下面是改动")
    return redirect(url_for("editor.history", case_id=case_id, **{
        "from": before, "to": saved.version.version}) + "#diff")


def _pick(name: str, default: int | None, numbers: list[int]) -> int | None:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or int(raw) not in numbers:
        raise ValidationError(f"参数 {name}：没有版本 {raw!r}（这个案例有 v1–v{max(numbers)}）")
    return int(raw)


def _history(case_id: int, *, status: int = 200, error: str | None = None,
             revert_to: int | None = None):
    session = db_session()
    row = library.get_case(session, case_id)
    current = _version_or_conflict(row)
    versions = sorted(row.versions, key=lambda v: v.version, reverse=True)
    numbers = [v.version for v in versions]
    old = _pick("from", current.version - 1 if current.version > 1 else None, numbers)
    new = _pick("to", current.version, numbers)
    diffs = None
    if old is not None and new is not None:
        diffs = [_diff_view(d) for d in editing.version_diff(session, case_id, old, new)]
    if revert_to is None:
        revert_to = next((n for n in (new, old) if n is not None and n != current.version), None)
    return render_template(
        "editor/history.html", case=row, chapter=row.chapter, series=row.chapter.series,
        current=current, versions=versions, old=old, new=new, diffs=diffs, error=error,
        revert_to=revert_to, readonly=not can_edit()), status


def _diff_view(diff) -> dict:
    from wxpub.core.textdiff import diff_html
    marked = (diff_html(list(diff.ops)).replace("<ins>", '<ins><span class="sr">［新增］</span>')
              .replace("<del>", '<del><span class="sr">［删除］</span>'))
    return {"field": diff.field, "label": diff.label, "kind": diff.kind,
            "kind_name": KIND_NAMES.get(diff.kind, diff.kind), "html": Markup(marked)}


@bp.get("/<id:case_id>/history")
@login_only
def history(case_id: int):
    """Every version of the case, and the character-level diff of the two chosen."""
    return _history(case_id)


@bp.post("/<id:case_id>/revert")
@editor_only
def revert(case_id: int):
    """Make an old version's content the newest again (a new version; needs the ticked box)."""
    session = db_session()
    row = library.get_case(session, case_id)
    raw = request.form.get("version", "")
    numbers = [v.version for v in row.versions]
    if not raw.isdigit() or int(raw) not in numbers:
        return _history(case_id, status=400, error=f"请选择要恢复的版本（v1–v{max(numbers)}）")
    number = int(raw)
    if not request.form.get("confirm"):
        return _history(case_id, status=400, revert_to=number,
                        error="请勾选确认框：恢复会把案例内容改为所选版本（另存为新版本）")
    before = _version_or_conflict(row).version
    try:
        saved = editing.revert(session, case_id, number, actor=actor(), now=now(), tz=tz())
    except WxpubError as error:
        if error.http_status >= 500:
            raise
        return _history(case_id, status=error.http_status, error=error.message, revert_to=number)
    if not saved.created:
        done(f"v{number} 的内容与当前版本相同，没有生成新版本")
        return redirect(url_for("editor.history", case_id=case_id))
    done(saved_message(saved, prefix=f"已恢复为 v{number} 的内容，"))
    return redirect(url_for("editor.history", case_id=case_id, **{
        "from": before, "to": saved.version.version}) + "#diff")


def init_app(app: Flask) -> None:
    """Register the case editor."""
    app.register_blueprint(bp)
