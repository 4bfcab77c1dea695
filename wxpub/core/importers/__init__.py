"""Case importers: pure functions from a file's bytes to case drafts (``ImportResult``).

Public API::

    import_bytes(data, filename, *, series=None, chapter=None, assets=None) -> ImportResult
    import_tree(files, *, series=None) -> ImportResult      # a whole articles/<series>/ directory
    SourceError                                             # every bad input, with file + location

Formats, chosen by content first, then by extension:

=============  ==========================  ===================================================
format         detected by                 module / function
=============  ==========================  ===================================================
Word           zip with word/document.xml  ``word.import_docx``
Excel          zip with xl/workbook.xml    ``excel.import_xlsx``
Markdown       .md/.markdown, or "---"     ``markdown.import_markdown`` (front matter)
HTML page      .htm/.html, or <html> …     ``htmlpage.import_html``
text page      anything else that decodes  ``text.import_text``
=============  ==========================  ===================================================

``series`` and ``chapter`` fill in what a source does not say. A chapter named in the source that
differs from ``chapter`` is an error (``code="conflict"``); ``series`` overrides the series title found
in a page (``ImportResult.series_title`` still reports the page's own wording). Chapter names are
normalised ("人文环境篇" → "人文环境"); "" means "not yet assigned". Limits are in ``safety``:
20 MB a file; .docx/.xlsx refused above 200 MB declared unpacked size or a compression ratio over 100.

Images (Word pictures, Markdown images) are kept only when their bytes are PNG, JPEG or GIF
(``images``; the declared type and the name are ignored), else the file is refused. XML parts of a
.docx/.xlsx that declare a DTD (entities) are refused before any parser reads them
(``safety.check_xml_parts``). What an importer had to leave out or guess without refusing the file
(a Word picture only linked to a file on the author's disk, footnotes, comments, tracked changes
read as accepted, a skipped cover letter or collection heading, a hidden sheet, a template's example
row, body rows joined to the case above) is in ``ImportResult.warnings``; where a guess could go
wrong silently (a cover letter without a clear end, a second unit after a case's body, a formula
without its result) the file is refused instead, naming the paragraph or row.

Nothing here reads files, touches a database or the network: the caller passes bytes (and, for
Markdown images, the bytes of the files beside the case in ``assets``).
"""

from __future__ import annotations

import posixpath
from typing import Mapping

from wxpub.core.content import ImportResult

from wxpub.core.importers import errors
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.excel import import_xlsx
from wxpub.core.importers.htmlpage import import_html
from wxpub.core.importers.markdown import import_markdown, import_tree
from wxpub.core.importers.safety import MAX_FILE_BYTES, MAX_RATIO, MAX_UNPACKED_BYTES, ZIP_MAGIC, check_ole, check_size, open_zip
from wxpub.core.importers.text import import_text
from wxpub.core.importers.word import import_docx

_BINARY_MAGIC = {
    b"%PDF": "PDF",
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"GIF8": "GIF 图片",
    b"Rar!": "RAR 压缩包",
    b"7z\xbc\xaf": "7z 压缩包",
    b"\x1f\x8b": "gzip 压缩包",
    b"{\\rtf": "RTF 文档",
}
_HTML_SNIFF = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div", b"<p>", b"<p ")


def detect_format(data: bytes, filename: str) -> str:
    """``"docx"``, ``"xlsx"``, ``"markdown"``, ``"html"`` or ``"text"``; ``SourceError`` otherwise."""
    check_size(data, filename)
    check_ole(data, filename)
    if data.startswith(ZIP_MAGIC):
        names = set(open_zip(data, filename, "Office 文档").namelist())
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise SourceError(filename, "", "这是一个压缩包，但不是 Word（.docx）或 Excel（.xlsx）文件。",
                          errors.UNSUPPORTED)
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise SourceError(filename, "", f"不支持{kind}：请提供 Word（.docx）、Excel（.xlsx）、"
                              "网页（.html）、文本（.txt）或 Markdown（.md）文件。", errors.UNSUPPORTED)
    extension = posixpath.splitext(filename.lower())[1]
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if extension in (".md", ".markdown") or head.startswith(b"---\n") or head.startswith(b"---\r\n"):
        return "markdown"
    if extension in (".html", ".htm", ".shtml", ".xhtml") or head.startswith(_HTML_SNIFF):
        return "html"
    return "text"


def import_bytes(data: bytes, filename: str, *, series: str | None = None, chapter: str | None = None,
                 assets: Mapping[str, bytes] | None = None) -> ImportResult:
    """Import one source file of any supported format (see the module docstring).

    Raises ``SourceError`` for every bad input; the same bytes always give the same result (and the
    same ``Case.content_hash``).
    """
    kind = detect_format(data, filename)
    if kind == "docx":
        return import_docx(data, filename, series=series, chapter=chapter)
    if kind == "xlsx":
        return import_xlsx(data, filename, series=series, chapter=chapter)
    if kind == "markdown":
        return import_markdown(data, filename, series=series, chapter=chapter, assets=assets)
    if kind == "html":
        return import_html(data, filename, series=series, chapter=chapter)
    return import_text(data, filename, series=series, chapter=chapter)


__all__ = ["import_bytes", "import_tree", "detect_format", "SourceError", "errors", "import_docx",
           "import_xlsx", "import_markdown", "import_html", "import_text", "MAX_FILE_BYTES",
           "MAX_UNPACKED_BYTES", "MAX_RATIO"]
