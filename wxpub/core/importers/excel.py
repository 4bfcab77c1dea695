"""Excel (.xlsx) case lists: one row a case.

The header row is the first of the first ``HEADER_SEARCH_ROWS`` (20) rows that names at least two
known columns (so title rows above it are fine). A sheet laid out as a form instead (labels in one
column, values beside them: "案例名称 | …", "报送单位 | …", "案例内容 | …") is one case. Column names are matched after removing spaces, line
breaks, "*" and bracketed notes ("标题（必填）"):

===============  ==================================================================================
number           序号, 编号, 案例编号, 排序
title            标题, 案例名称, 案例标题, 题目, 案例题目, 名称, 项目名称    (required)
chapter          篇章, 所属篇章, 章节, 类别, 案例类别, 所属类别, 分类, 所属领域, 领域, 板块
unit             单位, 报送单位, 申报单位, 填报单位, 部门, 报送部门, 责任单位, 牵头单位, 单位名称
body             正文, 内容, 案例正文, 案例内容, 主要做法, 案例简介, 具体做法 … (``BODY``; required)
contact          联系人, 姓名, 联系电话, 电话, 手机, 邮箱, 联系方式; 联系人及电话 (name and number)
===============  ==================================================================================

Several body columns ("基本情况", "主要做法", "取得成效") are read in column order as one body. A
header of two rows ("联系人" merged over "姓名"/"电话") is read as one. Line breaks inside a body cell
(Alt+Enter) separate paragraphs; blank rows are skipped, and so are rows without a title, a body, a
unit or a contact (a template's pre-numbered rows), totals ("合计"), notes ("注：…") and the
template's example row ("示例", with a warning); a body pasted over several rows (only the body
cell filled) joins the case above, with a warning. A "填报单位：…" line above the header is the unit
of rows that name none. A title pasted with its heading number ("01创新……")
gives the number when the number column is empty or agrees. A sheet named after a chapter ("人文环境",
"政务环境篇") gives its rows that chapter when they have no chapter column. Every visible sheet with a
recognisable header is imported; hidden sheets and sheets without one (notes, lists) are skipped,
but a file in which no sheet has one is an error naming the columns found. A title or body that is a
formula without a saved result, or an Excel error ("#REF!"), is an error naming the cell.
Locations are "工作表“X”第N行" with N the row number Excel shows. Reading (merged cells, formulas,
damage) is ``excelread``.
"""

from __future__ import annotations

import datetime as dt
import re

from wxpub.core.content import STANDARD_CHAPTERS, ChapterInfo, ImportResult, SourceWarning

from wxpub.core.importers import errors
from wxpub.core.importers.assemble import RawCase, build_case, resolve_chapter
from wxpub.core.importers.body import Para
from wxpub.core.importers.decoding import clean_line, split_lines
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.excelread import Sheet, column_name, read_sheets
from wxpub.core.importers.headings import normalize_chapter, numbered_title
from wxpub.core.importers.labels import parse_label_line, split_contact
from wxpub.core.importers.page import chapter_order
from wxpub.core.importers.safety import open_office_package

HEADER_SEARCH_ROWS = 20
BODY = ("正文", "内容", "案例正文", "案例内容", "主要内容", "案例简介", "简介", "案例介绍", "具体内容", "详细内容",
        "基本情况", "案例背景", "背景", "主要做法", "具体做法", "创新做法", "经验做法", "典型做法", "做法",
        "主要举措", "取得成效", "工作成效", "主要成效", "实施成效", "成效", "下一步", "下一步打算", "做法及成效",
        "主要做法及成效")
SYNONYMS = {
    "number": ("序号", "编号", "案例编号", "排序"),
    "title": ("标题", "案例名称", "案例标题", "题目", "案例题目", "名称", "项目名称"),
    "chapter": ("篇章", "所属篇章", "章节", "类别", "案例类别", "所属类别", "分类", "所属领域", "领域", "板块"),
    "unit": ("单位", "报送单位", "申报单位", "填报单位", "部门", "报送部门", "申报部门", "责任单位", "牵头单位",
             "单位名称"),
    "body": BODY,
    "contact:name": ("联系人", "联系人姓名", "姓名"),
    "contact:phone": ("联系电话", "电话", "办公电话", "座机", "联系方式"),
    "contact:mobile": ("手机", "手机号", "手机号码", "移动电话"),
    "contact:email": ("邮箱", "电子邮箱", "e-mail", "email"),
    "contact:both": ("联系人及电话", "联系人及联系方式", "联系人和电话", "联系人/电话", "联系人、电话",
                     "联系人电话", "联系人及手机"),
}
REQUIRED = {"title": "标题", "body": "正文"}
_ROLE_OF = {name: role for role, names in SYNONYMS.items() for name in names}
_SUB_ONLY = {"职务": "", "备注": ""}  # names seen in the second row of a two-row header
_ERRORS = ("#REF!", "#N/A", "#VALUE!", "#NAME?", "#DIV/0!", "#NULL!", "#NUM!")
_TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计|共\s*计)")
_NOTE = re.compile(r"^(注|备注|说明|填报说明|填表说明)\s*\d*\s*[:：、.]")
_EXAMPLE = re.compile(r"^[（(【\[]?\s*(示例|样例|例)\s*[）)】\]:：]?")


