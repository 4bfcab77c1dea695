"""Editing a case in the browser: structured fields in, a new immutable version out.

``save_content`` takes the structured fields (title = main title + subtitle, unit, contact, lead
paragraphs, points each with its lead phrase, closing paragraphs, image captions), checks them all,
and stores a new ``CaseVersion`` — or nothing when nothing changed. ``revert`` makes an old version
the newest again (as a new version: history is never rewritten), ``fix_punctuation`` turns half-width
punctuation between Chinese characters into full-width as a new version, and ``version_diff`` shows
what changed between any two versions, character by character. Each is one use case, one commit;
a change under a planned or approved release notifies its approvers at once (``drift``).
"""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core.content import contact_key
from wxpub.infra.db import commit_or_roll_back
from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.library import drift
from wxpub.library.service import get_case
from wxpub.models import AuditEntry, Case, CaseVersion

MAX_TITLE = 120
MAX_UNIT = 100
MAX_PARAGRAPH = 3000
MAX_PARAGRAPHS = 60
MAX_CAPTION = 100
EDITABLE = ("title", "main_title", "subtitle", "unit", "contact", "lead", "points", "closing",
            "images")


@dataclass
class Saved:
    """The outcome of an edit: the case, its (new or unchanged) version, and the releases it is
    under (planned or approved: their approvers were notified)."""

    case: Case
    version: CaseVersion
    created: bool
    releases: list
    notified: list = dataclass_field(default_factory=list)  # approvers told, as shown to staff


