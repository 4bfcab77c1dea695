"""The case editor's JSON API: a case's structured content, saving it as a new version, its
versions, the diff of any two, revert and the punctuation fix (the same services as the pages).

* ``GET  /api/v1/cases/<id>/content``          ``{"case_id", "version", "content_hash", "fields",
                                                 "findings"}``
* ``PUT  /api/v1/cases/<id>/content``          the fields (any of title or main_title+subtitle,
                                                 unit, contact, lead, points, closing, images;
                                                 optional base_version) → the content answer plus
                                                 ``"created"``, ``"previous_version"``,
                                                 ``"releases"`` and ``"notified"``
* ``GET  /api/v1/cases/<id>/versions``         ``{"case_id", "current_version", "versions": [...]}`` (+ paging)
* ``GET  /api/v1/cases/<id>/diff?from=N&to=M`` ``{"from", "to", "fields": [{"field", "label",
                                                 "kind", "old", "new", "ops"}]}``
* ``POST /api/v1/cases/<id>/revert``           ``{"version": N}`` → as PUT
* ``POST /api/v1/cases/<id>/fix-punctuation``  → as PUT (400 when there is nothing to fix)

``findings`` are the proofreading findings of the stored version: ``{"field", "label", "rule",
"severity", "message", "text"}``. ``releases`` are the planned or approved releases of the case's
chapter (their approvers were notified of the change, listed in ``notified``). The lists
(``versions``, ``GET /api/v1/cases/<id>/releases``) also answer ``page``, ``per_page`` and ``total``.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from pydantic import Field

from wxpub.core.errors import Conflict
from wxpub.library import drift, editing
from wxpub.library import service as library
from wxpub.web import api_common, db_session, runtime
from wxpub.web.api_schema import (Body, Paging, Query, arr, operation, page_of, paged_answer, schema,
                                  shape)
from wxpub.web.editor import finding_dict, proofread, release_dict

_FINDING_KEYS = ("field", "label", "rule", "severity", "message", "text")
TAG = "案例编辑"
FINDING = shape({k: "string?" for k in _FINDING_KEYS})
CONTENT = shape({"case_id": "integer", "version": "integer", "content_hash": "string",
                 "fields": shape({"title": "string", "main_title": "string", "subtitle": "string",
                                  "unit": "string", "contact": "object", "lead": arr("string"),
                                  "points": arr("object"), "closing": arr("string"),
                                  "images": arr("object")}),
                 "findings": arr(FINDING)})
RELEASE = shape({"id": "integer", "scheduled_at": "string", "when": "string", "state": "string"})
SAVED = {**CONTENT, "properties": {**CONTENT["properties"], "created": schema("boolean"),
                                   "previous_version": schema("integer"), "releases": arr(RELEASE),
                                   "notified": arr("string")},
         "required": [*CONTENT["required"], "created", "previous_version", "releases", "notified"]}
_VERSION_NUMBER = "版本号（正整数）"


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


@operation("案例当前版本的结构化内容及校对提示", tag=TAG, answer=CONTENT, errors=(409,))
def get_content(case_id: int):
    """GET /api/v1/cases/<id>/content — the structured fields of the current version and their
    proofreading findings."""
    return jsonify(_content(library.get_case(db_session(), case_id)))


Paragraphs = str | list[str]


class ContentChange(Body):
    """Any of the case's content fields (the others stay as they are)."""

    unknown = "不能修改的字段"
    title: str = Field(None, description="完整标题（主标题 + 空格 + 副标题）")
    main_title: str = Field(None, description="主标题（与 subtitle 一起给出时代替 title）")
    subtitle: str = Field(None, description="副标题")
    unit: str = Field(None, description="报送单位")
    contact: dict[str, Any] = Field(None, description="联系方式：{名称: 值}")
    lead: Paragraphs = Field(None, description="导语：段落列表")
    points: list[str | dict[str, Any]] = Field(None, description="要点：每项一段文字，或 {lead（加粗的开头）, rest}")
    closing: Paragraphs = Field(None, description="结尾：段落列表")
    images: list[dict[str, Any]] = Field(None, description="已有图片的说明或删减：[{sha256, caption}]")
    base_version: int = Field(None, ge=1, description="编辑所据的版本号；其间别人已保存新版本时拒绝（409）")


@operation("保存为新版本（内容不变则不新建）", tag=TAG, body=ContentChange, answer=SAVED, errors=(409,))
def put_content(case_id: int, body: ContentChange):
    """PUT /api/v1/cases/<id>/content — save the fields as a new version (unchanged: none)."""
    fields = body.model_dump(exclude_unset=True)
    base = fields.pop("base_version", None)
    session = db_session()
    previous = _current(library.get_case(session, case_id)).version
    saved = editing.save_content(session, case_id, fields, base_version=base, **_clock())
    return jsonify(_saved(saved, previous))