def _header_name(value) -> str:
    text = clean_line(str(value)) if value is not None else ""
    text = re.sub(r"[（(【\[].*?[）)】\]]", "", text)
    text = text.replace(" ", "").replace("*", "").replace("＊", "").rstrip(":：")
    return text.lower() if text.isascii() else text


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.strftime("%Y-%m-%d")
    # Excel stores a carriage return inside a cell as "_x000D_" in some writers' output.
    return str(value).replace("_x000D_", "")


def _find_header(rows: list[tuple[int, tuple]]) -> tuple[int, dict[str, int], list[int]] | None:
    """(header row number, role -> column, body columns) of the first header row, or None."""
    for pos, (row_number, values) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        roles: dict[str, int] = {}
        body: list[int] = []
        for col, value in enumerate(values):
            role = _ROLE_OF.get(_header_name(value))
            if role == "body" and col not in body and (not body or values[body[-1]] != value):
                body.append(col)
            if role and role not in roles:
                roles[role] = col
        if len(roles) >= 2:
            if pos + 1 < len(rows) and _sub_header(rows[pos + 1][1], roles):
                row_number = rows[pos + 1][0]
            return row_number, roles, body
    return None


def _sub_header(values: tuple, roles: dict[str, int]) -> bool:
    """Whether ``values`` is the second row of a two-row header; if so, its names refine ``roles``."""
    names = [(col, _header_name(v)) for col, v in enumerate(values) if _header_name(v)]
    if not names or not all(name in _ROLE_OF or name in _SUB_ONLY for _, name in names):
        return False
    for col, name in names:
        role = _ROLE_OF.get(name)
        if role and role.startswith("contact:"):
            for old in [r for r, c in roles.items() if c == col and r.startswith("contact:")]:
                del roles[old]
            roles.setdefault(role, col)
    return True


def _parse_number(text: str, filename: str, location: str) -> int | None:
    text = clean_line(text).translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")})
    text = text.lstrip("第（(").rstrip("号）).、")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if not text:
        return None
    if not text.isdigit():
        raise SourceError(filename, location, f"序号“{text}”不是数字。", errors.BAD_ROW)
    return int(text)


