"""Excel (.xlsx) case lists: one row a case.

The header row is the first of the first ``HEADER_SEARCH_ROWS`` rows that names at least two known
columns (so a title row above it is fine). Column names are matched after removing spaces, "*" and
bracketed notes ("标题（必填）"):

========  ==========================================================
number    序号, 编号, 案例编号
title     标题, 案例名称, 案例标题, 题目          (required)
chapter   篇章, 所属篇章, 章节, 类别, 案例类别
unit      单位, 报送单位, 申报单位, 填报单位
body      正文, 内容, 案例正文, 案例内容          (required)
contact   联系人, 联系电话, 电话, 手机, 邮箱
========  ==========================================================

Line breaks inside the body cell separate paragraphs; blank rows are skipped. A title pasted with
its heading number ("01创新……") gives the number when the number column is empty or agrees. A sheet named after a
chapter ("人文环境") gives its rows that chapter when they have no chapter column. Every sheet with a
recognisable header is imported; sheets without one (notes, instructions) are skipped, but a file in
which no sheet has one is an error naming the columns found. Locations are "工作表“X”第N行" with
N the row number Excel shows. A damaged workbook, or a damaged sheet (truncated XML …), is a
``SourceError`` naming it; XML with entity declarations is refused before openpyxl reads it
(``safety.check_xml_parts``; openpyxl also parses through defusedxml, a dependency).
"""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl

from wxpub.core.content import STANDARD_CHAPTERS, ChapterInfo, ImportResult

from wxpub.core.importers import errors
from wxpub.core.importers.assemble import RawCase, build_case, resolve_chapter
from wxpub.core.importers.body import Para
from wxpub.core.importers.decoding import clean_line, split_lines
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.headings import heading_shape, normalize_chapter
from wxpub.core.importers.page import chapter_order
from wxpub.core.importers.safety import open_office_package

HEADER_SEARCH_ROWS = 10
SYNONYMS = {
    "number": ("序号", "编号", "案例编号"),
    "title": ("标题", "案例名称", "案例标题", "题目"),
    "chapter": ("篇章", "所属篇章", "章节", "类别", "案例类别"),
    "unit": ("单位", "报送单位", "申报单位", "填报单位"),
    "body": ("正文", "内容", "案例正文", "案例内容"),
    "contact:name": ("联系人", "联系人姓名"),
    "contact:phone": ("联系电话", "电话", "办公电话"),
    "contact:mobile": ("手机", "手机号", "手机号码"),
    "contact:email": ("邮箱", "电子邮箱"),
}
REQUIRED = {"title": "标题", "body": "正文"}
_ROLE_OF = {name: role for role, names in SYNONYMS.items() for name in names}


def _header_name(value) -> str:
    text = clean_line(str(value)) if value is not None else ""
    text = re.sub(r"[（(【\[].*?[）)】\]]", "", text)
    return text.replace(" ", "").replace("*", "").rstrip(":：")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.strftime("%Y-%m-%d")
    # Excel stores a carriage return inside a cell as "_x000D_" in some writers' output.
    return str(value).replace("_x000D_", "")


def _find_header(rows: list[tuple[int, tuple]]) -> tuple[int, dict[str, int]] | None:
    for row_number, values in rows[:HEADER_SEARCH_ROWS]:
        roles: dict[str, int] = {}
        for col, value in enumerate(values):
            role = _ROLE_OF.get(_header_name(value))
            if role and role not in roles:
                roles[role] = col
        if len(roles) >= 2:
            return row_number, roles
    return None


def _parse_number(text: str, filename: str, location: str) -> int | None:
    text = clean_line(text).lstrip("第").rstrip("号")
    if not text:
        return None
    if not text.isdigit():
        raise SourceError(filename, location, f"序号“{text}”不是数字。", errors.BAD_ROW)
    return int(text)


def _damage(exc: Exception) -> str:
    """A short Chinese description of a parser failure (XML errors carry a line number)."""
    if isinstance(exc, SyntaxError):  # xml.etree ParseError, lxml XMLSyntaxError
        return f"XML 不完整或格式错误：{exc}"
    return f"{type(exc).__name__}：{exc}"[:200]


