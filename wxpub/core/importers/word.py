"""Word (.docx) case files.

A file holds one case, or several under headings:

* numbered case headings ("01创新……", see ``headings``) win;
* else the top level of Word heading styles ("Title", "Heading 1", "标题 1", outline levels) marks
  cases, unless those headings are section labels such as "一、基本情况" (then the file is one case);
* else the file is one case titled by its first short paragraph without a full stop.

A chapter line ("人文环境篇丨…" or "人文环境篇") sets the chapter and series; paragraphs before the first
case go to the chapter introduction, except label lines, which belong to the (first) case. Label lines
("报送单位：…", "联系人：张三 电话：…") anywhere in a case become ``unit``/``contact``. Tables are read
row by row (cells joined), so a contact table works too. Bold opening phrases are kept as point leads.
Embedded images (DrawingML and legacy VML) are extracted and placed after the paragraph they sit in;
their type is the one their bytes prove (PNG/JPEG/GIF, see ``images``), never the one the package
declares. A picture only linked to a file on the author's disk is not in the document: it is left out
with a warning (``ImportResult.warnings``). A short "图1 …" paragraph right after an image becomes its
caption. Locations are paragraph numbers counting non-empty paragraphs and table rows ("第N段"; a
picture on a line of its own is "第N段之后").
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from wxpub.core.content import ChapterInfo, ImportResult, SourceWarning

from wxpub.core.importers import errors
from wxpub.core.importers.assemble import RawCase, RawImage, build_case, resolve_chapter
from wxpub.core.importers.body import Para
from wxpub.core.importers.decoding import clean_line
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.headings import MAX_TITLE_CHARS, find_case_headings, heading_shape, parse_chapter_title
from wxpub.core.importers.labels import join_label_cells, parse_label_line
from wxpub.core.importers.page import chapter_order
from wxpub.core.importers.safety import open_office_package

_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_VML_IMAGE = "{urn:schemas-microsoft-com:vml}imagedata"
_SECTION_LABEL = re.compile(r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])")
_CAPTION = re.compile(r"^图\s*\d*\s*[:：.、\s]")
_ATTACHMENT = re.compile(r"^附件\s*\d*\s*[:：]?$")
_IMAGE_HINT = "请在 Word 中删除这张图片，把原图另存为 PNG 或 JPEG 后重新插入，再导入。"


@dataclass
class _Block:
    text: str
    location: str
    bold_prefix: str = ""
    level: int | None = None
    images: list[tuple[str, bytes, str]] = field(default_factory=list)  # (part name, bytes, location)


class _Styles:
    """Style look-ups by id, built once per document.

    python-docx resolves ``paragraph.style`` by scanning every style each time (quadratic on a long
    submission); one dictionary keeps import time linear.
    """

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

    def paragraph(self, paragraph: Paragraph):
        p_pr = paragraph._p.pPr
        style_id = p_pr.pStyle.val if p_pr is not None and p_pr.pStyle is not None else None
        return self.by_id.get(style_id) if style_id else self.default_paragraph

    def run_bold(self, run) -> bool:
        r_pr = run._r.rPr
        style_id = r_pr.rStyle.val if r_pr is not None and r_pr.rStyle is not None else None
        style = self.by_id.get(style_id) if style_id else None
        return bool(style is not None and style.font.bold)


def _heading_level(paragraph: Paragraph, styles: _Styles) -> int | None:
    style = styles.paragraph(paragraph)
    name = (style.name or "") if style is not None else ""
    if name.lower() == "title" or name == "标题":
        return 0
    match = re.match(r"^(?:heading|标题)\s*(\d)$", name, re.IGNORECASE)
    if match:
        return int(match.group(1))
    outline = paragraph._p.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
    if outline is not None and (outline.get(qn("w:val")) or "").isdigit():
        level = int(outline.get(qn("w:val"))) + 1
        return level if level < 10 else None
    return None


def _bold_prefix(paragraph: Paragraph, styles: _Styles) -> str:
    prefix = []
    for run in paragraph.runs:
        if not run.text.strip():
            prefix.append(run.text)
            continue
        if run.bold or (run.bold is None and styles.run_bold(run)):
            prefix.append(run.text)
        else:
            break
    return clean_line("".join(prefix))


def _images(element, part, filename: str, location: str,
            warnings: list[SourceWarning]) -> list[tuple[str, bytes, str]]:
    """The pictures embedded in ``element``; a linked or missing one becomes a warning."""
    found = []
    for node in element.iter(_BLIP, _VML_IMAGE):
        rel_id = node.get(f"{{{_R_NS}}}embed") or node.get(f"{{{_R_NS}}}id")
        link_id = node.get(f"{{{_R_NS}}}link")
        rel = part.rels.get(rel_id) if rel_id else None
        if rel is not None and not rel.is_external:
            target = rel.target_part
            found.append((str(target.partname).lstrip("/"), target.blob, location))
            continue
        link = rel if rel is not None else (part.rels.get(link_id) if link_id else None)
        if link is not None:
            warnings.append(SourceWarning(
                filename, location,
                f"有一张图片只是链接到外部文件（{link.target_ref[:200]}），文档里没有图片本身，未导入这张图片。"
                "请在 Word 中断开链接（“文件—信息—编辑指向文件的链接”）或重新插入图片后再导入。"))
        elif rel_id or link_id:
            warnings.append(SourceWarning(
                filename, location,
                f"有一张图片在文档中找不到（关系 {rel_id or link_id} 不存在），未导入这张图片。"))
    return found


def _read_blocks(document, filename: str, warnings: list[SourceWarning]) -> list[_Block]:
    blocks: list[_Block] = []
    counter = 0
    styles = _Styles(document)
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document._body)
            text = clean_line(paragraph.text)
            location = f"第{counter + 1}段" if text else (f"第{counter}段之后" if counter else "第1段之前")
            images = _images(child, document.part, filename, location, warnings)
            if not text and not images:
                continue
            counter += 1 if text else 0
            blocks.append(_Block(text, location, _bold_prefix(paragraph, styles) if text else "",
                                 _heading_level(paragraph, styles) if text else None, images))
        elif child.tag == qn("w:tbl"):
            for row in Table(child, document._body).rows:
                cells = []
                for cell in row.cells:
                    value = clean_line(cell.text)
                    if value and (not cells or cells[-1] != value):  # merged cells repeat
                        cells.append(value)
                text = join_label_cells(cells)
                if text:
                    counter += 1
                    blocks.append(_Block(text, f"第{counter}段"))
    return blocks


def _case_starts(blocks: list[_Block], filename: str) -> list[int]:
    texts = [b.text for b in blocks]
    numbered = find_case_headings(texts, filename, locate=lambda i: blocks[i].location)
    if numbered:
        return [h.index for h in numbered]
    levels = [b.level for b in blocks if b.level is not None and b.text]
    if levels:
        top = min(levels)
        heads = [i for i, b in enumerate(blocks) if b.level == top and b.text]
        if not all(_SECTION_LABEL.match(blocks[i].text) for i in heads):
            return heads
    for i, block in enumerate(blocks):
        text = block.text
        if text and len(text) <= MAX_TITLE_CHARS and "。" not in text \
                and parse_label_line(text) is None and not _ATTACHMENT.match(text):
            return [i]
    raise SourceError(filename, "", "没有找到案例标题（第一段应为不含句号的简短标题）。", errors.NO_CASES)


def import_docx(data: bytes, filename: str, *, series: str | None = None,
                chapter: str | None = None) -> ImportResult:
    """Import one or several cases from a .docx file (see the module docstring)."""
    open_office_package(data, filename, name="Word 文档", suffix=".docx", main_part="word/document.xml")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, SyntaxError) as exc:
        raise SourceError(filename, "", f"Word 文档已损坏，无法读取（{type(exc).__name__}）。",
                          errors.CORRUPT) from None
    except Exception as exc:  # noqa: BLE001 - any parser failure on a damaged package is bad input
        raise SourceError(filename, "", f"Word 文档已损坏，无法读取（{type(exc).__name__}）。",
                          errors.CORRUPT) from None

    warnings: list[SourceWarning] = []
    blocks = _read_blocks(document, filename, warnings)
    found_chapter, found_series, chapter_location = "", "", ""
    kept: list[_Block] = []
    for block in blocks:
        parsed = parse_chapter_title(block.text) if block.text else None
        if parsed and not found_chapter:
            found_chapter, found_series = parsed
            chapter_location = block.location
        else:
            kept.append(block)
    if not any(b.text for b in kept):
        raise SourceError(filename, "", "文档中没有文字内容。", errors.EMPTY)

    starts = _case_starts(kept, filename)
    chapter_name = resolve_chapter(found_chapter, chapter, filename, chapter_location)
    series_name = series or found_series

    intro: list[str] = []
    early_labels: list[Para] = []
    for block in kept[:starts[0]]:
        if parse_label_line(block.text) is not None:
            early_labels.append(Para(block.text))
        elif block.text and not _ATTACHMENT.match(block.text):
            intro.append(block.text)

    cases = []
    for pos, start in enumerate(starts):
        end = starts[pos + 1] if pos + 1 < len(starts) else len(kept)
        head = kept[start]
        shape = heading_shape(head.text)
        raw = RawCase(title=shape[1] if shape else head.text, number=shape[0] if shape else None,
                      position=head.location, paras=list(early_labels) if pos == 0 else [])
        for name, blob, where in head.images:
            raw.images.append(RawImage(-1, name, blob, location=where, hint=_IMAGE_HINT))
        for block in kept[start + 1:end]:
            if block.text and raw.images and raw.images[-1].after == len(raw.paras) - 1 \
                    and not raw.images[-1].caption and _CAPTION.match(block.text) and len(block.text) <= 40:
                raw.images[-1].caption = block.text
                continue
            if block.text:
                raw.paras.append(Para(block.text, block.bold_prefix))
            for name, blob, where in block.images:
                raw.images.append(RawImage(len(raw.paras) - 1, name, blob, location=where, hint=_IMAGE_HINT))
        cases.append(build_case(raw, series=series_name, chapter=chapter_name, filename=filename))

    chapters = ()
    if chapter_name or intro:
        chapters = (ChapterInfo(series=series_name, name=chapter_name, intro=tuple(intro),
                                order=chapter_order(chapter_name)),)
    return ImportResult(cases=tuple(cases), chapters=chapters, series_title=found_series or series_name,
                        warnings=tuple(warnings))