def import_xlsx(data: bytes, filename: str, *, series: str | None = None,
                chapter: str | None = None) -> ImportResult:
    """Import a case list from an .xlsx workbook (see the module docstring)."""
    archive = open_office_package(data, filename, name="Excel 表格", suffix=".xlsx", main_part="xl/workbook.xml")
    sheets = read_sheets(data, filename, archive)

    series_name = series or ""
    cases = []
    warnings: list[SourceWarning] = []
    seen_headers: list[str] = []
    skipped: list[SourceError] = []
    for sheet in sheets:
        rows = [(n, r) for n, r in sheet.rows if any(_cell_text(v).strip() for v in r)]
        if not rows:
            continue
        form = None if sheet.hidden else _form_case(sheet, rows, filename, chapter)
        if form is not None:
            cases.append(build_case(form[0], series=series_name, chapter=form[1], filename=filename))
            continue
        header = _find_header(rows)
        if header is None or sheet.hidden:
            if header is not None:
                warnings.append(SourceWarning(filename, f"工作表“{sheet.title}”", "这是隐藏的工作表，没有导入。"
                                              "如果其中有要导入的案例，请在 Excel 中取消隐藏后再导入。"))
            else:
                seen_headers.append(f"工作表“{sheet.title}”：" + "、".join(
                    _header_name(v) for v in rows[0][1] if _header_name(v)))
            continue
        header_row, roles, body_cols = header
        missing = [label for role, label in REQUIRED.items() if role not in roles]
        if missing:
            found = "、".join(dict.fromkeys(_header_name(v) for v in dict(rows)[header_row] if _header_name(v)))
            problem = SourceError(
                filename, f"工作表“{sheet.title}”第{header_row}行（表头）",
                f"缺少必需的列：{'、'.join(missing)}。找到的列：{found}。"
                f"标题列可写作{'/'.join(SYNONYMS['title'][:4])}，正文列可写作{'/'.join(BODY[:4])}/主要做法。",
                errors.MISSING_COLUMNS)
            if "title" in roles:
                raise problem  # a case list without its body column: nothing may be half-imported
            skipped.append(problem)
            continue
        above = [parse_label_line(_cell_text(v)) or {} for n, r in rows if n < header_row for v in r]
        sheet_unit = next((labels["unit"] for labels in above if labels.get("unit")), "")
        sheet_chapter = normalize_chapter(sheet.title)
        sheet_chapter = sheet_chapter if sheet_chapter in STANDARD_CHAPTERS else ""
        previous: tuple[RawCase, str] | None = None
        for row_number, values in rows:
            if row_number <= header_row:
                continue
            found = _row_case(sheet, row_number, values, roles, body_cols, filename, chapter,
                              sheet_chapter, warnings, previous)
            if found is not None and found is not previous:
                found[0].fallback_unit = sheet_unit
                if previous is not None:
                    cases.append(build_case(previous[0], series=series_name, chapter=previous[1], filename=filename))
                previous = found
        if previous is not None:
            cases.append(build_case(previous[0], series=series_name, chapter=previous[1], filename=filename))
    if not cases:
        if skipped:
            raise skipped[0]
        if seen_headers:
            raise SourceError(
                filename, "",
                "没有找到表头（需要“标题”和“正文”两列，可写作"
                f"{'/'.join(SYNONYMS['title'][:4])}、{'/'.join(BODY[:4])}）。找到的首行："
                + "；".join(seen_headers) + "。",
                errors.MISSING_COLUMNS)
        raise SourceError(filename, "", "表格中没有案例（表头下方没有内容）。", errors.NO_CASES)
    for problem in skipped:
        warnings.append(SourceWarning(filename, problem.location, f"这个工作表没有导入：{problem.message}"))

    chapter_names = sorted({c.chapter for c in cases if c.chapter},
                           key=lambda n: (chapter_order(n) or 99, n))
    chapters = tuple(ChapterInfo(series=series_name, name=n, order=chapter_order(n))
                     for n in chapter_names)
    return ImportResult(cases=tuple(cases), chapters=chapters, series_title=series_name,
                        warnings=tuple(warnings))


def _row_case(sheet: Sheet, row_number: int, values: tuple, roles: dict[str, int], body_cols: list[int],
              filename: str, chapter: str | None, sheet_chapter: str, warnings: list[SourceWarning],
              previous: tuple[RawCase, str] | None) -> tuple[RawCase, str] | None:
    """``(raw case, chapter)`` of one row; None for a row that is not a case; ``previous`` (extended)
    for a row holding only more body paragraphs of the case above it (a body pasted from Word
    into several rows)."""
    location = f"工作表“{sheet.title}”第{row_number}行"

    def cell(col: int | None) -> str:
        return _cell_text(values[col]) if col is not None and col < len(values) else ""

    def get(role: str) -> str:
        return cell(roles.get(role))

    texts = [clean_line(_cell_text(v)) for v in values if clean_line(_cell_text(v))]
    if _TOTAL.match(texts[0]) or (len(set(texts)) == 1 and _NOTE.match(texts[0])):
        return None
    if (row_number, roles["title"]) in sheet.continued:
        return None  # the lower part of a case whose title cell is merged downwards
    for role, col in [("title", roles["title"]), *(("body", c) for c in body_cols)]:
        _check_cell(sheet, row_number, col, cell(col), role, filename, location)
    title = clean_line(" ".join(re.sub(r"^[—\-－─]{1,2}\s*", "", clean_line(line))
                                for line in split_lines(get("title"))))
    bodies = [cell(col) for col in body_cols]
    paragraphs = [line for body in bodies for line in (clean_line(x) for x in split_lines(body)) if line]
    if _EXAMPLE.match(get("number").strip()) or _EXAMPLE.match(title):
        warnings.append(SourceWarning(filename, location, f"这一行是填表示例（“{title[:30]}”），没有导入。"))
        return None
    contact = {role.split(":", 1)[1]: clean_line(get(role))
               for role in roles if role.startswith("contact:") and role != "contact:both" and clean_line(get(role))}
    if re.search(r"\d{7}", contact.get("name", "")):
        contact = {**split_contact(contact.pop("name")), **contact}
    if clean_line(get("contact:both")):
        for key, value in split_contact(get("contact:both")).items():
            contact.setdefault(key, value)
    if not title and not paragraphs and not clean_line(get("unit")) and not contact:
        return None  # a template row numbered in advance, or only its chapter filled in
    others = [col for col, v in enumerate(values) if clean_line(_cell_text(v)) and col not in body_cols
              and (row_number, col) not in sheet.continued]
    if not title and previous is not None and paragraphs and not others:
        previous[0].paras.extend(Para(p) for p in paragraphs)
        message = (f"这些行只有正文，已接在案例“{previous[0].title[:30]}”（{previous[0].position}）的正文后面。"
                   "如果不对，请把正文放回案例所在行的单元格后再导入。")
        if warnings and warnings[-1].message == message:  # one warning for the rows of one case
            first = warnings.pop().location.split("第")[-1].split("至")[0].rstrip("行")
            location = f"工作表“{sheet.title}”第{first}至{row_number}行"
        warnings.append(SourceWarning(filename, location, message))
        return previous
    if not title:
        raise SourceError(filename, location, "这一行有内容但没有标题。", errors.BAD_ROW)
    if not paragraphs:
        raise SourceError(filename, location, f"案例“{title}”没有正文。", errors.BAD_ROW)
    row_chapter = resolve_chapter(get("chapter") or sheet_chapter, chapter, filename, location)
    number = _parse_number(get("number"), filename, location)
    shape = numbered_title(title)
    if shape and number in (None, shape[0]):
        # A title pasted with its heading number ("01创新……", "案例1：……") gives the number.
        number, title = shape[0], shape[1]
    raw = RawCase(title=title, position=location, number=number,
                  paras=[Para(p) for p in paragraphs], unit=clean_line(get("unit")), contact=contact)
    return raw, row_chapter