class FieldInvalid(ValidationError):
    """A field that cannot be accepted; ``field`` is its path ("main_title", "lead.2",
    "points.3", "contact", "images.1.caption"), numbered as submitted, so a form can show the
    message beside the very input."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def split_title(title: str) -> tuple[str, str]:
    """House style: "main title" + space + "subtitle" (``创新“双招双引”模式 集聚创新创业领军人才``)."""
    main, _, sub = title.strip().partition(" ")
    return main, sub.strip()


def _text(value, what: str, limit: int, *, required: bool = False, field: str = "") -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldInvalid(f"{what}应为文字", field)
    text = " ".join(value.split())
    if required and not text:
        raise FieldInvalid(f"{what}不能为空", field)
    if len(text) > limit:
        raise FieldInvalid(f"{what}最多 {limit} 个字，现有 {len(text)} 个字", field)
    return text


def _paragraphs(value, name: str, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, (list, tuple)):
        raise FieldInvalid(f"{what}应为段落列表", name)
    out = [_text(p, f"{what}第 {i} 段", MAX_PARAGRAPH, field=f"{name}.{i}")
           for i, p in enumerate(value, start=1)]
    out = [p for p in out if p]
    if len(out) > MAX_PARAGRAPHS:
        raise FieldInvalid(f"{what}最多 {MAX_PARAGRAPHS} 段，现有 {len(out)} 段", name)
    return out


def _points(value) -> list[dict]:
    from wxpub.core.importers.body import split_lead

    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise FieldInvalid("要点应为列表", "points")
    out = []
    for i, point in enumerate(value, start=1):
        path = f"points.{i}"
        if isinstance(point, str):
            text = _text(point, f"要点{i}", MAX_PARAGRAPH, field=path)
            if text:
                split = split_lead(text)
                out.append({"lead": split.lead, "rest": split.rest})
            continue
        if not isinstance(point, dict) or set(point) - {"lead", "rest"}:
            raise FieldInvalid(f"要点{i}应有“引领句”（lead）和“正文”（rest）", path)
        lead = _text(point.get("lead"), f"要点{i}的引领句", MAX_PARAGRAPH, field=f"{path}.lead")
        rest = _text(point.get("rest"), f"要点{i}的正文", MAX_PARAGRAPH, field=f"{path}.rest")
        if rest and not lead:
            raise FieldInvalid(f"要点{i}缺少引领句（加粗的开头一句）", f"{path}.lead")
        if lead:
            out.append({"lead": lead, "rest": rest})
    if len(out) > MAX_PARAGRAPHS:
        raise FieldInvalid(f"要点最多 {MAX_PARAGRAPHS} 条，现有 {len(out)} 条", "points")
    return out


def _contact(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in value.items()):
        raise FieldInvalid("联系方式应为“名称：内容”的对应表", "contact")
    # Staff type the Chinese names ("电话"); the library keeps the importers' keys ("phone").
    return {contact_key(_text(k, "联系方式名称", 20, required=True, field="contact")):
            _text(v, f"联系方式“{k}”", 100, field="contact")
            for k, v in value.items() if (v or "").strip()}


def _images(value, current: list[dict]) -> list[dict]:
    """Captions (and removal) of the images the case has: no image can be added from here."""
    if value is None:
        return current
    if not isinstance(value, (list, tuple)):
        raise FieldInvalid("图片应为列表", "images")
    known = {image["sha256"]: image for image in current}
    out = []
    for i, image in enumerate(value, start=1):
        if not isinstance(image, dict) or image.get("sha256") not in known:
            raise FieldInvalid(f"第 {i} 张图片不是这个案例的图片", f"images.{i}")
        caption = _text(image.get("caption", known[image["sha256"]].get("caption", "")),
                        f"图片{i}说明", MAX_CAPTION, field=f"images.{i}.caption")
        out.append({**known[image["sha256"]], "caption": caption})
    return out


def build_content(current: dict, fields: dict) -> dict:
    """The new content dict: ``current`` with ``fields`` applied, every field checked first."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    content = dict(current)
    if "main_title" in fields or "subtitle" in fields:
        main = _text(fields.get("main_title"), "主标题", MAX_TITLE, required=True,
                     field="main_title")
        if " " in main:
            raise FieldInvalid("主标题中不能有空格（标题里的第一个空格用来分开主标题和副标题）",
                               "main_title")
        sub = _text(fields.get("subtitle"), "副标题", MAX_TITLE, field="subtitle")
        content["title"] = f"{main} {sub}".strip()
    elif "title" in fields:
        content["title"] = _text(fields["title"], "标题", MAX_TITLE * 2, required=True,
                                 field="title")
    if len(content["title"]) > MAX_TITLE * 2:
        raise FieldInvalid(f"标题最多 {MAX_TITLE * 2} 个字", "title")
    if "unit" in fields:
        content["unit"] = _text(fields["unit"], "报送单位", MAX_UNIT, field="unit")
    if "contact" in fields:
        content["contact"] = dict(sorted(_contact(fields["contact"]).items()))
    for name, what in (("lead", "导语"), ("closing", "结尾")):
        if name in fields:
            content[name] = _paragraphs(fields[name], name, what)
    if "points" in fields:
        content["points"] = _points(fields["points"])
    if "images" in fields:
        content["images"] = _images(fields["images"], list(current.get("images", [])))
    if not (content.get("lead") or content.get("points") or content.get("closing")):
        raise FieldInvalid("正文不能为空：导语、要点、结尾至少要有一段", "lead")
    return content


def content_hash(content: dict) -> str:
    """The hash the library compares versions by (same as ``CaseContent.content_hash``)."""
    import hashlib
    import json
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _store(session: Session, row: Case, content: dict, *, action: str, detail: dict, actor: str,
           now: datetime, tz, what: str) -> Saved:
    digest = content_hash(content)
    if row.current_version is not None and row.current_version.content_hash == digest:
        return Saved(row, row.current_version, False, drift.releases_carrying(session, row))
    before = row.current_version.content_hash if row.current_version is not None else ""
    number = (session.scalar(select(func.max(CaseVersion.version)).where(
        CaseVersion.case_id == row.id)) or 0) + 1
    version = CaseVersion(case_id=row.id, version=number, content_hash=digest, content=content,
                          source_file=f"在线编辑（{drift.who(session, actor)}）", source_position="", created_at=now)
    session.add(version)
    session.flush()
    row.current_version_id = version.id
    row.current_version = version
    row.title, row.unit, row.updated_at = content["title"], content.get("unit", ""), now
    session.add(AuditEntry(at=now, actor=actor, action=action, object_type="case",
                           object_id=str(row.id), before_sha256=before, after_sha256=digest,
                           detail={"version": number, **detail}))
    releases, notified = drift.notify_change(session, row, actor=actor, now=now, tz=tz, what=what)
    return Saved(row, version, True, releases, notified)


