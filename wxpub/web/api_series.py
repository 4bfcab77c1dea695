"""JSON API for series, chapters and bulk curation (registered by ``wxpub.web.api``: login required,
writes need the CSRF token and the editor role).

* ``GET   /api/v1/series``                    ``{"series": [series …]}``
* ``POST  /api/v1/series``                    ``{name, intro?, chapters?}`` → 201 + the series
* ``GET   /api/v1/series/<id>``               the series
* ``PATCH /api/v1/series/<id>``               any of ``name``, ``intro``, ``is_open``,
  ``comment_policy`` (``everyone`` | ``followers`` | ``closed``: who may comment on its articles) → the series
* ``GET   /api/v1/series/<id>/chapters``      ``{"chapters": [chapter …]}``
* ``POST  /api/v1/series/<id>/chapters``      ``{name, intro?}`` → 201 + the chapter (at the end)
* ``PATCH /api/v1/chapters/<id>``             any of ``name``, ``intro`` → the chapter
* ``POST  /api/v1/cases/status``              ``{"case_ids": [...], "status": "selected"}`` → the cases

A series is ``{id, name, intro: [paragraph …], is_open, cover_sha256, comment_policy,
comment_policy_name, counts, chapters: [chapter …]}`` (a new series: ``comment_policy`` everyone);
a chapter is ``{id, series_id, name, position, intro, settings, counts}``; ``counts`` is
``{pending, selected, rejected, total}``. ``intro`` is a list of paragraphs (a string is split into
lines). Wrong types are a 400 naming the field.
"""

from __future__ import annotations

from flask import jsonify

from wxpub.core.errors import ValidationError
from wxpub.library import catalog, curation, series as series_service, service
from wxpub.web import MAX_ID, db_session, runtime
from wxpub.web.api_common import actor, body


def _now():
    return runtime().clock.now()


