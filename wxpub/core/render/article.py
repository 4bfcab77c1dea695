"""``render_chapter``: a ``Chapter`` becomes a WeChat message of one or more articles.

How the body is counted: WeChat limits ``content`` to < 20,000 characters and < 1 MB without
saying whether markup counts. We assume the worst and count the whole HTML string as sent —
tags and inline styles included — as Unicode code points (``len(html)``), and its UTF-8 length
for the byte limit. A chapter that does not fit one article is packed into several articles
(``split.pack``); titles then carry （上）（下） or （一）（二）… labels.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from wxpub.core.content import ChapterContent, Image
from wxpub.core.render import layout
from wxpub.core.render.cover import CJK_FONT, cover_from_image, generate_cover
from wxpub.core.render.credits import CREDITS_RESERVE
from wxpub.core.render.html import Footnotes, make_safe
from wxpub.core.render.model import (MAX_ARTICLES, MAX_BODY_BYTES, MAX_BODY_CHARS, ImageRef,
                                RenderedArticle, RenderedMessage, RenderFooter, SectionInfo)
from wxpub.core.render.split import Chunk, balanced_pack
from wxpub.core.render.themes import DEFAULT_THEME, Theme, get_theme
from wxpub.core.render.titles import make_digest, make_title, part_labels

DEFAULT_TITLE_TEMPLATE = "{chapter}篇丨{series}"
_MAX_REPACKS = 6


class _Renderer:
    """Holds one chapter's prepared pieces while packing and assembling its articles."""

    def __init__(self, chapter: ChapterContent, theme: Theme, footer: RenderFooter) -> None:
        self.chapter = chapter
        self.css = theme.css
        self.footer = footer
        self.items = [layout.body_items(c) for c in chapter.cases]
        self.labels = [layout.case_label(c, i + 1) for i, c in enumerate(chapter.cases)]

    def size(self, raw: str) -> int:
        return len(make_safe(raw, self.css))

    def case_size(self, index: int) -> int:
        notes = Footnotes()
        raw, _ = layout.case_html(self.chapter.cases[index], self.labels[index],
                                  self.items[index], notes)
        # Count the case's own 参考链接 entries too (an over-estimate: the heading repeats).
        return self.size(raw + layout.notes_html(notes))

    def item_sizes(self, index: int) -> tuple[int, list[int]]:
        case = self.chapter.cases[index]
        head, _ = layout.case_html(case, self.labels[index], [], Footnotes(), continued=True)
        bare = self.size(layout.case_html(case, "", [], Footnotes())[0])
        sizes = []
        for item in self.items[index]:
            notes = Footnotes()
            raw, _ = layout.case_html(case, "", [item], notes)
            sizes.append(self.size(raw + layout.notes_html(notes)) - bare)
        return self.size(head) + 40, sizes  # 40: room for the unit line on a first part

    def overhead(self, first: bool) -> int:
        notes = Footnotes()
        head = layout.intro_html(self.chapter.intro, notes)[0] if first else ""
        foot = layout.footer_html(self.footer, notes)[0]
        return self.size(layout.article_html(head, [], foot, notes))

    def assemble(self, chunks: list[Chunk], first: bool):
        """Final HTML of one article plus its text blocks, sections and images."""
        notes = Footnotes()
        head, blocks = layout.intro_html(self.chapter.intro, notes) if first else ("", [])
        blocks = list(blocks)
        parts, sections, images = [], [], []
        for chunk in chunks:
            case = self.chapter.cases[chunk.case]
            items = self.items[chunk.case][chunk.start:chunk.end]
            raw, case_blocks = layout.case_html(case, self.labels[chunk.case], items, notes,
                                                continued=chunk.continued)
            parts.append(raw)
            blocks.extend(case_blocks)
            sections.append(SectionInfo(case.number, case.title,
                                        sum(1 for i in items if i.image is None),
                                        chunk.continued))
            images.extend(i.image for i in items if i.image is not None)
        foot, foot_blocks = layout.footer_html(self.footer, notes)
        html = make_safe(layout.article_html(head, parts, foot, notes), self.css)
        blocks.extend(layout.note_blocks(notes))
        blocks.extend(foot_blocks)
        return html, blocks, sections, images


def _image_refs(images: list[Image]) -> tuple[ImageRef, ...]:
    seen: dict[str, ImageRef] = {}
    for img in images:
        seen.setdefault(img.sha256, ImageRef(img.sha256, img.name, img.content_type,
                                             len(img.data)))
    return tuple(seen.values())


def _digest(chapter: ChapterContent, chunks: list[Chunk], first: bool) -> str:
    if first and chapter.intro:
        return make_digest(chapter.intro)
    for chunk in chunks:
        case = chapter.cases[chunk.case]
        text = [*case.lead] or [p.text for p in case.points[:1]] or [case.title]
        return make_digest(text)
    return make_digest(chapter.intro)


