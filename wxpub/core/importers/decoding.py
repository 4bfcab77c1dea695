"""Bytes to text for plain-text, HTML and Markdown sources, and whitespace normalisation.

Staff hand in text saved by Notepad, WPS or a browser: UTF-8 with or without BOM, UTF-16 with BOM, or
GBK/GB18030. We try UTF-8 first; if it fails part-way through a file that was clearly UTF-8 until then
(it already held Chinese characters), the file is damaged and we say where. Otherwise we try GB18030
(a superset of GBK and GB2312).
"""

from __future__ import annotations

import re
import unicodedata

from wxpub.core.importers import errors
from wxpub.core.importers.errors import SourceError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode_error(filename: str, data: bytes, offset: int, encoding_label: str) -> SourceError:
    line = _line_of(data, offset)
    return SourceError(
        filename, f"第{line}行，第{offset}字节",
        f"文字编码无法识别：此处的字节（0x{data[offset:offset + 2].hex().upper()}）不是有效的"
        f"{encoding_label}。请用记事本或 WPS 将文件另存为 UTF-8 编码后再导入。",
        errors.ENCODING)


def decode_text(data: bytes, filename: str) -> str:
    """Decode ``data`` as UTF-8 (BOM optional), UTF-16 (BOM) or GB18030; ``SourceError`` if none fits."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise _decode_error(filename, data, exc.start + len(bom),
                                    encoding.upper().replace("-LE", "").replace("-BE", "")) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    prefix = data[:utf8_error.start].decode("utf-8")
    # GBK byte pairs often form valid two-byte UTF-8 sequences (Cyrillic, Hebrew, Arabic…) but hardly
    # ever three-byte CJK ones: a prefix rich in CJK and poor in such strays is damaged UTF-8.
    cjk = sum(1 for ch in prefix if _is_cjk(ch))
    stray = sum(1 for ch in prefix if "\u0100" <= ch <= "\u07ff")
    looks_utf8 = cjk >= 2 and cjk > 4 * stray
    if looks_utf8:
        raise _decode_error(filename, data, utf8_error.start, "UTF-8")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _decode_error(filename, data, exc.start, "UTF-8 或 GBK 文字") from None


# Characters that are whitespace to a reader but not to str.split(): NBSP, ideographic space, zero-width
# characters, BOMs left inside the text.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[\s\u00a0\u3000\u2000-\u200a\u202f\u205f]+")


def clean_line(text: str) -> str:
    """Normalise one paragraph: NFC, no zero-width characters, runs of any whitespace to one space."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", text).strip()


def split_lines(text: str) -> list[str]:
    """Split text into raw lines on any line break (\\n, \\r\\n, \\r, U+2028/2029)."""
    return re.split(r"\r\n|[\n\r\u2028\u2029\x0b\x0c\x85]", text)
