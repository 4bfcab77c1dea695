"""Reading a .docx body into blocks (one a paragraph or table row), as staff see the document.

* Text is what Word shows with all tracked changes accepted: ``w:ins``/``w:moveTo`` are read,
  ``w:del``/``w:moveFrom`` are not; hyperlinks, smart tags, content controls (``w:sdt``), simple
  fields and custom XML are read through; field codes, comments and footnote marks are not text.
* Auto-numbered paragraphs get the number Word shows put back in front (``wordnumbering``).
* A soft line break (Shift+Enter) splits a paragraph into lines when the lines are label lines or
  sentences; a title broken over two lines stays one.
* Text boxes (DrawingML, with their VML fallback read only once) are read after the paragraph they are
  anchored in; content controls at body level are read like the body.
* Tables: a row of short cells is one block, its cells joined as label pairs ("联系人：张三 电话：…",
  ``labels.join_label_cells``); a row of labels above a row of values is paired; a row holding several
  paragraphs in a cell (the whole case in a one-cell box, the body cell of a 申报表) is read paragraph by
  paragraph, without its form labels ("案例内容", "主要做法"); rows of opinions and signatures
  ("单位意见", "审核意见") are left out.
* What is left out and matters is said in warnings: footnotes (quoted), comments, tracked changes.

Locations count non-empty paragraphs and table rows ("第N段").
"""

from __future__ import annotations

import re

from docx.oxml.ns import qn

from wxpub.core.content import SourceWarning

from wxpub.core.importers.decoding import clean_line
from wxpub.core.importers.headings import MAX_TITLE_CHARS
from wxpub.core.importers.labels import is_label_cell, join_label_cells, pair_label_rows, parse_label_line
from wxpub.core.importers.wordnumbering import Numbering
from wxpub.core.importers.wordstyles import W as _W, Block, Styles, bold_prefix, outside

_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_VML_IMAGE = "{urn:schemas-microsoft-com:vml}imagedata"
_ALTERNATE, _CHOICE, _FALLBACK = f"{{{_MC}}}AlternateContent", f"{{{_MC}}}Choice", f"{{{_MC}}}Fallback"
_MATH_T = "{http://schemas.openxmlformats.org/officeDocument/2006/math}t"
_PAGE = "\x0c"  # a page break inside the segment list
_THROUGH = {_W[n] for n in ("hyperlink", "smartTag", "fldSimple", "customXml", "dir", "bdo")}
_FORM_LABELS = ("案例内容", "内容", "正文", "案例正文", "主要内容", "案例简介", "简介", "基本情况", "主要做法",
                "具体做法", "创新做法", "经验做法", "取得成效", "工作成效", "主要成效", "实施成效", "案例背景",
                "背景", "下一步", "下一步打算", "推广价值", "典型做法")
_OPINION = re.compile(r"^(单位|部门|审核|推荐|领导|主管部门|主要领导|分管领导)?(意见|签字|盖章|签发|审核人|备注)")


