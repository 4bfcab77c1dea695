"""The 信息发布审核表 as a Word document (python-docx), for offices that archive Word files.

``document(view)`` prints the rows of ``wxpub.editorial.sheet.view`` — the very rows of the web
page — into a bordered table on an A4 page: 宋体 for East Asian text (``w:eastAsia``), the
hashes in a monospace font, one signature block per review stage.
"""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

SONG = "宋体"
SONG_LATIN = "SimSun"
MONO = "Courier New"
LABEL_WIDTH, VALUE_WIDTH = Mm(27), Mm(60)  # 2 × (27 + 60) = 174 mm = A4 less 18 mm margins
WIDTHS = (LABEL_WIDTH, VALUE_WIDTH, LABEL_WIDTH, VALUE_WIDTH)
ROW_HEIGHT, STAGE_HEIGHT = Mm(8), Mm(24)
RED, GREY = RGBColor(0xB7, 0x1C, 0x1C), RGBColor(0x55, 0x55, 0x55)


def _east_asian(element, name: str = SONG) -> None:
    """Set the East Asian font of a style's or a run's properties (python-docx sets Latin only)."""
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), name)


def _page(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(18)
    section.left_margin = section.right_margin = Mm(18)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = SONG_LATIN, Pt(10.5)
    _east_asian(normal.element)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.15


def _run(paragraph, text: str, *, size=None, bold=False, mono=False, color=None):
    run = paragraph.add_run(text)
    if size is not None:
        run.font.size = size
    run.bold = bold or None
    if mono:
        run.font.name = MONO
        run.font.size = Pt(8)
    if color is not None:
        run.font.color.rgb = color
    return run


def _line(doc, text: str, *, size=None, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER, color=None,
          after=Pt(4)):
    paragraph = doc.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = after
    _run(paragraph, text, size=size, bold=bold, color=color)
    return paragraph


def _fill(cell, lines: list[str], *, mono: bool = False, label: bool = False) -> None:
    """Write ``lines`` into ``cell`` (one paragraph each); a label is bold and centred."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    first = True
    for text in lines or [""]:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        if label:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if mono and "：" in text:  # the label in 宋体, the hash itself in the monospace font
            name, _, value = text.partition("：")
            _run(paragraph, name + "：")
            _run(paragraph, value, mono=True)
        else:
            _run(paragraph, text, bold=label)


def _new_row(table, height):
    row = table.add_row()
    row.height, row.height_rule = height, WD_ROW_HEIGHT_RULE.AT_LEAST
    for cell, width in zip(row.cells, WIDTHS):  # before merging: Word keeps the grid's widths
        cell.width = width
    return row.cells


def _row(table, pairs: list[tuple[str, list[str]]], *, mono: bool = False) -> None:
    cells = _new_row(table, ROW_HEIGHT)
    if len(pairs) == 1:
        label, lines = pairs[0]
        _fill(cells[0], [label], label=True)
        _fill(cells[1].merge(cells[3]), lines, mono=mono)
        return
    for index, (label, lines) in enumerate(pairs[:2]):
        _fill(cells[index * 2], [label], label=True)
        _fill(cells[index * 2 + 1], lines, mono=mono)


def _stage(table, stage: dict) -> None:
    cells = _new_row(table, STAGE_HEIGHT)
    _fill(cells[0], [stage["label"], f"（{stage['roles']}）" if stage["roles"] else ""], label=True)
    value = cells[1].merge(cells[3])
    value.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    duty = value.paragraphs[0]
    _run(duty, f"审核要点：{stage['duty']}" if stage["duty"] else "审核意见：", size=Pt(9), color=GREY)
    for text in stage["comment"]:
        _run(value.add_paragraph(), text)
    sign = value.add_paragraph()
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    sign.paragraph_format.space_before = Pt(6)
    _run(sign, f"结论：{stage['decision'] or '　　　'}　　签名：{stage['name'] or '　　　　'}　　"
               f"日期：{stage['date'] or '　　年　　月　　日'}")


def _grid(table) -> None:
    """Fixed column widths and roomy cell margins (python-docx leaves both to Word)."""
    table.autofit = False
    for column, width in zip(table.columns, WIDTHS):
        column.width = width
    properties = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    properties.append(layout)
    margins = OxmlElement("w:tblCellMar")
    for side, value in (("top", 40), ("left", 85), ("bottom", 40), ("right", 85)):  # twips
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(value))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    properties.append(margins)


def document(view: dict) -> bytes:
    """The .docx bytes of a sheet (``wxpub.editorial.sheet.view``)."""
    doc = Document()
    _page(doc)
    props = doc.core_properties
    props.title = f"{view['form']} · v{view['version']}"
    props.subject, props.author = view["form"], view["office"]
    _line(doc, view["office"], size=Pt(12), after=Pt(2))
    _line(doc, view["form"], size=Pt(18), bold=True, after=Pt(4))
    if view["draft"]:
        _line(doc, view["draft_mark"], size=Pt(12), bold=True, color=RED)
    number = f"第 {view['version']} 版　" + (f"存档编号：{view['archive_id']}" if view["archive_id"]
                                            else "存档编号：（未存档）")
    _line(doc, number, size=Pt(9), align=WD_ALIGN_PARAGRAPH.RIGHT, after=Pt(2))
    table = doc.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    for pairs in view["info"]:
        _row(table, pairs)
    for stage in view["stages"]:
        _stage(table, stage)
    for label, lines, mono in view["record"]:
        _row(table, [(label, lines)], mono=mono)
    _grid(table)
    note = ("本表由系统根据审核记录生成，审核完成时已存档，内容不可更改；纸质件可凭存档哈希与系统存档核对。"
            if not view["draft"] else "本表为审核过程中的草稿，审核完成后系统自动存档。")
    _line(doc, note, size=Pt(9), align=WD_ALIGN_PARAGRAPH.LEFT, color=GREY, after=Pt(0)) \
        .paragraph_format.space_before = Pt(4)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