def _only(data: dict, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(f"不认识的字段：{'、'.join(unknown)}（可用：{'、'.join(allowed)}）")
    missing = [name for name in required if name not in data]
    if missing:
        raise ValidationError(f"缺少字段：{'、'.join(missing)}")
    return data


def _string(data: dict, name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise ValidationError(f"字段 {name} 应为字符串")
    return value


def _paragraphs(data: dict, name: str):
    value = data[name]
    if isinstance(value, str):
        return value
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ValidationError(f"字段 {name} 应为字符串列表（每段一项）或字符串")
    return value


def _names(data: dict, name: str) -> list[str]:
    value = data[name]
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ValidationError(f"字段 {name} 应为篇章名称（字符串）的列表，按顺序排列")
    return value


def _series_json(session, row) -> dict:
    counts = catalog.counts_by_chapter(session, [row.id])
    return _with_counts(row, counts)


def _with_counts(row, counts: dict) -> dict:
    data = series_service.series_dict(row)
    data["counts"] = catalog.series_totals(row.chapters, counts)
    for chapter in data["chapters"]:
        chapter["counts"] = counts.get(chapter["id"], catalog.empty_counts())
    return data


def _chapter_json(session, chapter) -> dict:
    counts = catalog.counts_by_chapter(session, [chapter.series_id])
    return series_service.chapter_dict(chapter, counts.get(chapter.id, catalog.empty_counts()))


def list_series():
    """GET /api/v1/series — every series (open ones first) with its chapters and counts."""
    session = db_session()
    rows = series_service.list_series(session)
    counts = catalog.counts_by_chapter(session, [r.id for r in rows])
    return jsonify({"series": [_with_counts(r, counts) for r in rows]})


def create_series():
    """POST /api/v1/series ``{name, intro?, chapters?}`` — a new, open series."""
    data = _only(body(), ("name", "intro", "chapters"), ("name",))
    name = _string(data, "name")
    intro = _paragraphs(data, "intro") if "intro" in data else []
    chapters = _names(data, "chapters") if "chapters" in data else []
    session = db_session()
    row = series_service.create_series(session, name, chapters=chapters, intro=intro,
                                       actor=actor(), now=_now())
    return jsonify(_series_json(session, row)), 201


def get_series(series_id: int):
    """GET /api/v1/series/<id>."""
    session = db_session()
    return jsonify(_series_json(session, series_service.get_series(session, series_id)))


def update_series(series_id: int):
    """PATCH /api/v1/series/<id> with any of ``name``, ``intro``, ``is_open`` (a boolean),
    ``comment_policy`` (everyone | followers | closed)."""
    data = _only(body(), ("name", "intro", "is_open", "comment_policy"))
    if not data:
        raise ValidationError("请求体中没有要修改的字段（可用：name、intro、is_open、comment_policy）")
    fields = {}
    if "name" in data:
        fields["name"] = _string(data, "name")
    if "intro" in data:
        fields["intro"] = _paragraphs(data, "intro")
    if "is_open" in data:
        if not isinstance(data["is_open"], bool):
            raise ValidationError("字段 is_open 应为 true 或 false")
        fields["is_open"] = data["is_open"]
    if "comment_policy" in data:
        fields["comment_policy"] = series_service.clean_policy(data["comment_policy"])
    session = db_session()
    row = series_service.update_series(session, series_id, actor=actor(), now=_now(), **fields)
    return jsonify(_series_json(session, row))


def list_chapters(series_id: int):
    """GET /api/v1/series/<id>/chapters — the chapters in order, with counts."""
    session = db_session()
    row = series_service.get_series(session, series_id)
    counts = catalog.counts_by_chapter(session, [row.id])
    return jsonify({"chapters": _with_counts(row, counts)["chapters"]})


def create_chapter(series_id: int):
    """POST /api/v1/series/<id>/chapters ``{name, intro?}`` — a chapter at the end of the series."""
    data = _only(body(), ("name", "intro"), ("name",))
    name = _string(data, "name")
    intro = _paragraphs(data, "intro") if "intro" in data else []
    session = db_session()
    chapter = series_service.add_chapter(session, series_id, name, intro=intro, actor=actor(),
                                         now=_now())
    return jsonify(_chapter_json(session, chapter)), 201


def update_chapter(chapter_id: int):
    """PATCH /api/v1/chapters/<id> with any of ``name``, ``intro``."""
    data = _only(body(), ("name", "intro"))
    if not data:
        raise ValidationError("请求体中没有要修改的字段（可用：name、intro）")
    fields = {}
    if "name" in data:
        fields["name"] = _string(data, "name")
    if "intro" in data:
        fields["intro"] = _paragraphs(data, "intro")
    session = db_session()
    chapter = series_service.update_chapter(session, chapter_id, actor=actor(), now=_now(), **fields)
    return jsonify(_chapter_json(session, chapter))


def bulk_status():
    """POST /api/v1/cases/status ``{"case_ids": [...], "status": "selected"|"rejected"|"pending"}``
    — every case at once, in one transaction (an unknown id changes nothing: 404)."""
    data = _only(body(), ("case_ids", "status"), ("case_ids", "status"))
    ids = data["case_ids"]
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                            and 0 < i <= MAX_ID for i in ids):
        raise ValidationError(f"字段 case_ids 应为案例编号（1 到 {MAX_ID} 的整数）的列表")
    status = _string(data, "status")
    rows = curation.set_statuses(db_session(), ids, status, actor=actor(), now=_now())
    return jsonify({"status": status, "count": len(rows),
                    "cases": [service.case_summary(r) for r in rows]})


ROUTES = [
    ("/series", list_series, ["GET"]),
    ("/series", create_series, ["POST"]),
    ("/series/<id:series_id>", get_series, ["GET"]),
    ("/series/<id:series_id>", update_series, ["PATCH"]),
    ("/series/<id:series_id>/chapters", list_chapters, ["GET"]),
    ("/series/<id:series_id>/chapters", create_chapter, ["POST"]),
    ("/chapters/<id:chapter_id>", update_chapter, ["PATCH"]),
    ("/cases/status", bulk_status, ["POST"]),
]
