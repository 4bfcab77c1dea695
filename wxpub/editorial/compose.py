"""Compose chapter articles from the case library and keep their versions.

``compose_chapter`` renders a chapter's chosen cases (``wxpub.core.render``) and stores the result as an
immutable ``MessageVersion`` with its ``Article`` rows. Rendering the same content again adds
nothing; different content adds a version, and every approval bound to the old hash is voided (the
release then waits for a new approval — "先审后发").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wxpub.core import content as c
from wxpub.library import service as library
from wxpub.core.errors import NotFound, ValidationError
from wxpub.core.lint import lint_message, load_lexicon
from wxpub.models import (Article, AuditEntry, Case, Chapter, MediaFile, Message,
                     MessageVersion, Release, Series)
from wxpub.editorial import voids
from wxpub.editorial.selection import chosen_cases, content_drifted  # noqa: F401 (re-exported)
from wxpub.core.render import RenderedMessage, RenderFooter, render_installments

DEFAULT_SOURCE = "滨海新区营商环境办"


#: Where an article's cover comes from: the series' cover (generated when it has none), the
#: chapter's own uploaded image (``ComposeOptions.cover_sha256``), or always generated.
COVER_CHOICES = ("series", "chapter", "generated")


@dataclass(frozen=True)
class ComposeOptions:
    """How a chapter is turned into articles.

    ``intro`` overrides the introduction for this composition; empty means the chapter's own
    intro, or else the series' intro (chapters imported from Word or Excel have none)."""

    theme: str = "政务红"
    title_template: str = "{chapter}篇丨{series}"
    author: str = ""
    source: str = DEFAULT_SOURCE
    editors: tuple[str, ...] = ()
    cover: str = "series"
    cover_sha256: str | None = None
    intro: tuple[str, ...] = ()


def options_dict(options: ComposeOptions) -> dict:
    """JSON form of compose options (stored on the message, so it re-renders identically)."""
    return {"theme": options.theme, "title_template": options.title_template,
            "author": options.author, "source": options.source, "editors": list(options.editors),
            "cover": options.cover, "cover_sha256": options.cover_sha256,
            "intro": list(options.intro)}


def options_from_dict(data: dict | None) -> ComposeOptions:
    """Inverse of ``options_dict`` (defaults for anything missing)."""
    data = data or {}
    return ComposeOptions(theme=data.get("theme", "政务红"),
                          title_template=data.get("title_template", "{chapter}篇丨{series}"),
                          author=data.get("author", ""), source=data.get("source", DEFAULT_SOURCE),
                          editors=tuple(data.get("editors", ())),
                          cover=data.get("cover") or "series", cover_sha256=data.get("cover_sha256"),
                          intro=tuple(data.get("intro") or ()))


@dataclass
class Composed:
    """One installment of a composed chapter: the stored version and the rendered message."""

    message: Message
    version: MessageVersion
    rendered: RenderedMessage
    findings: list
    created: bool


def find_chapter(session: Session, name: str, series: str | None = None) -> Chapter:
    """The chapter called ``name`` (in ``series`` when given); a clear error when none or ambiguous."""
    from wxpub.core.importers.headings import normalize_chapter

    name = normalize_chapter(name)
    query = select(Chapter).join(Series).where(Chapter.name == name)
    if series:
        query = query.where(Series.name == series)
    rows = list(session.scalars(query))
    if not rows:
        where = f"系列“{series}”中" if series else "案例库中"
        raise NotFound(f"{where}没有篇章“{name}”（请先导入案例）")
    if len(rows) > 1:
        names = "、".join(r.series.name for r in rows)
        raise ValidationError(f"多个系列都有篇章“{name}”（{names}），请指定是哪个系列")
    return rows[0]


def effective_intro(chapter: Chapter, intro=()) -> tuple[str, ...]:
    """The introduction a composition uses: ``intro`` when given, else the chapter's own, else the
    series' (chapters imported from Word or Excel have none of their own)."""
    return tuple(intro or ()) or tuple(chapter.intro or ()) or tuple(chapter.series.intro or ())


def chapter_content(session: Session, chapter: Chapter,
                    intro=()) -> tuple[c.ChapterContent, list[Case]]:
    """The renderer's input for ``chapter``; cases are numbered 01, 02 … in publication order."""
    images = _preload(session, chapter)
    rows = chosen_cases(chapter)
    if not rows:
        raise ValidationError(f"篇章“{chapter.name}”没有可发布的案例（全部被淘汰或尚未导入）")
    cases = [replace(library.case_to_content(row, session), number=index)
             for index, row in enumerate(rows, start=1)]
    del images  # held until every case has its images
    return c.ChapterContent(series=chapter.series.name, name=chapter.name,
                            intro=effective_intro(chapter, intro), cases=tuple(cases)), rows