VERSION_ROW = shape({"version": "integer", "content_hash": "string", "source_file": "string?",
                     "source_position": "string?", "created_at": "string", "current": "boolean"})


@operation("案例的全部版本（新的在前，分页）", tag=TAG, query=Paging,
           answer=paged_answer(VERSION_ROW, "versions", case_id="integer", current_version="integer?"))
def list_versions(case_id: int, query: Paging):
    """GET /api/v1/cases/<id>/versions — every version, newest first."""
    row = library.get_case(db_session(), case_id)
    current = row.current_version.version if row.current_version else None
    rows = [{"version": v.version, "content_hash": v.content_hash, "source_file": v.source_file,
             "source_position": v.source_position, "created_at": v.created_at.isoformat(),
             "current": v.version == current}
            for v in sorted(row.versions, key=lambda v: v.version, reverse=True)]
    return jsonify({"case_id": row.id, "current_version": current, **page_of(rows, query, "versions")})


class DiffQuery(Query):
    """The two versions to compare."""

    messages = {"from.missing": "缺少参数 from（版本号，如 from=1）", "to.missing": "缺少参数 to（版本号，如 to=2）"}
    from_: int = Field(alias="from", ge=1, le=999_999_999, description="旧版本号")
    to: int = Field(ge=1, le=999_999_999, description="新版本号")


DIFF = shape({"case_id": "integer", "from": "integer", "to": "integer", "fields": arr(shape({
    "field": "string", "label": "string", "kind": "string", "old": "any", "new": "any",
    "ops": arr(arr("string"))}))})


@operation("任意两个版本的逐字差异", tag=TAG, query=DiffQuery, answer=DIFF)
def get_diff(case_id: int, query: DiffQuery):
    """GET /api/v1/cases/<id>/diff?from=N&to=M — what changed, field by field, character by
    character (``ops``: ``[["equal"|"delete"|"insert", text], ...]``)."""
    old, new = query.from_, query.to
    diffs = editing.version_diff(db_session(), case_id, old, new)
    return jsonify({"case_id": case_id, "from": old, "to": new, "fields": [
        {"field": d.field, "label": d.label, "kind": d.kind, "old": d.old, "new": d.new,
         "ops": [list(op) for op in d.ops]} for d in diffs]})


class Revert(Body):
    """The version to bring back."""

    messages = {"version.missing": "缺少字段 version（要恢复的版本号）"}
    version: int = Field(ge=1, le=999_999_999, description="要恢复的版本号")


@operation("恢复某个版本（作为新版本）", tag=TAG, body=Revert, answer=SAVED, errors=(409,))
def post_revert(case_id: int, body: Revert):
    """POST /api/v1/cases/<id>/revert ``{"version": N}`` — version N's content as a new version."""
    number = body.version
    session = db_session()
    previous = _current(library.get_case(session, case_id)).version
    saved = editing.revert(session, case_id, number, **_clock())
    return jsonify(_saved(saved, previous))


@operation("半角标点改全角（作为新版本；没有可改的为 400）", tag=TAG, answer=SAVED, errors=(400, 409))
def post_fix_punctuation(case_id: int):
    """POST /api/v1/cases/<id>/fix-punctuation — half-width punctuation between Chinese
    characters → full-width, as a new version."""
    session = db_session()
    previous = _current(library.get_case(session, case_id)).version
    saved = editing.fix_punctuation(session, case_id, **_clock())
    return jsonify(_saved(saved, previous))


@operation("案例所在的已排期或已批准的发布（分页）", tag=TAG, query=Paging,
           answer=paged_answer(RELEASE, "releases", case_id="integer"))
def get_releases(case_id: int, query: Paging):
    """GET /api/v1/cases/<id>/releases — the planned or approved releases the case is under."""
    session = db_session()
    row = library.get_case(session, case_id)
    rows = [release_dict(r) for r in drift.releases_carrying(session, row)]
    return jsonify({"case_id": row.id, **page_of(rows, query, "releases")})


ROUTES = [
    ("/cases/<id:case_id>/content", get_content, ["GET"]),
    ("/cases/<id:case_id>/content", put_content, ["PUT"]),
    ("/cases/<id:case_id>/versions", list_versions, ["GET"]),
    ("/cases/<id:case_id>/diff", get_diff, ["GET"]),
    ("/cases/<id:case_id>/revert", post_revert, ["POST"]),
    ("/cases/<id:case_id>/fix-punctuation", post_fix_punctuation, ["POST"]),
    ("/cases/<id:case_id>/releases", get_releases, ["GET"]),
]
