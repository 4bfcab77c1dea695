"""Checks that run before any parser sees the bytes: size, emptiness, archive bombs, OLE files.

Limits (documented in ``articles/README.md`` too):

* ``MAX_FILE_BYTES`` (20 MB): no source file of the office comes near it; a bigger one is refused.
* ``MAX_UNPACKED_BYTES`` (200 MB): the sum of the uncompressed sizes a .docx/.xlsx declares.
* ``MAX_RATIO`` (100): uncompressed / compressed size, per member of at least 1 MB unpacked and for the
  whole archive. Office XML compresses about 5–20×; 100× and more is a zip bomb.
* ``MAX_MEMBERS`` (5,000): members of the archive.

The checks read only the zip's central directory, never a member's data. Python's ``zipfile`` stops
reading a member at its declared size and verifies the CRC, so a member cannot inflate past what was
declared and checked here.
"""

from __future__ import annotations

import io
import zipfile

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
