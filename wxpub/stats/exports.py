"""Tables as data, and their CSV / XLSX files (what staff paste into reports).

A ``Table`` is a title, columns and rows of plain values; the dashboard renders the same object
as HTML, so what is exported is exactly what is shown.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from wxpub.infra.clock import format_local


@dataclass(frozen=True)
class Column:
    """One column: row key, Chinese header, and kind (text | int | rate | date | datetime)."""

    key: str
    label: str
    kind: str = "text"


@dataclass
class Table:
    """A titled table; ``name`` is its export id."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    note: str = ""

    def cell(self, row: dict, column: Column) -> str:
        """The text shown (and written to CSV) for ``row``'s ``column``."""
        return display(row.get(column.key), column.kind)


def display(value, kind: str = "text") -> str:
    """Format one value for people: rates as percentages, times in Beijing time."""
    if value is None:
        return "—" if kind in ("rate", "datetime") else ""
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if kind == "int":
        return f"{int(value)}"
    if kind == "datetime" and isinstance(value, datetime):
        return format_local(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _native(value, kind: str):
    """Value for a spreadsheet cell: numbers stay numbers, times become Beijing strings."""
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "rate":
        return round(float(value), 4)
    if kind == "datetime" and isinstance(value, datetime):
        return format_local(value)
    if isinstance(value, (dict, list)):
        return str(value)
    return value


def to_csv(table: Table) -> bytes:
    """CSV with a UTF-8 BOM so Excel opens the Chinese headers correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([table.cell(row, c) for c in table.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """An .xlsx workbook with one sheet: header row in bold, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31] or "数据"
    sheet.append([c.label for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_native(row.get(c.key), c.kind) for c in table.columns])
    for index, column in enumerate(table.columns, start=1):
        if column.kind == "rate":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0%"
        width = max([len(column.label)] + [len(table.cell(r, column)) for r in table.rows[:200]])
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(60, width * 1.6 + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export(table: Table, fmt: str) -> bytes:
    """The file of ``table`` in ``fmt`` (csv | xlsx)."""
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table)
    raise ValueError(f"不支持的导出格式：{fmt}（可用 csv、xlsx）")
