"""A chapter's composer settings: how its chapter article is laid out, kept with the chapter.

Stored in ``Chapter.settings`` (JSON): ``title_template``, ``theme``, ``author``, ``source`` (the
footer's 来源), ``editors`` (the footer's 编辑), ``cover`` (``series`` | ``chapter`` | ``generated``)
and ``cover_sha256`` (the chapter's own uploaded cover). The introduction is the chapter's own
``Chapter.intro`` (the series page edits the same field); an empty one falls back to the series'
intro when composing (``composing.effective_intro``).

Use cases (each validates everything first, then commits once):

    save_settings(session, chapter_id, data, cover_upload=None, actor=, now=) -> Chapter
    compose(session, chapter_id, data=None, save=False, cover_upload=None, actor=, now=, ...)
        -> list[composing.Composed]        # 生成: one message version per installment

``data`` uses the form's (and the API's) names; ``clean`` says in Chinese which field is wrong.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from wxpub.infra.db import commit_or_roll_back
from wxpub.core.errors import ValidationError
from wxpub.core.render import MAX_AUTHOR_CHARS, list_themes
from wxpub.core.render.titles import TITLE_FIELDS, make_title, template_problem
from wxpub.editorial import compose as composing
from wxpub.models import AuditEntry, Chapter, MediaFile

#: The fields of the form and of the API, with their Chinese names (used in every error).
FIELD_NAMES = {"title_template": "标题模板", "intro": "导语", "theme": "主题", "author": "作者",
               "cover": "封面", "source": "来源", "editors": "编辑"}
#: What each title-template placeholder becomes.
PLACEHOLDERS = {"chapter": "篇章名称，如“人文环境”",
                "series": "系列名称，如“2023年度滨海新区优化营商环境创新实践案例展示”（标题过长时自动缩写）",
                "part": "分期标记“（上）”“（下）”，篇章只排一篇时为空；不写时自动加在第一个“丨”之前"}
COVER_NAMES = {"series": "系列封面（系列没有封面时自动生成）", "chapter": "本篇封面（上传图片）",
               "generated": "自动生成（按主题颜色）"}
MAX_TITLE_TEMPLATE = 60
MAX_SOURCE = 60
MAX_EDITORS = 10
MAX_EDITOR_NAME = 20
DEFAULTS = {"title_template": composing.ComposeOptions.title_template,
            "theme": composing.ComposeOptions.theme, "author": "",
            "source": composing.DEFAULT_SOURCE, "editors": [], "cover": "series", "cover_sha256": None}
_NAME_SEPARATORS = re.compile(r"[、，,；;\s]+")


class SettingInvalid(ValidationError):
    """A setting that cannot be accepted; ``field`` is its name (as in the form and the API), so
    the composer can show the message beside that very field."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def current(chapter: Chapter) -> dict:
    """The chapter's settings with the defaults filled in, plus its own ``intro`` and the
    ``intro_default`` it falls back to (the series')."""
    saved = {k: v for k, v in (chapter.settings or {}).items() if k in DEFAULTS}
    return {**DEFAULTS, **saved, "editors": list(saved.get("editors") or []),
            "intro": list(chapter.intro or []), "intro_default": list(chapter.series.intro or [])}


def _text(data: dict, name: str, limit: int | None = None) -> str:
    value = data[name]
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise SettingInvalid(f"{FIELD_NAMES[name]}应为文字", name)
    value = " ".join(value.split())
    if limit is not None and len(value) > limit:
        raise SettingInvalid(f"{FIELD_NAMES[name]}最多 {limit} 个字，现有 {len(value)} 个字", name)
    return value


def _title_template(data: dict) -> str:
    value = _text(data, "title_template")
    if not value:
        raise SettingInvalid("标题模板不能为空，例如 {chapter}篇丨{series}", "title_template")
    if len(value) > MAX_TITLE_TEMPLATE:
        raise SettingInvalid(f"标题模板最多 {MAX_TITLE_TEMPLATE} 个字，现有 {len(value)} 个字"
                             "（微信标题最多 32 字，过长的部分会被缩写）", "title_template")
    problem = template_problem(value)
    if problem:
        raise SettingInvalid(problem, "title_template")
    return value


