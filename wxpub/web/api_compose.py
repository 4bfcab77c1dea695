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

from flask import jsonify, request

from wxpub.core.render import list_themes
from wxpub.editorial import compose as composing, settings as chapter_settings
from wxpub.library import series as series_service
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor, body


def _settings_json(chapter) -> dict:
    saved = chapter_settings.current(chapter)
    return {"chapter_id": chapter.id, "chapter": chapter.name, "series": chapter.series.name,
            **{name: saved[name] for name in chapter_settings.FIELD_NAMES},
            "cover_sha256": saved["cover_sha256"], "intro_default": saved["intro_default"],
            "intro_used": list(composing.effective_intro(chapter)),
            "themes": list_themes(), "covers": list(composing.COVER_CHOICES),
            "placeholders": dict(chapter_settings.PLACEHOLDERS)}


def get_settings(chapter_id: int):
    """GET /api/v1/chapters/<id>/settings — the saved settings with the defaults filled in, the
    intro in use, and the choices (themes, covers, title placeholders)."""
    return jsonify(_settings_json(series_service.get_chapter(db_session(), chapter_id)))


def put_settings(chapter_id: int):
    """PUT /api/v1/chapters/<id>/settings — save any of the settings (the others stay)."""
    chapter = chapter_settings.save_settings(db_session(), chapter_id, body(), actor=actor(),
                                             now=runtime().clock.now())
    return jsonify(_settings_json(chapter))


def _article(row) -> dict:
    return {"index": row.idx, "title": row.title, "digest": row.digest, "author": row.author,
            "chars": row.chars, "bytes": row.bytes, "sha256": row.sha256,
            "case_ids": list(row.case_ids or []), "image_sha256s": list(row.image_sha256s or []),
            "cover_sha256": row.cover_sha256}


def compose_chapter(chapter_id: int):
    """POST /api/v1/chapters/<id>/compose — 生成, as the composer's button does (settings in the
    body apply to this composition only; they are not saved)."""
    data = body() if request.get_data() else None
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
