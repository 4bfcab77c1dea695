"""JSON API for series, chapters and bulk curation (registered by ``wxpub.web.api``: login required,
writes need the CSRF token and the editor role).

* ``GET   /api/v1/series``                    ``{"series": [series …], "page", "per_page", "total"}``
* ``POST  /api/v1/series``                    ``{name, intro?, chapters?}`` → 201 + the series
* ``GET   /api/v1/series/<id>``               the series
* ``PATCH /api/v1/series/<id>``               any of ``name``, ``intro``, ``is_open``,
  ``comment_policy`` (``everyone`` | ``followers`` | ``closed``: who may comment on its articles) → the series
* ``GET   /api/v1/series/<id>/chapters``      ``{"chapters": [chapter …], "page", "per_page", "total"}``
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

from typing import Annotated

from flask import jsonify
from pydantic import Field

from wxpub.core.errors import ValidationError
from wxpub.library import catalog, curation, series as series_service, service
from wxpub.web import MAX_ID, db_session, runtime
from wxpub.web.api_common import CASE, actor
from wxpub.web.api_schema import Body, Paging, arr, operation, page_of, paged_answer, shape

TAG = "系列与篇章"
COUNTS = shape({"pending": "integer", "selected": "integer", "rejected": "integer", "total": "integer"})
CHAPTER = shape({"id": "integer", "series_id": "integer", "name": "string", "position": "integer",
                 "intro": arr("string"), "settings": "object", "counts~": COUNTS})
SERIES = shape({"id": "integer", "name": "string", "intro": arr("string"), "is_open": "boolean",
                "cover_sha256": "string?", "comment_policy": "string", "comment_policy_name": "string",
                "counts": COUNTS, "chapters": arr(CHAPTER)})
_INTRO = "简介：段落（字符串）的列表，或一段文字（按行分段）"
_INTRO_WRONG = "字段 intro 应为字符串列表（每段一项）或字符串"
Paragraphs = str | list[str]


def _now():
    return runtime().clock.now()


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


@operation("系列列表（开放的在前，含篇章与计数，分页）", tag=TAG, query=Paging, answer=paged_answer(SERIES, "series"))
def list_series(query: Paging):
    """GET /api/v1/series — every series (open ones first) with its chapters and counts."""
    session = db_session()
    answer = page_of(series_service.list_series(session), query, "series")
    counts = catalog.counts_by_chapter(session, [r.id for r in answer["series"]])
    answer["series"] = [_with_counts(r, counts) for r in answer["series"]]
    return jsonify(answer)


class NewSeries(Body):
    """A new series."""

    messages = {"intro": _INTRO_WRONG, "chapters": "字段 chapters 应为篇章名称（字符串）的列表，按顺序排列"}
    name: str = Field(description="系列名称")
    intro: Paragraphs = Field([], description=_INTRO)
    chapters: list[str] = Field([], description="篇章名称，按顺序排列")


@operation("新建系列（开放）", tag=TAG, body=NewSeries, status=201, answer=SERIES, errors=(409,))
def create_series(body: NewSeries):
    """POST /api/v1/series ``{name, intro?, chapters?}`` — a new, open series."""
    session = db_session()
    row = series_service.create_series(session, body.name, chapters=body.chapters, intro=body.intro,
                                       actor=actor(), now=_now())
    return jsonify(_series_json(session, row)), 201


@operation("一个系列", tag=TAG, answer=SERIES)
def get_series(series_id: int):
    """GET /api/v1/series/<id>."""
    session = db_session()
    return jsonify(_series_json(session, series_service.get_series(session, series_id)))


class SeriesChange(Body):
    """Any of a series' fields."""

    messages = {"intro": _INTRO_WRONG}
    name: str = Field(None, description="系列名称")
    intro: Paragraphs = Field(None, description=_INTRO)
    is_open: bool = Field(None, description="是否开放（关闭的系列不再导入、不再排期）")
    comment_policy: str = Field(None, description="谁可以留言：everyone（所有人）、followers（仅关注者）、closed（关闭）")


@operation("修改系列", tag=TAG, body=SeriesChange, answer=SERIES, errors=(409,))
def update_series(series_id: int, body: SeriesChange):
    """PATCH /api/v1/series/<id> with any of ``name``, ``intro``, ``is_open`` (a boolean),
    ``comment_policy`` (everyone | followers | closed)."""
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise ValidationError("请求体中没有要修改的字段（可用：name、intro、is_open、comment_policy）")
    if "comment_policy" in fields:
        fields["comment_policy"] = series_service.clean_policy(fields["comment_policy"])
    session = db_session()
    row = series_service.update_series(session, series_id, actor=actor(), now=_now(), **fields)
    return jsonify(_series_json(session, row))


@operation("系列的篇章（按顺序，含计数，分页）", tag=TAG, query=Paging, answer=paged_answer(CHAPTER, "chapters"))
def list_chapters(series_id: int, query: Paging):
    """GET /api/v1/series/<id>/chapters — the chapters in order, with counts."""
    session = db_session()
    row = series_service.get_series(session, series_id)
    counts = catalog.counts_by_chapter(session, [row.id])
    return jsonify(page_of(_with_counts(row, counts)["chapters"], query, "chapters"))


class NewChapter(Body):
    """A new chapter."""

    messages = {"intro": _INTRO_WRONG}
    name: str = Field(description="篇章名称")
    intro: Paragraphs = Field([], description=_INTRO)


@operation("在系列末尾新建篇章", tag=TAG, body=NewChapter, status=201, answer=CHAPTER, errors=(409,))
def create_chapter(series_id: int, body: NewChapter):
    """POST /api/v1/series/<id>/chapters ``{name, intro?}`` — a chapter at the end of the series."""
    session = db_session()
    chapter = series_service.add_chapter(session, series_id, body.name, intro=body.intro, actor=actor(),
                                         now=_now())
    return jsonify(_chapter_json(session, chapter)), 201


class ChapterChange(Body):
    """Any of a chapter's fields."""

    messages = {"intro": _INTRO_WRONG}
    name: str = Field(None, description="篇章名称")
    intro: Paragraphs = Field(None, description=_INTRO)


@operation("修改篇章", tag=TAG, body=ChapterChange, answer=CHAPTER, errors=(409,))
def update_chapter(chapter_id: int, body: ChapterChange):
    """PATCH /api/v1/chapters/<id> with any of ``name``, ``intro``."""
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise ValidationError("请求体中没有要修改的字段（可用：name、intro）")
    session = db_session()
    chapter = series_service.update_chapter(session, chapter_id, actor=actor(), now=_now(), **fields)
    return jsonify(_chapter_json(session, chapter))


class BulkStatus(Body):
    """Cases and the status they all get."""

    messages = {"case_ids": f"字段 case_ids 应为案例编号（1 到 {MAX_ID} 的整数）的列表"}
    case_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(description="案例编号")
    status: str = Field(description="selected（入选）、rejected（落选）或 pending（待定）")


@operation("批量设置案例状态（一次事务）", tag="案例库", body=BulkStatus,
           answer=shape({"status": "string", "count": "integer", "cases": arr(CASE)}))
def bulk_status(body: BulkStatus):
    """POST /api/v1/cases/status ``{"case_ids": [...], "status": "selected"|"rejected"|"pending"}``
    — every case at once, in one transaction (an unknown id changes nothing: 404)."""
    ids, status = body.case_ids, body.status
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
