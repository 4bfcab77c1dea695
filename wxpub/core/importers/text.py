"""Plain-text published pages (copied from the website and saved as .txt)."""

from __future__ import annotations

from wxpub.core.content import ImportResult

from wxpub.core.importers.decoding import decode_text, split_lines
from wxpub.core.importers.page import parse_page
from wxpub.core.importers.safety import check_size


def import_text(data: bytes, filename: str, *, series: str | None = None,
                chapter: str | None = None) -> ImportResult:
    """Import a chapter page saved as text (UTF-8 with/without BOM, UTF-16 with BOM, GBK/GB18030).

    Locations in errors and in ``Case.source`` are line numbers of the file.
    """
    check_size(data, filename)
    text = decode_text(data, filename)
    return parse_page(split_lines(text), filename, series=series, chapter=chapter)