def _read_sheets(data: bytes, filename: str) -> list[tuple[str, list[tuple[int, tuple]]]]:
    """Every sheet's rows; a damaged workbook or sheet is a ``SourceError`` naming it."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        worksheets = list(workbook.worksheets)
    except Exception as exc:  # noqa: BLE001 - any parser failure on a damaged package is bad input
        raise SourceError(filename, "", f"Excel 表格已损坏，无法读取（{_damage(exc)}）。",
                          errors.CORRUPT) from None
    sheets = []
    try:
        for ws in worksheets:
            try:
                rows = [(n, tuple(r)) for n, r in enumerate(ws.iter_rows(values_only=True), 1)]
            except Exception as exc:  # noqa: BLE001 - as above, for one sheet
                raise SourceError(filename, f"工作表“{ws.title}”",
                                  f"这个工作表已损坏，无法读取（{_damage(exc)}）。请用 Excel 打开后另存再导入。",
                                  errors.CORRUPT) from None
            sheets.append((ws.title, rows))
    finally:
        workbook.close()
    return sheets


def import_xlsx(data: bytes, filename: str, *, series: str | None = None,
                chapter: str | None = None) -> ImportResult:
    """Import a case list from an .xlsx workbook (see the module docstring)."""
    open_office_package(data, filename, name="Excel 表格", suffix=".xlsx", main_part="xl/workbook.xml")
    sheets = _read_sheets(data, filename)

    series_name = series or ""
    cases = []
    seen_headers: list[str] = []
    for sheet_name, rows in sheets:
        rows = [(n, r) for n, r in rows if any(_cell_text(v).strip() for v in r)]
        if not rows:
            continue
        header = _find_header(rows)
        if header is None:
            seen_headers.append(f"工作表“{sheet_name}”：" + "、".join(
                _header_name(v) for v in rows[0][1] if _header_name(v)))
            continue
        header_row, roles = header
        missing = [label for role, label in REQUIRED.items() if role not in roles]
        if missing:
            found = "、".join(_header_name(v) for v in dict(rows)[header_row] if _header_name(v))
            raise SourceError(
                filename, f"工作表“{sheet_name}”第{header_row}行（表头）",
                f"缺少必需的列：{'、'.join(missing)}。找到的列：{found}。"
                f"标题列可写作{'/'.join(SYNONYMS['title'])}，正文列可写作{'/'.join(SYNONYMS['body'])}。",
                errors.MISSING_COLUMNS)
        sheet_chapter = normalize_chapter(sheet_name)
        sheet_chapter = sheet_chapter if sheet_chapter in STANDARD_CHAPTERS else ""
        for row_number, values in rows:
            if row_number <= header_row:
                continue
            cases.append(_row_case(values, roles, filename, f"工作表“{sheet_name}”第{row_number}行",
                                   series_name, chapter, sheet_chapter))
    if not cases:
        if seen_headers:
            raise SourceError(
                filename, "",
                "没有找到表头（需要“标题”和“正文”两列，可写作"
                f"{'/'.join(SYNONYMS['title'])}、{'/'.join(SYNONYMS['body'])}）。找到的首行："
                + "；".join(seen_headers) + "。",
                errors.MISSING_COLUMNS)
        raise SourceError(filename, "", "表格中没有案例（表头下方没有内容）。", errors.NO_CASES)

    chapter_names = sorted({c.chapter for c in cases if c.chapter},
                           key=lambda n: (chapter_order(n) or 99, n))
    chapters = tuple(ChapterInfo(series=series_name, name=n, order=chapter_order(n))
                     for n in chapter_names)
    return ImportResult(cases=tuple(cases), chapters=chapters, series_title=series_name)


def _row_case(values: tuple, roles: dict[str, int], filename: str, location: str,
              series: str, chapter: str | None, sheet_chapter: str):
    def get(role: str) -> str:
        col = roles.get(role)
        return _cell_text(values[col]) if col is not None and col < len(values) else ""

    title, body = clean_line(get("title")), get("body")
    paragraphs = [line for line in (clean_line(x) for x in split_lines(body)) if line]
    if not title:
        raise SourceError(filename, location, "这一行有内容但没有标题。", errors.BAD_ROW)
    if not paragraphs:
        raise SourceError(filename, location, f"案例“{title}”没有正文。", errors.BAD_ROW)
    row_chapter = resolve_chapter(get("chapter") or sheet_chapter, chapter, filename, location)
    contact = {role.split(":", 1)[1]: clean_line(get(role))
               for role in roles if role.startswith("contact:") and clean_line(get(role))}
    number = _parse_number(get("number"), filename, location)
    shape = heading_shape(title)
    if shape and number in (None, shape[0]):
        # A title pasted with its heading number ("01创新……") gives the number.
        number, title = shape
    raw = RawCase(title=title, position=location, number=number,
                  paras=[Para(p) for p in paragraphs], unit=clean_line(get("unit")), contact=contact)
    return build_case(raw, series=series, chapter=row_chapter, filename=filename)