def _preload(session: Session, chapter: Chapter) -> list[MediaFile]:
    """Load the chapter's cases with their current versions and images in three queries, not one
    per case and image (``chapter.cases`` holds them; the images stay in the identity map, for
    ``case_to_content``, as long as ``images`` is kept by the caller)."""
    from sqlalchemy.orm import selectinload
    from sqlalchemy.orm.attributes import set_committed_value

    rows = list(session.scalars(select(Case).where(Case.chapter_id == chapter.id)
                                .order_by(Case.position, Case.id)
                                .options(selectinload(Case.current_version))))
    set_committed_value(chapter, "cases", rows)
    shas = {image["sha256"] for row in rows if row.current_version is not None
            for image in row.current_version.content.get("images", ())}
    return list(session.scalars(select(MediaFile).where(MediaFile.sha256.in_(shas)))) if shas else []


def cover_sha256(chapter: Chapter, options: ComposeOptions) -> str | None:
    """The stored image the options choose as cover (None: a generated cover)."""
    if options.cover == "chapter":
        return options.cover_sha256
    if options.cover == "generated":
        return None
    return chapter.series.cover_sha256


def render_options(session: Session, chapter: Chapter, options: ComposeOptions) -> dict:
    """Keyword arguments for ``render_installments`` (the chosen cover; generated without one)."""
    cover = None
    sha = cover_sha256(chapter, options)
    if sha:
        blob = session.get(MediaFile, sha)
        if blob is not None:
            cover = c.Image(name="cover", data=blob.data, content_type=blob.content_type)
    return {"theme": options.theme, "title_template": options.title_template,
            "author": options.author, "cover_image": cover,
            "footer": RenderFooter(source=options.source, editors=tuple(options.editors))}


def compose_chapter(session: Session, chapter: Chapter, *, options: ComposeOptions,
                    now: datetime, actor: str, lexicon=None, settings=None) -> list[Composed]:
    """The "compose a chapter" use case: render, store new versions, void stale approvals; commits.

    ``lexicon`` is the office's word list (``wxpub.core.lint.load_lexicon``); None uses the seed list.
    """
    try:
        composed = build_versions(session, chapter, options=options, now=now, actor=actor,
                                  lexicon=lexicon, settings=settings)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    return composed


def build_versions(session: Session, chapter: Chapter, *, options: ComposeOptions, now: datetime,
                   actor: str, lexicon=None, settings=None) -> list[Composed]:
    """Render a chapter and store each installment's new version (one ``Composed`` each); flushes
    only, so plan apply and the publisher's re-render can make it part of their own transaction."""
    chapter_input, rows = chapter_content(session, chapter, options.intro)
    messages = render_installments(chapter_input, **render_options(session, chapter, options))
    version_ids = [row.current_version_id for row in rows]
    case_ids = [row.id for row in rows]
    out = []
    for rendered in messages:
        findings = lint_message(rendered, lexicon)
        out.append(_store(session, chapter, rendered, findings, version_ids, case_ids, now, actor,
                          options, settings))
    session.flush()
    return out


def _store(session, chapter, rendered, findings, version_ids, case_ids, now, actor,
           options, settings) -> Composed:
    message = session.scalar(select(Message).where(Message.chapter_id == chapter.id,
                                                   Message.part == rendered.installment))
    if message is None:
        message = Message(series_id=chapter.series_id, chapter_id=chapter.id,
                          part=rendered.installment, theme=rendered.theme, created_at=now)
        session.add(message)
        session.flush()
    current = message.current_version
    if current is not None and current.sha256 == rendered.sha256:
        return Composed(message, current, rendered, findings, created=False)
    for sha, image in rendered.images.items():
        if session.get(MediaFile, sha) is None:
            session.add(MediaFile(sha256=sha, content_type=image.content_type,
                                  size=len(image.data), data=image.data, created_at=now))
    covers = {a.cover.sha256: a.cover for a in rendered.articles if a.cover is not None}
    for sha, cover in covers.items():
        if session.get(MediaFile, sha) is None:
            session.add(MediaFile(sha256=sha, content_type=cover.content_type,
                                  size=len(cover.data), data=cover.data, created_at=now))
    number = (session.scalar(select(func.max(MessageVersion.version)).where(
        MessageVersion.message_id == message.id)) or 0) + 1
    version = MessageVersion(
        message_id=message.id, version=number, sha256=rendered.sha256,
        case_version_ids=version_ids, cover_sha256=next(iter(covers), None),
        findings=[finding_dict(f) for f in findings], created_at=now)
    session.add(version)
    session.flush()
    for article in rendered.articles:
        session.add(Article(
            message_version_id=version.id, idx=article.index + 1, title=article.title,
            author=article.author, digest=article.digest, html=article.html, sha256=article.sha256,
            chars=article.chars, bytes=article.bytes,
            image_sha256s=[r.sha256 for r in article.image_refs],
            cover_sha256=article.cover.sha256 if article.cover else None,
            case_ids=sorted({case_ids[s.number - 1] for s in article.sections
                             if s.number and s.number <= len(case_ids)})))
    message.current_version_id = version.id
    message.current_version = version
    message.theme = rendered.theme
    message.options = options_dict(options)
    _void_approvals(session, message, version, now, actor, settings)
    session.add(AuditEntry(at=now, actor=actor, action="message.version", object_type="message",
                           object_id=str(message.id), before_sha256=current.sha256 if current else "",
                           after_sha256=rendered.sha256, detail={"version": number, "sha256": rendered.sha256}))
    return Composed(message, version, rendered, findings, created=True)


