"""JSON API of the composer (registered by ``wxpub.web.api``: login required, writes need the CSRF
token and the editor role).

* ``GET  /api/v1/chapters/<id>/settings``   the chapter's composer settings
* ``PUT  /api/v1/chapters/<id>/settings``   any of the settings → saved, answered like GET
* ``POST /api/v1/chapters/<id>/compose``    optional body: settings for this composition only
  (absent: the saved ones) → ``{"message_id", "version_hash", "version", "created", "articles",
  "findings", "installments"}``; the first installment's ``message_id``/``version_hash``/``version``,
  ``installments`` lists them all

Settings use the form's names: ``title_template``, ``intro`` (the chapter's own: a list of
paragraphs or one text; empty: the series' intro is used), ``theme``, ``author``, ``cover``
(``series`` | ``chapter`` | ``generated``; ``chapter`` needs a cover uploaded on the composer page),
``source``, ``editors`` (a list of names or one text with 、). A wrong one is a 400 naming it.
"""

from __future__ import annotations

from flask import jsonify
from pydantic import Field

from wxpub.core.render import list_themes
from wxpub.editorial import compose as composing, settings as chapter_settings
from wxpub.library import series as series_service
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor
from wxpub.web.api_schema import Body, arr, operation, shape

TAG = "排版生成"
SETTINGS = shape({"chapter_id": "integer", "chapter": "string", "series": "string",
                  **{name: "any" for name in chapter_settings.FIELD_NAMES},
                  "cover_sha256": "string?", "intro_default": "any", "intro_used": arr("string"),
                  "themes": "list", "covers": "list", "placeholders": "object"})
ARTICLE = shape({"index": "integer", "title": "string", "digest": "string?", "author": "string?",
                 "chars": "integer", "bytes": "integer", "sha256": "string", "case_ids": arr("integer"),
                 "image_sha256s": arr("string"), "cover_sha256": "string?", "message_id~": "integer",
                 "part~": "any"})
FINDING = shape({"rule": "string", "severity": "string", "message": "string", "text": "string?",
                 "location": "string?", "article": "integer?", "case": "integer?", "paragraph": "integer?",
                 "field": "string?"})
COMPOSED = shape({"message_id": "integer", "version_hash": "string", "version": "integer",
                  "created": "boolean", "articles": arr(ARTICLE), "findings": arr(FINDING),
                  "installments": arr(shape({"message_id": "integer", "part": "any", "version": "integer",
                                             "version_hash": "string", "version_id": "integer",
                                             "created": "boolean", "created_at": "string",
                                             "articles": "integer"}))})
Text = str | None
Texts = str | list[str] | None


class ComposeSettings(Body):
    """Any of a chapter's composer settings (the names of the composer's form)."""

    unknown = "不认识的设置"
    title_template: Text = Field(None, description="标题模板，占位符 {chapter}、{series}、{part}；最多 60 个字")
    intro: Texts = Field(None, description="本篇导语：段落列表或一段文字；空则用系列的导语")
    theme: Text = Field(None, description="主题名称（见 themes）")
    author: Text = Field(None, description="作者，最多 16 个字")
    cover: Text = Field(None, description="封面：series、chapter（需先在排版页上传）或 generated")
    source: Text = Field(None, description="来源")
    editors: Texts = Field(None, description="编辑：名字列表，或用“、”分隔的一段文字")


def _settings_json(chapter) -> dict:
    saved = chapter_settings.current(chapter)
    return {"chapter_id": chapter.id, "chapter": chapter.name, "series": chapter.series.name,
            **{name: saved[name] for name in chapter_settings.FIELD_NAMES},
            "cover_sha256": saved["cover_sha256"], "intro_default": saved["intro_default"],
            "intro_used": list(composing.effective_intro(chapter)),
            "themes": list_themes(), "covers": list(composing.COVER_CHOICES),
            "placeholders": dict(chapter_settings.PLACEHOLDERS)}


@operation("篇章的排版设置（含默认值与可选项）", tag=TAG, answer=SETTINGS)
def get_settings(chapter_id: int):
    """GET /api/v1/chapters/<id>/settings — the saved settings with the defaults filled in, the
    intro in use, and the choices (themes, covers, title placeholders)."""
    return jsonify(_settings_json(series_service.get_chapter(db_session(), chapter_id)))


@operation("保存排版设置（未给出的保持不变）", tag=TAG, body=ComposeSettings, answer=SETTINGS)
def put_settings(chapter_id: int, body: ComposeSettings):
    """PUT /api/v1/chapters/<id>/settings — save any of the settings (the others stay)."""
    chapter = chapter_settings.save_settings(db_session(), chapter_id, body.model_dump(exclude_unset=True),
                                             actor=actor(),
                                             now=runtime().clock.now())
    return jsonify(_settings_json(chapter))


def _article(row) -> dict:
    return {"index": row.idx, "title": row.title, "digest": row.digest, "author": row.author,
            "chars": row.chars, "bytes": row.bytes, "sha256": row.sha256,
            "case_ids": list(row.case_ids or []), "image_sha256s": list(row.image_sha256s or []),
            "cover_sha256": row.cover_sha256}


@operation("生成（排版）本篇的群发消息；请求体中的设置只用于这一次", tag=TAG, body=ComposeSettings,
           body_optional=True, answer=COMPOSED, errors=(409,))
def compose_chapter(chapter_id: int, body: ComposeSettings | None):
    """POST /api/v1/chapters/<id>/compose — 生成, as the composer's button does (settings in the
    body apply to this composition only; they are not saved)."""
    data = None if body is None else body.model_dump(exclude_unset=True)
    rt = runtime()
    composed = chapter_settings.compose(db_session(), chapter_id, data, save=False, actor=actor(),
                                        now=rt.clock.now(),
                                        lexicon=composing.office_lexicon(rt.settings),
                                        settings=rt.settings)
    first = composed[0]
    several = len(composed) > 1
    articles, findings = [], []
    for item in composed:
        extra = {"message_id": item.message.id, "part": item.message.part} if several else {}
        articles += [{**_article(row), **extra} for row in item.version.articles]
        findings += [{**composing.finding_dict(f), **extra} for f in item.findings]
    return jsonify({
        "message_id": first.message.id, "version_hash": first.version.sha256,
        "version": first.version.version, "created": first.created,
        "articles": articles, "findings": findings,
        "installments": [{"message_id": i.message.id, "part": i.message.part,
                          "version": i.version.version, "version_hash": i.version.sha256,
                          "version_id": i.version.id, "created": i.created,
                          "created_at": i.version.created_at.isoformat(),
                          "articles": len(i.version.articles)} for i in composed]})


ROUTES = [
    ("/chapters/<id:chapter_id>/settings", get_settings, ["GET"]),
    ("/chapters/<id:chapter_id>/settings", put_settings, ["PUT"]),
    ("/chapters/<id:chapter_id>/compose", compose_chapter, ["POST"]),
]
