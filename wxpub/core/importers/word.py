"""Word (.docx) case files.

A file holds one case, or several; ``wordread`` turns the body into blocks as staff see it (tracked
changes accepted, Word's own numbering put back, text boxes and tables read, footnotes and comments
left out with a warning), ``wordcases`` finds where cases start and what their titles are (numbers
"01"/"一、"/"案例1：", "案例名称：", heading styles, bold centred lines …) and skips a cover letter or the
collection's own heading.

A chapter line ("人文环境篇丨…", "人文环境篇", "四、人文环境") sets the chapter (and series) of the cases
after it, up to the next chapter line; paragraphs between a chapter line and its first case are the
chapter's introduction. Paragraphs before the first case of a file without chapter lines are left
out with a warning, except label lines, which belong to the (first) case. Label lines ("报送单位：…", "联系人：张三
电话：…", "所属篇章：…") anywhere in a case become ``unit``/``contact``/the chapter
(``labels``). Bold opening phrases are kept as point leads. Embedded images (DrawingML and legacy
VML) are extracted and placed after the paragraph they sit in; their type is the one their bytes
prove (PNG/JPEG/GIF, see ``images``), never the one the package declares. A picture only linked to a
file on the author's disk is not in the document: it is left out with a warning
(``ImportResult.warnings``). A short "图1 …" paragraph right after an image becomes its caption.
Locations are paragraph numbers counting non-empty paragraphs and table rows ("第N段"; a picture on a
line of its own is "第N段之后"). .docm/.dotx packages (a macro-enabled document, a template) are read
like a .docx; a "Strict Open XML" document is refused with how to save it normally.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from docx.opc.part import PartFactory
from docx.package import Package
from docx.parts.document import DocumentPart

from wxpub.core.content import ChapterInfo, ImportResult, SourceWarning

from wxpub.core.importers import errors
from wxpub.core.importers.assemble import RawCase, RawImage, build_case, resolve_chapter
from wxpub.core.importers.body import Para
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.headings import parse_chapter_line
from wxpub.core.importers.labels import looks_like_unit, parse_label_line
from wxpub.core.importers.page import chapter_order
from wxpub.core.importers.safety import open_office_package
from wxpub.core.importers.wordcases import (ATTACHMENT, CAPTION, Start, drop_collection_heading, find_starts,
                                            skip_cover_letter)
from wxpub.core.importers.wordread import Block, read_blocks

_IMAGE_HINT = "请在 Word 中删除这张图片，把原图另存为 PNG 或 JPEG 后重新插入，再导入。"
_MAIN_TYPES = ("application/vnd.ms-word.document.macroEnabled.main+xml",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
               "application/vnd.ms-word.template.macroEnabledTemplate.main+xml")
for _type in _MAIN_TYPES:  # read a .docm/.dotx main part like a .docx one
    PartFactory.part_type_for.setdefault(_type, DocumentPart)


def _open(archive, data: bytes, filename: str):
    with archive.open("word/document.xml") as member:
        head = member.read(4096)
    if b"purl.oclc.org/ooxml/wordprocessingml" in head:
        raise SourceError(filename, "", "这是“Strict Open XML 文档”格式，无法读取。请在 Word 中“另存为”"
                          "普通的“Word 文档（*.docx）”后再导入。", errors.UNSUPPORTED)
    try:
        part = Package.open(io.BytesIO(data)).main_document_part
        if not isinstance(part, DocumentPart):
            raise ValueError(part.content_type)
        return part.document
    except Exception as exc:  # noqa: BLE001 - any parser failure on a damaged package is bad input
        raise SourceError(filename, "", f"Word 文档已损坏，无法读取（{type(exc).__name__}）。",
                          errors.CORRUPT) from None


def import_docx(data: bytes, filename: str, *, series: str | None = None,
                chapter: str | None = None) -> ImportResult:
    """Import one or several cases from a .docx file (see the module docstring)."""
    archive = open_office_package(data, filename, name="Word 文档", suffix=".docx", main_part="word/document.xml")
    document = _open(archive, data, filename)
    warnings: list[SourceWarning] = []
    try:
        blocks = read_blocks(document, filename, warnings)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unexpected shape of XML is a damaged file to staff
        raise SourceError(filename, "", f"Word 文档的内容结构异常，无法读取（{type(exc).__name__}）。"
                          "请用 Word 或 WPS 打开后另存为 .docx 再导入。", errors.CORRUPT) from None
    if not any(b.text and not parse_chapter_line(b.text) for b in blocks):
        raise SourceError(filename, "", "文档中没有文字内容。", errors.EMPTY)
    blocks, letter = skip_cover_letter(blocks, filename, warnings)
    blocks = drop_collection_heading(blocks, filename, warnings)

    segments = _segments(blocks)
    series_title = next((s.series for s in segments if s.series), "")
    series_name = series or series_title
    cases, intros = [], {}
    for seg_no, segment in enumerate(segments):
        chapter_name = resolve_chapter(segment.chapter, chapter, filename, segment.location)
        if not any(b.text for b in segment.blocks):
            if segment.chapter:
                intros.setdefault(chapter_name, [])
            continue
        if seg_no == 0 and len(segments) > 1 and not any("。" in b.text for b in segment.blocks):
            _before_first(segment.blocks, False, filename, warnings)  # the preamble of a chapter document
            continue
        starts = find_starts(segment.blocks, filename)
        intro, early = _before_first(segment.blocks[:starts[0].index], bool(segment.chapter), filename, warnings)
        if segment.chapter:
            intros.setdefault(chapter_name, []).extend(intro)
        for pos, start in enumerate(starts):
            end = starts[pos + 1].index if pos + 1 < len(starts) else len(segment.blocks)
            raw = _raw_case(segment.blocks, start, end, list(early) if pos == 0 else [])
            if not cases:
                raw.fallback_unit, raw.fallback_labels = letter.unit, letter.labels
            cases.append(build_case(raw, series=series_name, chapter=chapter_name, filename=filename))

    if not cases:
        raise SourceError(filename, "", "没有找到案例（文档中只有篇章标题和说明文字）。", errors.NO_CASES)
    names = sorted({c.chapter for c in cases if c.chapter} | set(intros),
                   key=lambda n: (chapter_order(n) or 99, n))
    chapters = tuple(ChapterInfo(series=series_name, name=n, intro=tuple(intros.get(n, ())),
                                 order=chapter_order(n)) for n in names if n)
    return ImportResult(cases=tuple(cases), chapters=chapters, series_title=series_title or series_name,
                        warnings=tuple(warnings))


@dataclass
class _Segment:
    """The blocks under one chapter line (the first segment: those before any)."""

    chapter: str = ""
    series: str = ""
    location: str = ""
    blocks: list[Block] = field(default_factory=list)


def _segments(blocks: list[Block]) -> list[_Segment]:
    segments = [_Segment()]
    for block in blocks:
        parsed = parse_chapter_line(block.text) if block.text else None
        if parsed:
            segments.append(_Segment(parsed[0], parsed[1], block.location))
        else:
            segments[-1].blocks.append(block)
    return segments


def _raw_case(blocks: list[Block], start: Start, end: int, early: list[Para]) -> RawCase:
    """The paragraphs and pictures of the case titled at ``start`` up to ``blocks[end]``."""
    head = blocks[start.index]
    raw = RawCase(title=start.title, number=start.number, position=head.location, unit=start.unit, paras=early)
    for block in blocks[start.index:start.index + start.skip]:
        for name, blob, where, caption in block.images:
            raw.images.append(RawImage(-1, name, blob, caption, location=where, hint=_IMAGE_HINT))
    for block in blocks[start.index + start.skip:end]:
        if block.text and raw.images and raw.images[-1].after == len(raw.paras) - 1 \
                and not raw.images[-1].caption and CAPTION.match(block.text) and len(block.text) <= 40:
            raw.images[-1].caption = block.text
            continue
        if block.text:
            raw.paras.append(Para(block.text, block.bold_prefix, block.location))
        for name, blob, where, caption in block.images:
            raw.images.append(RawImage(len(raw.paras) - 1, name, blob, caption, location=where, hint=_IMAGE_HINT))
    return raw


def _before_first(blocks: list[Block], has_chapter: bool, filename: str,
                  warnings: list[SourceWarning]) -> tuple[list[str], list[Para]]:
    """What precedes the first case: the chapter introduction (with a chapter line) and label lines
    (which belong to the first case); anything else is left out with a warning."""
    intro: list[str] = []
    early: list[Para] = []
    dropped: list[Block] = []
    for block in blocks:
        if not block.text or ATTACHMENT.match(block.text):
            continue
        if parse_label_line(block.text) is not None:
            early.append(Para(block.text, location=block.location))
        elif looks_like_unit(block.text):
            early.append(Para(f"报送单位：{block.text}", location=block.location))
        elif has_chapter:
            intro.append(block.text)
        else:
            dropped.append(block)
    if dropped:
        quoted = "、".join(f"“{b.text[:30]}”" for b in dropped[:3]) + ("等" if len(dropped) > 3 else "")
        where = dropped[0].location + (f"至{dropped[-1].location}" if len(dropped) > 1 else "")
        warnings.append(SourceWarning(filename, where, f"这些段落在第一个案例标题之前，不属于任何案例，没有导入：{quoted}。"))
    return intro, early