def _check_cell(sheet: Sheet, row: int, col: int, text: str, role: str, filename: str, location: str) -> None:
    """Refuse a title/body cell that shows an Excel error or is a formula without a saved result."""
    name = "标题" if role == "title" else "正文"
    ref = f"{column_name(col)}{row}"
    if text.strip() in _ERRORS:
        raise SourceError(filename, location, f"“{name}”单元格 {ref} 显示公式错误“{text.strip()}”，请在 Excel 中改正后再导入。",
                          errors.BAD_ROW)
    if not text.strip():
        formula = sheet.formula(row, col)
        if formula is not None:
            raise SourceError(
                filename, location,
                f"“{name}”单元格 {ref} 是公式（={formula[:60]}），文件里没有保存公式的计算结果。请在 Excel 或 WPS 中"
                "打开文件并保存后再导入，或把公式复制后“选择性粘贴—数值”。", errors.BAD_ROW)


def _form_case(sheet: Sheet, rows: list[tuple[int, tuple]], filename: str,
               chapter: str | None) -> tuple[RawCase, str] | None:
    """The one case of a sheet laid out as a form (labels with their values to the right), or None."""
    found: dict[str, tuple[str, int]] = {}
    bodies: list[str] = []
    for row_number, values in rows:
        cells, last = [], None
        for col, value in enumerate(values):
            text = _cell_text(value)
            if clean_line(text) and (row_number, col) not in sheet.continued and text != last:
                cells.append(text)
            last = text if clean_line(text) else last
        for pos in range(len(cells) - 1):
            role = _ROLE_OF.get(_header_name(cells[pos]))
            if role is None or _ROLE_OF.get(_header_name(cells[pos + 1])) is not None:
                continue
            if role == "body":
                bodies.append(cells[pos + 1])
            else:
                found.setdefault(role, (cells[pos + 1], row_number))
    if "title" not in found or not bodies:
        return None
    title, title_row = clean_line(found["title"][0]), found["title"][1]
    location = f"工作表“{sheet.title}”第{title_row}行"
    contact = {role.split(":", 1)[1]: clean_line(value) for role, (value, _) in found.items()
               if role.startswith("contact:") and role != "contact:both"}
    if re.search(r"\d{7}", contact.get("name", "")):
        contact = {**split_contact(contact.pop("name")), **contact}
    if "contact:both" in found:
        contact = {**split_contact(found["contact:both"][0]), **contact}
    shape = numbered_title(title)
    raw = RawCase(title=shape[1] if shape else title, position=location, number=shape[0] if shape else None,
                  paras=[Para(line) for body in bodies for line in map(clean_line, split_lines(body)) if line],
                  unit=clean_line(found.get("unit", ("", 0))[0]), contact=contact)
    sheet_chapter = normalize_chapter(sheet.title)
    found_chapter = found.get("chapter", ("", 0))[0] or (sheet_chapter if sheet_chapter in STANDARD_CHAPTERS else "")
    return raw, resolve_chapter(found_chapter, chapter, filename, location)