def save_content(session: Session, case_id: int, fields: dict, *, base_version: int | None = None,
                 actor: str, now: datetime, tz) -> Saved:
    """Save the edited fields as a new version (unchanged content adds nothing).

    ``base_version``: the version the editor started from; when someone saved another version
    meanwhile, the save is refused rather than silently overwriting their change."""
    def work():
        row = get_case(session, case_id)
        current = row.current_version
        if current is None:
            raise Conflict(f"案例 {case_id} 还没有内容版本")
        if base_version is not None and base_version != current.version:
            raise Conflict(f"案例在你编辑期间已被保存为 v{current.version}（你编辑的是 v{base_version}），"
                           "请刷新后在最新版本上修改")
        content = build_content(current.content, fields)
        return _store(session, row, content, action="case.edit", detail={"from": current.version},
                      actor=actor, now=now, tz=tz, what="修改")
    return commit_or_roll_back(session, work)


def get_version(session: Session, case_id: int, number: int) -> CaseVersion:
    """Version ``number`` of a case, or ``NotFound``."""
    get_case(session, case_id)
    row = session.scalar(select(CaseVersion).where(CaseVersion.case_id == case_id,
                                                   CaseVersion.version == number))
    if row is None:
        raise NotFound(f"案例 {case_id} 没有版本 v{number}")
    return row


def revert(session: Session, case_id: int, number: int, *, actor: str, now: datetime, tz) -> Saved:
    """Make version ``number``'s content the newest again, as a new version."""
    def work():
        row = get_case(session, case_id)
        old = get_version(session, case_id, number)
        return _store(session, row, dict(old.content), action="case.revert",
                      detail={"to": number}, actor=actor, now=now, tz=tz, what=f"恢复为 v{number}")
    return commit_or_roll_back(session, work)


def fix_punctuation(session: Session, case_id: int, *, actor: str, now: datetime, tz) -> Saved:
    """Half-width , ; : ? ! ( ) between Chinese characters → full-width, as a new version."""
    from wxpub.core.lint.proofread import fixable_punctuation

    def work():
        row = get_case(session, case_id)
        if row.current_version is None:
            raise Conflict(f"案例 {case_id} 还没有内容版本")
        fixed = fixable_punctuation(row.current_version.content)
        if fixed is None:
            raise ValidationError("没有需要改为全角的半角标点")
        return _store(session, row, fixed, action="case.fix_punctuation",
                      detail={"from": row.current_version.version}, actor=actor, now=now, tz=tz,
                      what="统一为全角标点")
    return commit_or_roll_back(session, work)


def version_diff(session: Session, case_id: int, old: int, new: int) -> list:
    """What changed from version ``old`` to ``new`` (``textdiff.FieldDiff`` per changed field)."""
    from wxpub.core.textdiff import diff_fields

    return diff_fields(get_version(session, case_id, old).content,
                       get_version(session, case_id, new).content)


def content_fields(content: dict) -> dict:
    """The structured fields of a content dict, as the editor form and the API show them."""
    main, sub = split_title(content.get("title", ""))
    return {"title": content.get("title", ""), "main_title": main, "subtitle": sub,
            "unit": content.get("unit", ""), "contact": dict(content.get("contact", {})),
            "lead": list(content.get("lead", [])),
            "points": [dict(p) for p in content.get("points", [])],
            "closing": list(content.get("closing", [])),
            "images": [{"sha256": i["sha256"], "name": i["name"], "caption": i.get("caption", ""),
                        "content_type": i.get("content_type", "")}
                       for i in content.get("images", [])]}
