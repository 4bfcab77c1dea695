"""Series and chapters as things staff manage: create them, edit them, and find an import's target.

A series (a year's collection) has intro paragraphs, a cover and its chapters in order; a chapter has
its own intro (the series' is the default) and its composer settings. Creating a chapter is a
deliberate action: an import into a chapter the series does not have is refused with the existing
chapters and the nearest one named (``resolve_target``) instead of quietly adding a fifth chapter.
Each public function that changes something is one use case: it validates first and commits once.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import AuditEntry, Case, Chapter, Series
from wxpub.models.comments import COMMENT_POLICIES

MAX_SERIES_NAME = 200
MAX_CHAPTER_NAME = 100
MAX_INTRO_PARAGRAPHS = 20
MAX_PARAGRAPH = 2000


def list_series(session: Session, *, open_only: bool = False) -> list[Series]:
    """Every series, open ones first, then by name."""
    query = select(Series).order_by(Series.is_open.desc(), Series.name)
    if open_only:
        query = query.where(Series.is_open.is_(True))
    return list(session.scalars(query))


def get_series(session: Session, series_id: int) -> Series:
    """The series with this id, or ``NotFound``."""
    row = session.get(Series, series_id)
    if row is None:
        raise NotFound(f"没有编号为 {series_id} 的系列")
    return row


def get_chapter(session: Session, chapter_id: int) -> Chapter:
    """The chapter with this id, or ``NotFound``."""
    row = session.get(Chapter, chapter_id)
    if row is None:
        raise NotFound(f"没有编号为 {chapter_id} 的篇章")
    return row


def series_by_name(session: Session, name: str) -> Series | None:
    """The series called ``name`` (exactly), or None."""
    return session.scalar(select(Series).where(Series.name == name))


def _clean_name(value, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what}不能为空")
    name = " ".join(value.split())
    if len(name) > limit:
        raise ValidationError(f"{what}最多 {limit} 个字，现有 {len(name)} 个字")
    return name


def clean_paragraphs(value, what: str) -> list[str]:
    """Paragraphs from a list of strings or one text (a blank line or a line break separates
    them); empty ones dropped; each and their number limited."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, (list, tuple)) or not all(isinstance(p, str) for p in value):
        raise ValidationError(f"{what}应为文字段落")
    paragraphs = [p.strip() for p in value if p.strip()]
    if len(paragraphs) > MAX_INTRO_PARAGRAPHS:
        raise ValidationError(f"{what}最多 {MAX_INTRO_PARAGRAPHS} 段，现有 {len(paragraphs)} 段")
    for index, paragraph in enumerate(paragraphs, start=1):
        if len(paragraph) > MAX_PARAGRAPH:
            raise ValidationError(f"{what}第 {index} 段超过 {MAX_PARAGRAPH} 字")
    return paragraphs


def _chapter_names(names, *, normalize) -> list[str]:
    if isinstance(names, str):
        names = [n for n in names.replace("，", ",").replace("、", ",").splitlines() for n in n.split(",")]
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ValidationError("篇章应为篇章名称（文字）的列表")
    cleaned = [normalize(_clean_name(n, "篇章名称", MAX_CHAPTER_NAME)) for n in names if n.strip()]
    duplicates = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if duplicates:
        raise ValidationError(f"篇章名称重复：{'、'.join(duplicates)}")
    return cleaned


def create_series(session: Session, name: str, *, chapters=(), intro=(), actor: str,
                  now: datetime) -> Series:
    """Create a series with its chapters in order (e.g. 市场环境、政务环境、法治环境、人文环境)."""
    from wxpub.core.importers.headings import normalize_chapter

    name = _clean_name(name, "系列名称", MAX_SERIES_NAME)
    names = _chapter_names(chapters, normalize=normalize_chapter)
    paragraphs = clean_paragraphs(intro, "系列简介")
    if series_by_name(session, name) is not None:
        raise Conflict(f"系列“{name}”已经存在")
    try:
        series = Series(name=name, intro=paragraphs, is_open=True, created_at=now)
        session.add(series)
        session.flush()
        for position, chapter in enumerate(names, start=1):
            session.add(Chapter(series_id=series.id, name=chapter, position=position, intro=[]))
        session.add(AuditEntry(at=now, actor=actor, action="series.create", object_type="series",
                               object_id=str(series.id), detail={"name": name, "chapters": names}))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return series


def clean_policy(value) -> str:
    """A comment policy (everyone | followers | closed), or ``ValidationError`` naming the choices."""
    if value not in COMMENT_POLICIES:
        choices = "、".join(f"{key}（{label}）" for key, (label, _) in COMMENT_POLICIES.items())
        raise ValidationError(f"留言设置无效：{str(value)[:20]!r}，可选 {choices}")
    return value


