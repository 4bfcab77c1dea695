"""The case editor's JSON API: a case's structured content, saving it as a new version, its
versions, the diff of any two, revert and the punctuation fix (the same services as the pages).

* ``GET  /api/v1/cases/<id>/content``          ``{"case_id", "version", "content_hash", "fields",
                                                 "findings"}``
* ``PUT  /api/v1/cases/<id>/content``          the fields (any of title or main_title+subtitle,
                                                 unit, contact, lead, points, closing, images;
                                                 optional base_version) → the content answer plus
                                                 ``"created"``, ``"previous_version"``,
                                                 ``"releases"`` and ``"notified"``
* ``GET  /api/v1/cases/<id>/versions``         ``{"case_id", "current_version", "versions": [...]}``
* ``GET  /api/v1/cases/<id>/diff?from=N&to=M`` ``{"from", "to", "fields": [{"field", "label",
                                                 "kind", "old", "new", "ops"}]}``
* ``POST /api/v1/cases/<id>/revert``           ``{"version": N}`` → as PUT
* ``POST /api/v1/cases/<id>/fix-punctuation``  → as PUT (400 when there is nothing to fix)

``findings`` are the proofreading findings of the stored version: ``{"field", "label", "rule",
"severity", "message", "text"}``. ``releases`` are the planned or approved releases of the case's
chapter (their approvers were notified of the change, listed in ``notified``).
"""

from __future__ import annotations

from flask import jsonify, request

from wxpub.core.errors import Conflict, ValidationError
from wxpub.library import drift, editing
from wxpub.library import service as library
from wxpub.web import api_common, db_session, runtime
from wxpub.web.editor import finding_dict, proofread, release_dict

_FINDING_KEYS = ("field", "label", "rule", "severity", "message", "text")


def _current(row):
    if row.current_version is None:
        raise Conflict(f"案例 {row.id} 还没有内容版本")
    return row.current_version


def _content(row) -> dict:
    version = _current(row)
    return {"case_id": row.id, "version": version.version, "content_hash": version.content_hash,
            "fields": editing.content_fields(version.content),
            "findings": [{k: d[k] for k in _FINDING_KEYS}
                         for d in map(finding_dict, proofread(version.content))]}


def _saved(saved, previous: int) -> dict:
    data = _content(saved.case)
    data.update({"created": saved.created, "previous_version": previous,
                 "releases": [release_dict(r) for r in saved.releases],
                 "notified": list(saved.notified)})
    return data


def _clock() -> dict:
    rt = runtime()
    return {"actor": api_common.actor(), "now": rt.clock.now(), "tz": rt.settings.tz}


def get_content(case_id: int):
    """GET /api/v1/cases/<id>/content — the structured fields of the current version and their
    proofreading findings."""
    return jsonify(_content(library.get_case(db_session(), case_id)))


def _whole_number(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{name} 应为正整数（版本号），而不是 {value!r}")
    return value


def put_content(case_id: int):
    """PUT /api/v1/cases/<id>/content — save the fields as a new version (unchanged: none)."""
    fields = dict(api_common.body())
    base = fields.pop("base_version", None)
    if base is not None:
        base = _whole_number(base, "base_version")
    session = db_session()
    previous = _current(library.get_case(session, case_id)).version
    saved = editing.save_content(session, case_id, fields, base_version=base, **_clock())
    return jsonify(_saved(saved, previous))


def list_versions(case_id: int):
    """GET /api/v1/cases/<id>/versions — every version, newest first."""
    row = library.get_case(db_session(), case_id)
    current = row.current_version.version if row.current_version else None
    return jsonify({"case_id": row.id, "current_version": current, "versions": [
        {"version": v.version, "content_hash": v.content_hash, "source_file": v.source_file,
         "source_position": v.source_position, "created_at": v.created_at.isoformat(),
         "current": v.version == current}
        for v in sorted(row.versions, key=lambda v: v.version, reverse=True)]})


def _version_arg(name: str) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        raise ValidationError(f"缺少参数 {name}（版本号，如 {name}=1）")
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise ValidationError(f"参数 {name} 应为正整数（版本号），而不是 {raw!r}")
    return int(raw)


def get_diff(case_id: int):
    """GET /api/v1/cases/<id>/diff?from=N&to=M — what changed, field by field, character by
    character (``ops``: ``[["equal"|"delete"|"insert", text], ...]``)."""
    old, new = _version_arg("from"), _version_arg("to")
    diffs = editing.version_diff(db_session(), case_id, old, new)
    return jsonify({"case_id": case_id, "from": old, "to": new, "fields": [
        {"field": d.field, "label": d.label, "kind": d.kind, "old": d.old, "new": d.new,
         "ops": [list(op) for op in d.ops]} for d in diffs]})


def post_revert(case_id: int):
    """POST /api/v1/cases/<id>/revert ``{"version": N}`` — version N's content as a new version."""
    body = api_common.body()
    unknown = set(body) - {"version"}
    if unknown:
        raise ValidationError(f"不认识的字段：{'、'.join(sorted(unknown))}（只需要 version）")
    if "version" not in body:
        raise ValidationError("缺少字段 version（要恢复的版本号）")
    number = _whole_number(body["version"], "version")
    session = db_session()
    previous = _current(library.get_case(session, case_id)).version
    saved = editing.revert(session, case_id, number, **_clock())
    return jsonify(_saved(saved, previous))


def post_fix_punctuation(case_id: int):
    """POST /api/v1/cases/<id>/fix-punctuation — half-width punctuation between Chinese
    characters → full-width, as a new version."""
    session = db_session()
    previous = _current(library.get_case(session, case_id)).version
    saved = editing.fix_punctuation(session, case_id, **_clock())
    return jsonify(_saved(saved, previous))


def get_releases(case_id: int):
    """GET /api/v1/cases/<id>/releases — the planned or approved releases the case is under."""
    session = db_session()
    row = library.get_case(session, case_id)
    return jsonify({"case_id": row.id,
                    "releases": [release_dict(r) for r in drift.releases_carrying(session, row)]})


ROUTES = [
    ("/cases/<id:case_id>/content", get_content, ["GET"]),
    ("/cases/<id:case_id>/content", put_content, ["PUT"]),
    ("/cases/<id:case_id>/versions", list_versions, ["GET"]),
    ("/cases/<id:case_id>/diff", get_diff, ["GET"]),
    ("/cases/<id:case_id>/revert", post_revert, ["POST"]),
    ("/cases/<id:case_id>/fix-punctuation", post_fix_punctuation, ["POST"]),
    ("/cases/<id:case_id>/releases", get_releases, ["GET"]),
]
