"""Reading the sheets of an .xlsx workbook as staff see them.

* Values are the ones Excel shows: a formula gives the result Excel saved with it (openpyxl's
  ``data_only``); a formula saved without a result (a file written by a script and never opened in
  Excel) is found in the sheet XML so the importer can say so (``Sheet.formula``).
* Merged cells: the value of a merged range is seen in every cell of it (a 篇章 or 单位 cell merged
  down over its cases, "联系人" merged over 姓名/电话); ``Sheet.continued`` tells which cells are the
  continuation of a range merged downwards.
* The used range is measured from the cells, not from the dimension the writing program declared
  (some write "A1" for a whole table).
* A damaged workbook or sheet is a ``SourceError`` naming it.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field

import openpyxl
from openpyxl.utils.cell import get_column_letter, range_boundaries

from wxpub.core.importers import errors
from wxpub.core.importers.errors import SourceError

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3}\d+(?::[A-Z]{1,3}\d+)?)"')
MAX_MERGED_CELLS = 200_000
MAX_SHEET_XML = 50 * 1024 * 1024  # above this a sheet's XML is not searched (merges, formulas)


@dataclass
class Sheet:
    """One worksheet: its rows ``(row number, values)`` with merged values filled in."""

    title: str
    rows: list[tuple[int, tuple]]
    hidden: bool = False
    continued: set[tuple[int, int]] = field(default_factory=set)  # (row, 0-based column)
    xml: bytes = b""

    def formula(self, row: int, col: int) -> str | None:
        """The formula of the cell at ``row`` (1-based) and ``col`` (0-based), if it has one."""
        ref = f"{get_column_letter(col + 1)}{row}"
        match = re.search(rb'<(?:\w+:)?c\s+r="' + ref.encode() + rb'"[^>]*>\s*<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?f>)',
                          self.xml, re.DOTALL)
        if not match:
            return None
        return html.unescape((match.group(1) or b"").decode("utf-8", "replace"))


def damage(exc: Exception) -> str:
    """A short Chinese description of a parser failure (XML errors carry a line number)."""
    if isinstance(exc, SyntaxError):  # xml.etree ParseError, lxml XMLSyntaxError
        return f"XML 不完整或格式错误：{exc}"
    return f"{type(exc).__name__}：{exc}"[:200]


def _fill_merged(rows: list[tuple[int, tuple]], xml: bytes) -> set[tuple[int, int]]:
    """Copy each merged range's top-left value into its other cells; the cells merged downwards."""
    continued: set[tuple[int, int]] = set()
    ranges = [m.group(1).decode() for m in _MERGE.finditer(xml)]
    if not ranges:
        return continued
    table = {n: list(values) for n, values in rows}
    cells = 0
    for ref in ranges:
        min_col, min_row, max_col, max_row = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
        cells += (max_col - min_col + 1) * (max_row - min_row + 1)
        if cells > MAX_MERGED_CELLS:
            break
        top = table.get(min_row, [])
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        if value is None:
            continue
        for row in range(min_row, max_row + 1):
            values = table.setdefault(row, [])
            values.extend([None] * (max_col - len(values)))
            for col in range(min_col - 1, max_col):
                values[col] = value
                if row > min_row:
                    continued.add((row, col))
    rows[:] = sorted((n, tuple(v)) for n, v in table.items())
    return continued


def read_sheets(data: bytes, filename: str, archive: zipfile.ZipFile) -> list[Sheet]:
    """Every sheet of the workbook (see the module docstring)."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        worksheets = list(workbook.worksheets)
    except Exception as exc:  # noqa: BLE001 - any parser failure on a damaged package is bad input
        raise SourceError(filename, "", f"Excel 表格已损坏，无法读取（{damage(exc)}）。",
                          errors.CORRUPT) from None
    sheets = []
    try:
        for ws in worksheets:
            try:
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()
                rows = [(n, tuple(r)) for n, r in enumerate(ws.iter_rows(values_only=True), 1)]
            except Exception as exc:  # noqa: BLE001 - as above, for one sheet
                raise SourceError(filename, f"工作表“{ws.title}”",
                                  f"这个工作表已损坏，无法读取（{damage(exc)}）。请用 Excel 打开后另存再导入。",
                                  errors.CORRUPT) from None
            path = getattr(ws, "_worksheet_path", "")
            try:
                small = path and archive.getinfo(path).file_size <= MAX_SHEET_XML
                xml = archive.read(path) if small else b""
            except (KeyError, zipfile.BadZipFile, OSError):
                xml = b""
            continued = _fill_merged(rows, xml)
            sheets.append(Sheet(ws.title, rows, hidden=getattr(ws, "sheet_state", "visible") != "visible",
                                continued=continued, xml=xml))
    finally:
        workbook.close()
    return sheets


def column_name(col: int) -> str:
    """"A" for column 0."""
    return get_column_letter(col + 1)