def render_articles(chapter: ChapterContent, *, theme: str | Theme = DEFAULT_THEME,
                    title_template: str = DEFAULT_TITLE_TEMPLATE, author: str = "",
                    footer: RenderFooter = RenderFooter(), cover_image: Image | None = None,
                    max_body_chars: int = MAX_BODY_CHARS,
                    font_path: Path | str | None = CJK_FONT) -> list[RenderedArticle]:
    """All the articles a chapter needs, in order (may be more than 8: see render_installments)."""
    theme = get_theme(theme)
    renderer = _Renderer(chapter, theme, footer)
    sizes = [renderer.case_size(i) for i in range(len(chapter.cases))]
    counts = [len(items) for items in renderer.items]
    first_overhead, other_overhead = renderer.overhead(True), renderer.overhead(False)
    # A theme with credits keeps room for the line appended at publish time (credits.py).
    limit = max_body_chars - 1 - (CREDITS_RESERVE if theme.credits else 0)
    budget = limit
    for _ in range(_MAX_REPACKS):
        groups = balanced_pack(sizes, counts, first_overhead, other_overhead, budget,
                      renderer.item_sizes)
        built = [renderer.assemble(g, i == 0) for i, g in enumerate(groups)]
        overshoot = max(max(len(b[0]) - limit,
                            len(b[0].encode("utf-8")) - (MAX_BODY_BYTES - 1)) for b in built)
        if overshoot <= 0:
            break
        budget -= overshoot + 20  # footnote numbers differ from the estimate: pack tighter
    if cover_image is not None:
        cover = cover_from_image(cover_image)
    else:
        cover = generate_cover(f"{chapter.name}篇", chapter.series, theme.cover, font_path)
    labels = part_labels(len(groups))
    articles = []
    for index, (group, (html, blocks, sections, images)) in enumerate(zip(groups, built)):
        data = html.encode("utf-8")
        articles.append(RenderedArticle(
            index=index,
            title=make_title(title_template, chapter.name, chapter.series, labels[index]),
            author=author, digest=_digest(chapter, group, index == 0), html=html,
            chars=len(html), bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
            image_refs=_image_refs(images), cover=cover, blocks=tuple(blocks),
            sections=tuple(sections)))
    return articles


def _message(chapter: ChapterContent, theme: str, articles: list[RenderedArticle],
             installment: int = 1, installments: int = 1) -> RenderedMessage:
    images = {img.sha256: img for case in chapter.cases for img in case.images}
    used = {ref.sha256 for a in articles for ref in a.image_refs}
    return RenderedMessage(series=chapter.series, chapter=chapter.name, theme=theme,
                           articles=tuple(articles),
                           images={k: v for k, v in sorted(images.items()) if k in used},
                           installment=installment, installments=installments)


def render_chapter(chapter: ChapterContent, *, theme: str | Theme = DEFAULT_THEME,
                   title_template: str = DEFAULT_TITLE_TEMPLATE, author: str = "",
                   footer: RenderFooter = RenderFooter(), cover_image: Image | None = None,
                   max_body_chars: int = MAX_BODY_CHARS,
                   font_path: Path | str | None = CJK_FONT) -> RenderedMessage:
    """Render ``chapter`` as one message (one draft) of as many articles as the limits need.

    ``title_template`` takes {chapter}, {series} and optionally {part} (the （上）/（下） label;
    without {part} the label goes before the first "丨"). ``cover_image`` is the series' own
    cover; without it one is generated (``cover.generate_cover``). A chapter that needs more
    than 8 articles still comes back whole — ``lint_message`` blocks it — use
    ``render_installments`` to spread it over several messages.
    """
    theme_obj = get_theme(theme)
    articles = render_articles(chapter, theme=theme_obj, title_template=title_template,
                               author=author, footer=footer, cover_image=cover_image,
                               max_body_chars=max_body_chars, font_path=font_path)
    return _message(chapter, theme_obj.name, articles)


def render_installments(chapter: ChapterContent, **options) -> list[RenderedMessage]:
    """Like ``render_chapter`` but split into messages of at most 8 articles (installments).

    Article titles keep one running label across installments (（一）…（九）).
    """
    theme_obj = get_theme(options.pop("theme", DEFAULT_THEME))
    articles = render_articles(chapter, theme=theme_obj, **options)
    batches = [articles[i:i + MAX_ARTICLES] for i in range(0, len(articles), MAX_ARTICLES)]
    return [_message(chapter, theme_obj.name,
                     [replace(a, index=j) for j, a in enumerate(batch)], n, len(batches))
            for n, batch in enumerate(batches, 1)]
