"""Checks that run before any parser sees the bytes: size, emptiness, archive bombs, OLE files.

Limits (documented in ``articles/README.md`` too):

* ``MAX_FILE_BYTES`` (20 MB): no source file of the office comes near it; a bigger one is refused.
* ``MAX_UNPACKED_BYTES`` (200 MB): the sum of the uncompressed sizes a .docx/.xlsx declares.
* ``MAX_RATIO`` (100): uncompressed / compressed size, per member of at least 1 MB unpacked and for the
  whole archive. Office XML compresses about 5–20×; 100× and more is a zip bomb.
* ``MAX_MEMBERS`` (5,000): members of the archive.

The size checks read only the zip's central directory, never a member's data. Python's ``zipfile``
stops reading a member at its declared size and verifies the CRC, so a member cannot inflate past what
was declared and checked here.

``check_xml_parts`` then refuses any XML part with a document type declaration (``<!DOCTYPE``, where
entities are declared: "billion laughs", XXE), before any parser sees it and without expanding
anything. Office never writes one (OPC, ECMA-376 Part 2, forbids DTDs in package parts). Each part is
read only up to its root element's start tag.
"""

from __future__ import annotations

import io
import zipfile
from xml.parsers import expat

from wxpub.core.importers import errors
from wxpub.core.importers.errors import SourceError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 5000
# Members smaller than this are not ratio-checked on their own: tiny XML parts of zeros or repeated
# tags legitimately compress very well.
RATIO_CHECK_MIN_BYTES = 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream names (UTF-16LE in the OLE directory) that Office writes into an encrypted OOXML file.
_ENCRYPTION_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))


def check_size(data: bytes, filename: str) -> None:
    """Refuse empty and oversized input."""
    if not data or not data.strip():
        raise SourceError(filename, "", "文件为空，没有可导入的内容。", errors.EMPTY)
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(
            filename, "",
            f"文件过大（{len(data) / 1024 / 1024:.1f} MB），上限为 {MAX_FILE_BYTES // 1024 // 1024} MB。"
            "请拆分后分别导入。",
            errors.TOO_LARGE)


def check_ole(data: bytes, filename: str) -> None:
    """Explain OLE compound files: a password-protected .docx/.xlsx, or a legacy .doc/.xls."""
    if not data.startswith(OLE_MAGIC):
        return
    if any(marker in data for marker in _ENCRYPTION_MARKERS):
        raise SourceError(
            filename, "",
            "文件设有打开密码（已加密），无法读取。请在 Word/Excel 中取消密码后另存，再导入。",
            errors.ENCRYPTED)
    raise SourceError(
        filename, "",
        "这是旧版 Office 97-2003 格式（.doc/.xls），或是设有密码的文件。请另存为 .docx/.xlsx 后再导入。",
        errors.LEGACY_FORMAT)


def open_zip(data: bytes, filename: str, kind: str) -> zipfile.ZipFile:
    """Open an OOXML package after checking its declared sizes; ``kind`` names the format in messages."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        raise SourceError(filename, "", f"文件已损坏，无法作为 {kind} 打开（{exc}）。",
                          errors.CORRUPT) from None
    if len(members) > MAX_MEMBERS:
        raise SourceError(filename, "", f"压缩包内文件过多（{len(members)} 个），疑似恶意文件，已拒绝。",
                          errors.ARCHIVE_BOMB)
    total_unpacked = sum(m.file_size for m in members)
    total_packed = sum(m.compress_size for m in members)
    if total_unpacked > MAX_UNPACKED_BYTES:
        raise SourceError(
            filename, "",
            f"文件解压后将达 {total_unpacked / 1024 / 1024:.0f} MB，超过 "
            f"{MAX_UNPACKED_BYTES // 1024 // 1024} MB 上限，疑似压缩炸弹，已拒绝。",
            errors.ARCHIVE_BOMB)
    for member in members:
        if member.file_size >= RATIO_CHECK_MIN_BYTES and \
                member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise SourceError(
                filename, member.filename,
                f"压缩比异常（{member.file_size // max(member.compress_size, 1)} 倍，上限 {MAX_RATIO} 倍），"
                "疑似压缩炸弹，已拒绝。",
                errors.ARCHIVE_BOMB)
    if total_unpacked >= RATIO_CHECK_MIN_BYTES and total_unpacked > MAX_RATIO * max(total_packed, 1):
        raise SourceError(filename, "", f"整体压缩比异常（上限 {MAX_RATIO} 倍），疑似压缩炸弹，已拒绝。",
                          errors.ARCHIVE_BOMB)
    return archive


_XML_CHUNK = 64 * 1024
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class _Prolog(Exception):
    """Raised from expat handlers: ``doctype`` True when a DTD starts, False at the root element."""

    def __init__(self, doctype: bool):
        self.doctype = doctype


def _looks_like_xml(head: bytes) -> bool:
    """Whether a part may be XML: it starts (after a BOM and any padding) with "<", or is all padding."""
    if head.startswith(_BOMS):
        return True
    rest = head.lstrip(b" \t\r\n\x00")
    return not rest or rest.startswith(b"<")


def _has_doctype(member) -> bool:
    """Whether an XML stream declares a document type before its root element (reads no further)."""
    parser = expat.ParserCreate()

    def doctype(*_):
        raise _Prolog(True)

    def element(*_):
        raise _Prolog(False)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = element
    seen = b""
    try:
        while True:
            chunk = member.read(_XML_CHUNK)
            seen = (seen + chunk)[-_XML_CHUNK:]
            parser.Parse(chunk, not chunk)
            if not chunk:
                return False
    except _Prolog as found:
        return found.doctype
    except expat.ExpatError:
        # Not well-formed before its root: the real parser reports the damage, unless a DTD hides there.
        return b"<!DOCTYPE" in seen or b"<!ENTITY" in seen


def check_xml_parts(archive: zipfile.ZipFile, filename: str) -> None:
    """Refuse a package any of whose XML parts declares a DTD (entity declarations); see the docstring."""
    for info in archive.infolist():
        if info.is_dir():
            continue
        try:
            with archive.open(info) as member:
                if not _looks_like_xml(member.read(_XML_CHUNK)):
                    continue
            with archive.open(info) as member:
                declared = _has_doctype(member)
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError) as exc:
            raise SourceError(filename, info.filename, f"文件已损坏，无法读取其中的这一部分（{exc}）。",
                              errors.CORRUPT) from None
        if declared:
            raise SourceError(
                filename, info.filename,
                "文件内部的这一部分含有 DTD 或实体声明（<!DOCTYPE …>/<!ENTITY …>）。Word、Excel 从不写出这种"
                "内容，这是利用 XML 实体的恶意文件（“十亿笑声”、XXE）的特征，已拒绝导入，其中的实体未被展开。"
                "请用 Word/Excel 打开后另存为新文件再导入。",
                errors.UNSAFE_XML)


def open_office_package(data: bytes, filename: str, *, name: str, suffix: str,
                        main_part: str) -> zipfile.ZipFile:
    """Every check a Word or Excel file passes before its parser sees it: the size, not a legacy or
    encrypted (OLE) file, a sound zip within the bomb limits, its main part present, and no DTD in
    any XML part. ``name`` is what staff call the file ("Word 文档"), ``suffix`` its extension."""
    check_size(data, filename)
    check_ole(data, filename)
    archive = open_zip(data, filename, f"{name}（{suffix}）")
    if main_part not in archive.namelist():
        raise SourceError(filename, "", f"这不是 {name}（缺少 {main_part}）。", errors.CORRUPT)
    check_xml_parts(archive, filename)
    return archive