def policy_name(policy: str) -> str:
    """The comment policy as staff read it (所有人可留言 …)."""
    return COMMENT_POLICIES.get(policy, (policy, None))[0]


def set_comment_policy(session: Session, series_id: int, policy, *, actor: str, now: datetime) -> Series:
    """Who may comment on the series' articles from now on (its next drafts carry it): everyone,
    followers only, or nobody (comments closed); audited as ``series.comment_policy``."""
    return update_series(session, series_id, comment_policy=policy, actor=actor, now=now)


def update_series(session: Session, series_id: int, *, name=None, intro=None, is_open=None,
                  comment_policy=None, actor: str, now: datetime) -> Series:
    """Rename a series, change its intro, open/close it for imports, or set its comment policy
    (its own audit row, ``series.comment_policy``; one commit for all)."""
    series = get_series(session, series_id)
    policy = clean_policy(comment_policy) if comment_policy is not None else None
    changes = {}
    if name is not None:
        name = _clean_name(name, "系列名称", MAX_SERIES_NAME)
        other = series_by_name(session, name)
        if other is not None and other.id != series.id:
            raise Conflict(f"系列“{name}”已经存在")
        changes["name"] = name
    if intro is not None:
        changes["intro"] = clean_paragraphs(intro, "系列简介")
    if is_open is not None:
        changes["is_open"] = bool(is_open)
    def work():
        for key, value in changes.items():
            setattr(series, key, value)
        if changes or policy is None:
            session.add(AuditEntry(at=now, actor=actor, action="series.update", object_type="series",
                                   object_id=str(series.id), detail={k: v for k, v in changes.items()}))
        if policy is not None:
            session.add(AuditEntry(at=now, actor=actor, action="series.comment_policy", object_type="series",
                                   object_id=str(series.id),
                                   detail={"from": series.comment_policy, "to": policy, "name": series.name}))
            series.comment_policy = policy
        return series

    return commit_or_roll_back(session, work)


def add_chapter(session: Session, series_id: int, name: str, *, intro=(), actor: str,
                now: datetime) -> Chapter:
    """Add a chapter at the end of a series (the deliberate way a new chapter comes to be)."""
    from wxpub.core.importers.headings import normalize_chapter

    series = get_series(session, series_id)
    name = normalize_chapter(_clean_name(name, "篇章名称", MAX_CHAPTER_NAME))
    paragraphs = clean_paragraphs(intro, "篇章导语")
    if any(c.name == name for c in series.chapters):
        raise Conflict(f"系列“{series.name}”已经有篇章“{name}”")
    last = session.scalar(select(func.max(Chapter.position)).where(Chapter.series_id == series.id))
    chapter = Chapter(series_id=series.id, name=name, position=(last or 0) + 1, intro=paragraphs)
    session.add(chapter)
    session.flush()
    session.add(AuditEntry(at=now, actor=actor, action="chapter.create", object_type="chapter",
                           object_id=str(chapter.id), detail={"series": series.name, "name": name}))
    session.commit()
    return chapter


def update_chapter(session: Session, chapter_id: int, *, name=None, intro=None, actor: str,
                   now: datetime) -> Chapter:
    """Rename a chapter or change its intro (an empty intro falls back to the series')."""
    from wxpub.core.importers.headings import normalize_chapter

    chapter = get_chapter(session, chapter_id)
    changes = {}
    if name is not None:
        name = normalize_chapter(_clean_name(name, "篇章名称", MAX_CHAPTER_NAME))
        if any(c.name == name and c.id != chapter.id for c in chapter.series.chapters):
            raise Conflict(f"系列“{chapter.series.name}”已经有篇章“{name}”")
        changes["name"] = name
    if intro is not None:
        changes["intro"] = clean_paragraphs(intro, "篇章导语")
    for key, value in changes.items():
        setattr(chapter, key, value)
    session.add(AuditEntry(at=now, actor=actor, action="chapter.update", object_type="chapter",
                           object_id=str(chapter.id), detail=changes))
    session.commit()
    return chapter


def move_chapter(session: Session, chapter_id: int, delta: int, *, actor: str,
                 now: datetime) -> Chapter:
    """Move a chapter one place up (``delta`` -1) or down (+1) in its series."""
    chapter = get_chapter(session, chapter_id)
    ordered = sorted(chapter.series.chapters, key=lambda c: (c.position, c.id))
    index = ordered.index(chapter)
    target = index + (1 if delta > 0 else -1)
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, row in enumerate(ordered, start=1):
        row.position = position
    session.add(AuditEntry(at=now, actor=actor, action="chapter.move", object_type="chapter",
                           object_id=str(chapter.id), detail={"order": [c.id for c in ordered]}))
    session.commit()
    return chapter


