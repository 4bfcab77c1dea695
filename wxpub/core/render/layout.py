"""Class-annotated HTML for the parts of an article (introduction, case sections, footer).

Every piece of imported text goes through ``text_html`` (escaped; links → footnotes). The classes
are styled by the theme and removed by the sanitiser after inlining. Each builder also returns the
plain-text ``TextBlock``s of what it placed, so the checks can point at case and paragraph.
"""

from __future__ import annotations

import html as _html
from dataclasses import dataclass

from wxpub.core.content import CaseContent, Image
from wxpub.core.render.html import Footnotes, IMAGE_SCHEME, notes_html, text_html
from wxpub.core.render.model import RenderFooter, TextBlock


@dataclass(frozen=True)
class BodyItem:
    """One block of a case body in reading order: a paragraph (maybe a point) or an image."""

    kind: str                 # lead | point | closing | image
    paragraph: int            # 1-based body-order index (an image carries the one it follows)
    text: str = ""
    strong: str = ""          # the point's lead phrase, set in <strong>
    image: Image | None = None


def body_items(case: CaseContent) -> list[BodyItem]:
    """The case body in reading order, images placed after the block their ``after`` names."""
    items: list[BodyItem] = []
    texts = ([("lead", "", t) for t in case.lead]
             + [("point", p.lead, p.rest) for p in case.points]
             + [("closing", "", t) for t in case.closing])
    by_after: dict[int | None, list[Image]] = {}
    for image in case.images:
        key = image.after if image.after is not None and 0 <= image.after < len(texts) else None
        by_after.setdefault(key, []).append(image)
    for i, (kind, strong, text) in enumerate(texts):
        items.append(BodyItem(kind, i + 1, text=text, strong=strong))
        items.extend(BodyItem("image", i + 1, image=img) for img in by_after.get(i, []))
    items.extend(BodyItem("image", len(texts), image=img) for img in by_after.get(None, []))
    return items


def case_label(case: CaseContent, position: int) -> str:
    """The badge text: the case number as two digits ("01"), else its position in the chapter."""
    return f"{case.number if case.number is not None else position:02d}"


def _item_html(item: BodyItem, notes: Footnotes) -> str:
    if item.image is not None:
        alt = _html.escape(item.image.caption or item.image.name)
        img = (f'<p class="wx-figure"><img class="wx-img" '
               f'src="{IMAGE_SCHEME}:{item.image.sha256}" alt="{alt}"></p>')
        if item.image.caption:
            img += f'<p class="wx-caption">{text_html(item.image.caption, notes)}</p>'
        return img
    strong = f'<strong class="wx-lead">{text_html(item.strong, notes)}</strong>' if item.strong else ""
    return f'<p class="wx-p">{strong}{text_html(item.text, notes)}</p>'


def _item_blocks(item: BodyItem, number: int | None) -> list[TextBlock]:
    if item.image is not None:
        texts = [item.image.caption] if item.image.caption else []
        return [TextBlock("caption", t, number, item.paragraph) for t in texts]
    return [TextBlock(item.kind, item.strong + item.text, number, item.paragraph)]


def case_html(case: CaseContent, label: str, items: list[BodyItem], notes: Footnotes, *,
              continued: bool = False) -> tuple[str, list[TextBlock]]:
    """A case section: badge + title (+ "（续）" for a continuation), unit, body items."""
    number = case.number
    cont = '<span class="wx-cont">（续）</span>' if continued else ""
    parts = [f'<section class="wx-case"><p class="wx-head"><span class="wx-badge">{label}</span>'
             f'<span class="wx-case-title">{text_html(case.title, notes)}</span>{cont}</p>']
    blocks = [TextBlock("heading", case.title, number, 0)]
    if case.unit and not continued:
        parts.append(f'<p class="wx-unit">报送单位：{text_html(case.unit, notes)}</p>')
        blocks.append(TextBlock("unit", case.unit, number, 0))
    for item in items:
        parts.append(_item_html(item, notes))
        blocks.extend(_item_blocks(item, number))
    parts.append("</section>")
    return "".join(parts), blocks


def intro_html(intro: tuple[str, ...], notes: Footnotes) -> tuple[str, list[TextBlock]]:
    """The chapter introduction paragraphs."""
    html = "".join(f'<p class="wx-intro">{text_html(t, notes)}</p>' for t in intro)
    return html, [TextBlock("intro", t, None, i + 1) for i, t in enumerate(intro)]


def footer_lines(footer: RenderFooter) -> list[str]:
    """The footer's lines as text ("来源：…", "编辑：…、…")."""
    lines = []
    if footer.source:
        lines.append(f"来源：{footer.source}")
    if footer.editors:
        lines.append(f"编辑：{'、'.join(footer.editors)}")
    return lines


def footer_html(footer: RenderFooter, notes: Footnotes) -> tuple[str, list[TextBlock]]:
    """The footer section (empty when there is neither source nor editors)."""
    lines = footer_lines(footer)
    if not lines:
        return "", []
    inner = "".join(f'<p class="wx-footer-line">{text_html(t, notes)}</p>' for t in lines)
    return (f'<section class="wx-footer">{inner}</section>',
            [TextBlock("footer", t, None, i + 1) for i, t in enumerate(lines)])


def article_html(head: str, cases: list[str], footer: str, notes: Footnotes) -> str:
    """The whole article: root section, introduction, cases, 参考链接, footer."""
    return (f'<section class="wx-article">{head}{"".join(cases)}'
            f'{notes_html(notes)}{footer}</section>')


def note_blocks(notes: Footnotes) -> list[TextBlock]:
    """Plain-text blocks of the 参考链接 section (checked like the rest)."""
    return [TextBlock("note", url, None, i) for i, url in enumerate(notes.urls, 1)]