def _void_approvals(session: Session, message: Message, version: MessageVersion,
                    now: datetime, actor: str, settings) -> None:
    """A new version voids the review chains of the message's other versions (their signers are
    told) and takes its releases out of "approved": they wait for the new version's chain.

    History is never rewritten: a version being sent or sent keeps its chain
    (``wxpub.editorial.voids``); the new version is for a new release."""
    voids.void_message(session, message, reason=f"内容已修改（新版本 v{version.version}），原审核作废，需重新审核",
                       now=now, actor=actor, settings=settings, keep_version_id=version.id)


def office_lexicon(settings):
    """The office's lexicon (WXPUB_LEXICON_FILE) when configured, else the seed list: every
    composition checks with the same words, so approval sees the findings the office expects."""
    return load_lexicon(settings.lexicon_file or None)


def recompose(session: Session, message_id: int, *, now: datetime, actor: str,
              lexicon=None, settings=None) -> list[Composed]:
    """Render a message's chapter again with the options it was composed with (flushes only)."""
    message = session.get(Message, message_id)
    chapter = session.get(Chapter, message.chapter_id)
    return build_versions(session, chapter, options=options_from_dict(message.options), now=now,
                          actor=actor, lexicon=lexicon, settings=settings)


def finding_dict(finding) -> dict:
    """JSON form of a lint finding (with where it is, described and structured)."""
    loc = finding.location
    return {"rule": finding.rule, "severity": finding.severity, "message": finding.message,
            "text": finding.text, "location": loc.describe(), "article": loc.article,
            "case": loc.case, "paragraph": loc.paragraph, "field": loc.field}


def stored_message(session: Session, version: MessageVersion, *,
                   image_data: bool = True) -> tuple[RenderedMessage, list]:
    """Rebuild the rendered message and its findings exactly as stored for ``version``.

    The images are read in one query. With ``image_data=False`` their bytes are not read at all
    (for a page that shows them by URL): ``images`` is then empty and articles have no ``cover``,
    so ``rendered.sha256`` is not the version's — use ``version.sha256``."""
    from wxpub.core.render import Cover, ImageRef, RenderedArticle

    rows = list(version.articles)
    wanted = {sha for row in rows for sha in [*row.image_sha256s, row.cover_sha256] if sha}
    if not wanted:
        found = {}
    elif image_data:
        found = {m.sha256: m for m in session.scalars(
            select(MediaFile).where(MediaFile.sha256.in_(wanted)))}
    else:
        found = {m.sha256: m for m in session.execute(
            select(MediaFile.sha256, MediaFile.content_type, MediaFile.size)
            .where(MediaFile.sha256.in_(wanted)))}

    articles, images = [], {}
    for row in rows:
        refs = []
        for sha in row.image_sha256s:
            blob = found.get(sha)
            if blob is not None:
                if image_data:
                    images[sha] = c.Image(name=sha[:12], data=blob.data,
                                          content_type=blob.content_type)
                refs.append(ImageRef(sha256=sha, name=sha[:12], content_type=blob.content_type,
                                     size=blob.size))
        cover_blob = found.get(row.cover_sha256) if (image_data and row.cover_sha256) else None
        cover = (Cover(data=cover_blob.data, content_type=cover_blob.content_type, generated=True)
                 if cover_blob is not None else None)
        articles.append(RenderedArticle(
            index=row.idx - 1, title=row.title, author=row.author, digest=row.digest,
            html=row.html, chars=row.chars, bytes=row.bytes, sha256=row.sha256,
            image_refs=tuple(refs), cover=cover))
    message = version.message
    chapter = session.get(Chapter, message.chapter_id)
    rendered = RenderedMessage(series=chapter.series.name, chapter=chapter.name,
                               theme=message.theme, articles=tuple(articles), images=images,
                               installment=message.part)
    return rendered, stored_findings(version)


def stored_findings(version: MessageVersion) -> list:
    """The lint findings stored with ``version`` as ``Finding`` objects."""
    from wxpub.core.lint import Finding, Location

    return [Finding(f["rule"], f["severity"],
                    Location(f.get("article"), f.get("case"), f.get("paragraph"),
                             f.get("field") or "body"), f.get("text", ""), f["message"])
            for f in version.findings]