def chapter_counts(session: Session, series_id: int) -> dict[int, dict[str, int]]:
    """Per chapter of a series: how many cases it has in each state (pending/selected/rejected)."""
    rows = session.execute(
        select(Case.chapter_id, Case.status, func.count()).join(Chapter)
        .where(Chapter.series_id == series_id).group_by(Case.chapter_id, Case.status))
    counts: dict[int, dict[str, int]] = {}
    for chapter_id, status, count in rows:
        counts.setdefault(chapter_id, {"pending": 0, "selected": 0, "rejected": 0})[status] = count
    return counts


def series_dict(series: Series, counts: dict | None = None) -> dict:
    """JSON form of a series with its chapters."""
    return {"id": series.id, "name": series.name, "intro": list(series.intro or []),
            "is_open": series.is_open, "cover_sha256": series.cover_sha256,
            "comment_policy": series.comment_policy or "everyone",
            "comment_policy_name": policy_name(series.comment_policy or "everyone"),
            "chapters": [chapter_dict(c, (counts or {}).get(c.id)) for c in series.chapters]}


def chapter_dict(chapter: Chapter, counts: dict | None = None) -> dict:
    """JSON form of a chapter."""
    data = {"id": chapter.id, "series_id": chapter.series_id, "name": chapter.name,
            "position": chapter.position, "intro": list(chapter.intro or []),
            "settings": dict(chapter.settings or {})}
    if counts is not None:
        data["counts"] = counts
    return data


# --- where an import goes -------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """Where a case of an import goes; ``create_*``: the source defines it (a series folder)."""

    series: str
    chapter: str
    create_series: bool = False
    create_chapter: bool = False


def nearest(name: str, choices: list[str]) -> str | None:
    """The choice ``name`` most likely meant ("人文" → "人文环境"), or None."""
    contained = [c for c in choices if name and (name in c or c in name)]
    if contained:
        return contained[0]
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.4)
    return close[0] if close else None


def resolve_target(session: Session, *, file: str, series: str, chapter: str,
                   defined: dict[str, set[str]] | None = None) -> Target:
    """Check where a case named ``series``/``chapter`` (from its file or the importer's choice)
    goes; raise ``ValidationError`` naming ``file`` and the choices when it cannot go anywhere.

    ``defined``: series → chapters that the batch itself defines (a series folder's
    ``series.yaml``); those may be created. Otherwise both must exist already. A case naming no
    series goes to the only open series, if there is exactly one.
    """
    defined = defined or {}
    if not series:
        open_series = [s.name for s in list_series(session, open_only=True)]
        if len(open_series) == 1:
            series = open_series[0]
        elif not open_series:
            raise ValidationError(f"{file}：文件中没有写明所属系列，案例库里也还没有系列。"
                                  "请先新建系列，再导入到该系列")
        else:
            raise ValidationError(f"{file}：文件中没有写明所属系列，请选择导入到哪个系列："
                                  + "、".join(f"“{n}”" for n in open_series))
    row = series_by_name(session, series)
    if row is None:
        if series in defined:
            return Target(series, chapter, create_series=True, create_chapter=bool(chapter))
        known = [s.name for s in list_series(session)]
        hint = nearest(series, known)
        raise ValidationError(
            f"{file}：没有系列“{series}”。" + (f"是否指“{hint}”？" if hint else "")
            + ("现有系列：" + "、".join(f"“{n}”" for n in known) + "。" if known else "")
            + "新系列请先在“系列”页面新建")
    names = [c.name for c in sorted(row.chapters, key=lambda c: (c.position, c.id))]
    if not chapter:
        raise ValidationError(f"{file}：没有指定篇章，请选择导入到系列“{series}”的哪个篇章："
                              + ("、".join(names) if names else "（该系列还没有篇章，请先新建篇章）"))
    if chapter in names:
        return Target(series, chapter)
    if chapter in defined.get(series, set()):
        return Target(series, chapter, create_chapter=True)
    hint = nearest(chapter, names)
    raise ValidationError(
        f"{file}：系列“{series}”没有篇章“{chapter}”。" + (f"是否指“{hint}”？" if hint else "")
        + "现有篇章：" + ("、".join(names) if names else "（无）")
        + "。如确需新篇章，请先在系列页面新建篇章")