class Reader:
    """One pass over a document body (see the module docstring)."""

    def __init__(self, document, filename: str, warnings: list[SourceWarning]):
        self.document, self.filename, self.warnings = document, filename, warnings
        self.styles = Styles(document)
        self.numbering = Numbering(document, self.styles)
        self.blocks: list[Block] = []
        self.counter = 0
        self.page_break = False
        # Sets and a dict, not counters: a table cell may be read twice (first to see its shape).
        self.notes: dict[tuple[str, str], str] = {}  # (kind, id) -> location
        self.comments: set[str] = set()
        self.revisions: set[str] = set()

    def read(self) -> list[Block]:
        self._container(self.document.element.body)
        self._report()
        return self.blocks

    # --- containers ---------------------------------------------------------------------------

    def _container(self, element) -> None:
        for child in element.iterchildren():
            if child.tag == _W["p"]:
                self._paragraph(child)
            elif child.tag == _W["tbl"]:
                self._table(child)
            elif child.tag == _W["sdt"]:
                content = child.find(_W["sdtContent"])
                if content is not None:
                    self._container(content)
            elif child.tag in (_W["customXml"], _W["ins"], _W["moveTo"]):
                self._container(child)
            elif child.tag == _ALTERNATE:
                choice = child.find(_CHOICE)
                self._container(choice if choice is not None else child)

    def _add(self, text: str, **extra) -> Block:
        self.counter += 1 if text else 0
        location = f"第{self.counter}段" if text else (f"第{self.counter}段之后" if self.counter else "第1段之前")
        block = Block(text, location, page_break=self.page_break and bool(text), **extra)
        self.page_break = self.page_break and not text
        self.blocks.append(block)
        return block

    # --- paragraphs ---------------------------------------------------------------------------

    def _paragraph(self, p) -> None:
        p_pr = p.find(_W["pPr"])
        if p_pr is not None and p_pr.find(_W["pageBreakBefore"]) is not None:
            self.page_break = True
        segments: list[tuple[str, bool]] = []
        boxes: list = []
        self._inline(p, segments, boxes)
        chain = self.styles.chain(p)
        number = self.numbering.label(p)
        if number and any(t.strip() for t, _ in segments if t != _PAGE):
            first_bold = next((b for t, b in segments if t.strip() and t != _PAGE), None)
            segments.insert(0, (number, bool(first_bold)))
        lines, breaks = self._lines(segments)
        has_text = any(clean_line("".join(t for t, _ in line)) for line in lines)
        images = self._images(p, f"第{self.counter + 1}段" if has_text else (
            f"第{self.counter}段之后" if self.counter else "第1段之前"))
        style_bold = self.styles.style_bold(chain)
        made = None
        for index, line in enumerate(lines):
            self.page_break = self.page_break or index in breaks
            text = clean_line("".join(t for t, _ in line))
            if not text:
                continue
            visible = [(t, b) for t, b in line if t.strip()]
            made = self._add(text, bold_prefix=bold_prefix(line),
                             level=self.styles.heading_level(p, chain), centered=self.styles.centered(p, chain),
                             all_bold=all(b or (b is None and style_bold) for _, b in visible))
        if images:
            if made is None:
                made = self._add("")
            made.images.extend([name, blob, made.location, ""] for name, blob in images)
        if p_pr is not None and p_pr.find(_W["sectPr"]) is not None:
            self.page_break = True
        for box in boxes:
            self._container(box)

    @staticmethod
    def _lines(segments: list[tuple[str, bool]]) -> tuple[list[list[tuple[str, bool]]], set[int]]:
        """The paragraph's segments as lines (split at soft breaks unless it is one title, and at
        page breaks), and the lines a page break comes before."""
        lines: list[list[tuple[str, bool]]] = [[]]
        breaks: set[int] = set()
        for text, bold in segments:
            if text == _PAGE:
                if any(t.strip() for t, _ in lines[-1]):
                    lines.append([])
                breaks.add(len(lines) - 1)
            elif text == "\n":
                lines.append([])
            else:
                lines[-1].append((text, bold))
        texts = [clean_line("".join(t for t, _ in line)) for line in lines]
        texts = [t for t in texts if t]
        joined = clean_line(" ".join(texts))
        if len(texts) > 1 and len(joined) <= MAX_TITLE_CHARS and "。" not in joined \
                and not any(parse_label_line(t) is not None for t in texts):
            return [[(joined, all(b for line in lines for t, b in line if t.strip()))]], ({0} if breaks else set())
        return lines, breaks

    def _inline(self, element, segments: list, boxes: list) -> None:
        for child in element.iterchildren():
            tag = child.tag
            if tag == _W["r"]:
                self._run(child, segments, boxes)
            elif tag in _THROUGH:
                self._inline(child, segments, boxes)
            elif tag in (_W["ins"], _W["moveTo"]):
                self.revisions.add(child.getroottree().getpath(child))
                self._inline(child, segments, boxes)
            elif tag in (_W["del"], _W["moveFrom"]):
                self.revisions.add(child.getroottree().getpath(child))
            elif tag == _W["sdt"]:
                content = child.find(_W["sdtContent"])
                if content is not None:
                    self._inline(content, segments, boxes)
            elif tag == _ALTERNATE:
                choice = child.find(_CHOICE)
                self._inline(choice if choice is not None else child, segments, boxes)
            elif tag == _W["commentRangeStart"]:
                self.comments.add(child.get(qn("w:id"), ""))
            elif tag.startswith("{http://schemas.openxmlformats.org/officeDocument/2006/math}"):
                segments.append(("".join(t.text or "" for t in child.iter(_MATH_T)), False))

    def _run(self, r, segments: list, boxes: list) -> None:
        vanish = r.find(f"{_W['rPr']}/{_W['vanish']}")
        if vanish is not None and vanish.get(qn("w:val"), "true").lower() not in ("0", "false", "off"):
            return  # hidden text: Word does not show it
        bold = self.styles.run_bold(r)
        for child in r.iterchildren():
            tag = child.tag
            if tag == _W["t"]:
                segments.append((child.text or "", bold))
            elif tag in (_W["tab"], _W["ptab"]):
                segments.append((" ", bold))
            elif tag in (_W["br"], _W["cr"]):
                kind = child.get(qn("w:type"))
                segments.append((_PAGE, False) if kind in ("page", "column") else ("\n", bold))
            elif tag == _W["noBreakHyphen"]:
                segments.append(("-", bold))
            elif tag == _W["sym"]:
                code = int(child.get(qn("w:char"), "0") or "0", 16) if re.fullmatch(
                    r"[0-9A-Fa-f]{1,4}", child.get(qn("w:char"), "") or "") else 0
                if code and not 0xE000 <= code <= 0xF8FF:
                    segments.append((chr(code), bold))
            elif tag in (_W["footnoteReference"], _W["endnoteReference"]):
                kind = "footnote" if tag == _W["footnoteReference"] else "endnote"
                self.notes[(kind, child.get(qn("w:id"), ""))] = f"第{self.counter + 1}段"
            elif tag in (_W["drawing"], _W["pict"], _W["object"], _ALTERNATE):
                boxes.extend(box for box in child.iter(_W["txbxContent"])
                             if outside(box, child, {_FALLBACK, _W["txbxContent"]}))
            elif tag == _W["commentReference"]:
                self.comments.add(child.get(qn("w:id"), ""))

    def _images(self, p, location: str) -> list[tuple[str, bytes]]:
        """The pictures embedded in paragraph ``p`` itself (not in its text boxes, not in fallbacks);
        a linked or missing one becomes a warning naming ``location``."""
        found = []
        part = self.document.part
        for node in p.iter(_BLIP, _VML_IMAGE):
            if not outside(node, p, {_FALLBACK, _W["txbxContent"]}):
                continue
            rel_id = node.get(f"{{{_R_NS}}}embed") or node.get(f"{{{_R_NS}}}id")
            link_id = node.get(f"{{{_R_NS}}}link")
            rel = part.rels.get(rel_id) if rel_id else None
            if rel is not None and not rel.is_external:
                target = rel.target_part
                found.append((str(target.partname).lstrip("/"), target.blob))
                continue
            link = rel if rel is not None else (part.rels.get(link_id) if link_id else None)
            if link is not None:
                self.warnings.append(SourceWarning(
                    self.filename, location,
                    f"有一张图片只是链接到外部文件（{link.target_ref[:200]}），文档里没有图片本身，未导入这张图片。"
                    "请在 Word 中断开链接（“文件—信息—编辑指向文件的链接”）或重新插入图片后再导入。"))
            elif rel_id or link_id:
                self.warnings.append(SourceWarning(
                    self.filename, location,
                    f"有一张图片在文档中找不到（关系 {rel_id or link_id} 不存在），未导入这张图片。"))
        return found

    # --- tables -------------------------------------------------------------------------------

    def _table(self, tbl) -> None:
        rows = []
        for tr in tbl.iterchildren(_W["tr"]):
            cells = []
            for tc in tr.iterchildren(_W["tc"]):
                merge = tc.find(f"{_W['tcPr']}/{_W['vMerge']}")
                if merge is not None and merge.get(qn("w:val")) != "restart":
                    continue  # the continuation of a cell merged downwards
                cells.append(tc)
            rows.append(cells)
        index = 0
        pictures: list[list] = []  # the pictures of the row above, waiting for their captions
        while index < len(rows):
            cells = rows[index]
            texts = [self._simple_text(tc) for tc in cells]
            if pictures and all(t is not None for t in texts) and len([t for t in texts if t]) == len(pictures) \
                    and all(len(t) <= 40 and "。" not in t for t in texts if t):
                for picture, caption in zip(pictures, [t for t in texts if t]):
                    picture[3] = caption  # a row of captions under a row of photos
                pictures = []
                index += 1
                continue
            first = len(self.blocks)
            if all(t is not None for t in texts):
                following = [self._simple_text(tc) for tc in rows[index + 1]] if index + 1 < len(rows) else []
                paired = pair_label_rows(texts, following) if all(t is not None for t in following) else None
                if paired:
                    self._add(paired)
                    index += 2
                    continue
                self._simple_row([t for t in texts if t])
            else:
                self._complex_row(cells, texts)
            pictures = [image for block in self.blocks[first:] for image in block.images]
            index += 1

    def _simple_text(self, tc) -> str | None:
        """The text of a cell holding at most one paragraph and nothing else, else None."""
        paragraphs = [c for c in tc.iterchildren() if c.tag == _W["p"]]
        if any(c.tag in (_W["tbl"], _W["sdt"]) for c in tc.iterchildren()):
            return None
        texts = []
        for p in paragraphs:
            segments: list = []
            boxes: list = []
            self._inline(p, segments, boxes)
            if boxes or self._has_images(p) or self.numbering.numbered(p):
                return None
            text = clean_line("".join(" " if t in (_PAGE, "\n") else t for t, _ in segments))
            if text:
                texts.append(text)
        return texts[0] if len(texts) <= 1 and texts else ("" if not texts else None)

    @staticmethod
    def _has_images(p) -> bool:
        return any(True for _ in p.iter(_BLIP, _VML_IMAGE))

    def _simple_row(self, texts: list[str]) -> None:
        if not texts or _OPINION.match(texts[0]):
            return
        if len(texts) > 1 and _is_form_label(texts[0]):
            for text in texts[1:]:
                self._add(text)
            return
        self._add(join_label_cells(texts))

    def _complex_row(self, cells: list, texts: list) -> None:
        if texts and texts[0] is not None and _OPINION.match(texts[0]):
            return
        for tc, text in zip(cells, texts):
            if text is not None and (not text or _is_form_label(text)):
                continue
            if text is not None and is_label_cell(text):
                continue  # a label whose value is a whole block of paragraphs
            self._container(tc)

    # --- what was left out --------------------------------------------------------------------

    def _report(self) -> None:
        warn = self.warnings.append
        texts = self._note_texts()
        for (kind, note_id), location in self.notes.items():
            name = "脚注" if kind == "footnote" else "尾注"
            quoted = texts.get((kind, note_id), "")
            warn(SourceWarning(self.filename, location,
                               f"这里的{name}没有导入（公众号正文不支持{name}）" + (f"：“{quoted[:100].rstrip('。')}”" if quoted else "")
                               + f"。如需保留，请把{name}内容写进正文。"))
        if self.comments:
            warn(SourceWarning(self.filename, "", f"文档中有 {len(self.comments)} 条批注，批注内容没有导入。"
                               "请确认批注提出的修改都已处理。"))
        if self.revisions:
            warn(SourceWarning(self.filename, "", f"文档中有 {len(self.revisions)} 处未接受的修订（修订模式），"
                               "已按“接受所有修订”后的文字导入：删除的文字未导入，插入的文字已导入。请核对。"))

    def _note_texts(self) -> dict[tuple[str, str], str]:
        found = {}
        if not self.notes:
            return found
        for rel in self.document.part.rels.values():
            kind = rel.reltype.rsplit("/", 1)[-1].rstrip("s")
            if kind not in ("footnote", "endnote") or rel.is_external:
                continue
            try:
                from docx.oxml.parser import parse_xml

                root = parse_xml(rel.target_part.blob)
            except Exception:  # noqa: BLE001 - a damaged notes part only loses the quotation
                continue
            for note in root.iterchildren(qn(f"w:{kind}")):
                text = clean_line("".join(t.text or "" for t in note.iter(_W["t"])))
                found[(kind, note.get(qn("w:id"), ""))] = text
        return found


def _is_form_label(text: str) -> bool:
    bare = re.sub(r"\s+", "", text).rstrip(":：")
    return bare in _FORM_LABELS


def read_blocks(document, filename: str, warnings: list[SourceWarning]) -> list[Block]:
    """The document's blocks in reading order (see the module docstring)."""
    return Reader(document, filename, warnings).read()
