"""Paragraph formatting of a .docx as the importer needs it: styles by id, heading levels, centring,
bold runs (direct, through a character style or the paragraph style), and the ``Block`` a paragraph or
table row becomes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

from wxpub.core.importers.decoding import clean_line

W = {name: qn(f"w:{name}") for name in (
    "p", "r", "t", "tab", "ptab", "br", "cr", "noBreakHyphen", "sym", "tbl", "tr", "tc", "sdt", "sdtContent",
    "customXml", "hyperlink", "smartTag", "fldSimple", "ins", "moveTo", "del", "moveFrom", "dir", "bdo",
    "footnoteReference", "endnoteReference", "commentReference", "commentRangeStart", "txbxContent", "pPr",
    "rPr", "b", "rStyle", "pStyle", "jc", "outlineLvl", "pageBreakBefore", "sectPr", "vMerge", "tcPr",
    "drawing", "pict", "object", "vanish")}


@dataclass
class Block:
    """A paragraph (or a line of one, or a table row) as the case finder needs it."""

    text: str
    location: str
    bold_prefix: str = ""
    level: int | None = None
    images: list[list] = field(default_factory=list)  # [part name, bytes, location, caption]
    centered: bool = False
    all_bold: bool = False
    page_break: bool = False  # a page or section break comes before this block


class Styles:
    """Style look-ups by id, built once per document (python-docx scans every style each time)."""

    def __init__(self, document):
        self.by_id = {}
        self.default_paragraph = None
        for style in document.styles:
            try:
                self.by_id[style.style_id] = style
                if style.type == WD_STYLE_TYPE.PARAGRAPH and style.element.default:
                    self.default_paragraph = style
            except (KeyError, ValueError, AttributeError):
                continue

    def chain(self, p_element) -> list:
        """The paragraph's style and the styles it is based on, nearest first."""
        p_pr = p_element.find(W["pPr"])
        style_el = p_pr.find(W["pStyle"]) if p_pr is not None else None
        style = self.by_id.get(style_el.get(qn("w:val"))) if style_el is not None else self.default_paragraph
        found = []
        while style is not None and style not in found and len(found) < 10:
            found.append(style)
            try:
                style = style.base_style
            except (KeyError, ValueError, AttributeError):
                break
        return found

    def run_bold(self, r) -> bool | None:
        r_pr = r.find(W["rPr"])
        if r_pr is not None:
            b = r_pr.find(W["b"])
            if b is not None:
                return b.get(qn("w:val"), "true").lower() not in ("0", "false", "off")
            style_el = r_pr.find(W["rStyle"])
            style = self.by_id.get(style_el.get(qn("w:val"))) if style_el is not None else None
            if style is not None and style.font.bold:
                return True
        return None

    def heading_level(self, p_element, chain) -> int | None:
        name = (chain[0].name or "") if chain else ""
        if name.lower() == "title" or name == "标题":
            return 0
        match = re.match(r"^(?:heading|标题)\s*(\d)$", name, re.IGNORECASE)
        if match:
            return int(match.group(1))
        for element in [p_element, *(s.element for s in chain)]:
            outline = element.find(f"{W['pPr']}/{W['outlineLvl']}")
            if outline is not None and (outline.get(qn("w:val")) or "").isdigit():
                level = int(outline.get(qn("w:val"))) + 1
                return level if level < 10 else None
        return None

    @staticmethod
    def centered(p_element, chain) -> bool:
        for element in [p_element, *(s.element for s in chain)]:
            jc = element.find(f"{W['pPr']}/{W['jc']}")
            if jc is not None:
                return jc.get(qn("w:val")) == "center"
        return False

    @staticmethod
    def style_bold(chain) -> bool:
        for style in chain:
            try:
                if style.font.bold is not None:
                    return bool(style.font.bold)
            except (AttributeError, ValueError):
                return False
        return False


def outside(node, stop, tags) -> bool:
    """Whether no ancestor of ``node`` below ``stop`` has one of ``tags``."""
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in tags:
            return False
        parent = parent.getparent()
    return True




def bold_prefix(line: list[tuple[str, bool]]) -> str:
    """The bold phrase a line of (text, bold) segments opens with."""
    prefix = []
    for text, bold in line:
        if not text.strip():
            prefix.append(text)
            continue
        if bold:
            prefix.append(text)
        else:
            break
    return clean_line("".join(prefix))