def _editors(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = _NAME_SEPARATORS.split(value)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SettingInvalid("编辑应为姓名，多人用顿号“、”分开", "editors")
    names = [v.strip() for v in value if v.strip()]
    if len(names) > MAX_EDITORS:
        raise SettingInvalid(f"编辑最多 {MAX_EDITORS} 人，现有 {len(names)} 人", "editors")
    for name in names:
        if len(name) > MAX_EDITOR_NAME:
            raise SettingInvalid(f"编辑“{name[:30]}”太长（每个姓名最多 {MAX_EDITOR_NAME} 个字；"
                                 "多人请用顿号“、”分开）", "editors")
    return names


def clean(data: dict) -> dict:
    """The settings in ``data`` checked and normalised (only the keys present; ``intro`` as a
    list of paragraphs). Unknown keys and bad values raise ``ValidationError`` naming the field."""
    from wxpub.library.series import clean_paragraphs

    if not isinstance(data, dict):
        raise ValidationError("设置应为 JSON 对象")
    unknown = sorted(set(data) - set(FIELD_NAMES))
    if unknown:
        raise ValidationError(f"不认识的设置：{'、'.join(unknown)}；"
                              f"可用的有：{'、'.join(FIELD_NAMES)}")
    out: dict = {}
    if "title_template" in data:
        out["title_template"] = _title_template(data)
    if "theme" in data:
        themes = list_themes()
        if data["theme"] not in themes:
            raise SettingInvalid(f"主题“{data['theme']}”不存在，可选：{'、'.join(themes)}", "theme")
        out["theme"] = data["theme"]
    if "author" in data:
        out["author"] = _text(data, "author", MAX_AUTHOR_CHARS)
    if "source" in data:
        out["source"] = _text(data, "source", MAX_SOURCE)
    if "editors" in data:
        out["editors"] = _editors(data["editors"])
    if "cover" in data:
        if data["cover"] not in composing.COVER_CHOICES:
            raise SettingInvalid(f"封面只能选：{'、'.join(COVER_NAMES.values())}"
                                 f"（{'、'.join(composing.COVER_CHOICES)}）", "cover")
        out["cover"] = data["cover"]
    if "intro" in data:
        try:
            out["intro"] = clean_paragraphs(data["intro"], "导语")
        except ValidationError as error:
            raise SettingInvalid(error.message, "intro") from None
    return out


def _merged(session: Session, chapter: Chapter, data: dict | None, cover_upload,
            now: datetime) -> dict:
    """Saved settings + ``data`` (checked) + an uploaded cover (checked and stored as media)."""
    from wxpub.library.service import store_cover_image

    merged = current(chapter)
    changes = clean(data or {})
    merged.update(changes)
    if cover_upload is not None:
        payload, filename = cover_upload
        try:
            media = store_cover_image(session, payload, filename, now=now)
        except ValidationError as error:
            raise SettingInvalid(f"本篇封面：{error}", "cover") from None
        merged["cover_sha256"], merged["cover"] = media.sha256, "chapter"  # an upload is used
    if merged["cover"] == "chapter":
        sha = merged.get("cover_sha256")
        if not sha or (cover_upload is None and session.get(MediaFile, sha) is None):
            raise SettingInvalid("封面选了“本篇封面”，但还没有上传本篇的封面图片（JPG 或 PNG）",
                                 "cover")
    return merged


def options(merged: dict) -> composing.ComposeOptions:
    """Compose options from (merged, checked) settings."""
    return composing.ComposeOptions(
        theme=merged["theme"], title_template=merged["title_template"], author=merged["author"],
        source=merged["source"], editors=tuple(merged["editors"]), cover=merged["cover"],
        cover_sha256=merged.get("cover_sha256") if merged["cover"] == "chapter" else None,
        intro=tuple(merged.get("intro_override") or ()))


def _store(session: Session, chapter: Chapter, merged: dict, *, actor: str, now: datetime) -> None:
    chapter.settings = {k: merged.get(k) for k in DEFAULTS}
    chapter.intro = list(merged["intro"])
    session.add(AuditEntry(at=now, actor=actor, action="chapter.settings", object_type="chapter",
                           object_id=str(chapter.id),
                           detail={**chapter.settings, "intro": chapter.intro}))


def save_settings(session: Session, chapter_id: int, data: dict, *, cover_upload=None,
                  actor: str, now: datetime) -> Chapter:
    """保存设置: check ``data`` (and the uploaded cover ``(bytes, filename)``), store them on the
    chapter; commits once."""
    from wxpub.library.series import get_chapter

    def work():
        chapter = get_chapter(session, chapter_id)
        _store(session, chapter, _merged(session, chapter, data, cover_upload, now),
               actor=actor, now=now)
        return chapter
    return commit_or_roll_back(session, work)


def compose(session: Session, chapter_id: int, data: dict | None = None, *, save: bool = False,
            cover_upload=None, actor: str, now: datetime, lexicon=None,
            settings=None) -> list[composing.Composed]:
    """生成: compose the chapter with its saved settings overridden by ``data`` — stored too when
    ``save`` (the form's 生成), for this composition only otherwise (the API's body). A new
    message version per installment whose content changed; commits once."""
    from wxpub.library.series import get_chapter

    def work():
        chapter = get_chapter(session, chapter_id)
        merged = _merged(session, chapter, data, cover_upload, now)
        if save:
            _store(session, chapter, merged, actor=actor, now=now)
        elif "intro" in (data or {}):
            merged["intro_override"] = merged["intro"]
        return composing.build_versions(session, chapter, options=options(merged), now=now,
                                      actor=actor, lexicon=lexicon, settings=settings)
    return commit_or_roll_back(session, work)


def title_example(chapter: Chapter, template: str, part: str = "") -> str | None:
    """The title ``template`` gives this chapter's article (``part``: its label, e.g. （上）);
    None when the template is not valid."""
    if template_problem(template):
        return None
    return make_title(template, chapter.name, chapter.series.name, part)


__all__ = ["current", "clean", "options", "save_settings", "compose", "title_example",
           "SettingInvalid", "FIELD_NAMES", "PLACEHOLDERS", "COVER_NAMES", "DEFAULTS", "TITLE_FIELDS"]
