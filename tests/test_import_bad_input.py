"""Every class of bad input ends in a SourceError with file, location and a Chinese message."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from wxpub.core.importers import MAX_FILE_BYTES, SourceError, detect_format, import_bytes

CONTENT_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"></Types>')


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def declare_unpacked_size(data: bytes, size: int) -> bytes:
    """Rewrite every central-directory entry to claim ``size`` uncompressed bytes."""
    out = bytearray(data)
    position = out.find(b"PK\x01\x02")
    while position != -1:
        struct.pack_into("<I", out, position + 24, size)
        position = out.find(b"PK\x01\x02", position + 4)
    return bytes(out)


def expect(data: bytes, filename: str, code: str) -> SourceError:
    with pytest.raises(SourceError) as caught:
        import_bytes(data, filename)
    error = caught.value
    assert error.code == code and error.file == filename
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message)
    assert filename in str(error)
    return error


@pytest.mark.parametrize("filename", ["a.txt", "a.docx", "a.xlsx", "a.md", "a.html"])
def test_empty_and_blank_files(filename):
    expect(b"", filename, "empty")
    expect(b" \r\n\t ", filename, "empty")


def test_oversized_file():
    error = expect(b"a" * (MAX_FILE_BYTES + 1), "big.txt", "too_large")
    assert "20 MB" in error.message


def test_encrypted_ooxml_is_reported_as_password_protected():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100
    assert "密码" in expect(ole, "加密.docx", "encrypted").message
    expect(ole, "加密.xlsx", "encrypted")


def test_legacy_doc_is_reported_as_old_format():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "WordDocument".encode("utf-16-le")
    assert ".doc" in expect(ole, "旧.doc", "legacy_format").message


@pytest.mark.parametrize("filename", ["bad.docx", "bad.xlsx"])
def test_truncated_zip_is_corrupt(filename):
    from docx import Document
    buffer = io.BytesIO()
    Document().save(buffer)
    expect(buffer.getvalue()[:400], filename, "corrupt")


def test_zip_that_is_not_office_is_unsupported():
    expect(zip_bytes({"readme.txt": b"hello"}), "a.docx", "unsupported")


def test_docx_with_broken_document_xml_is_corrupt():
    data = zip_bytes({"[Content_Types].xml": CONTENT_TYPES.encode(), "word/document.xml": b"<not xml"})
    expect(data, "a.docx", "corrupt")


def test_xlsx_with_broken_workbook_is_corrupt():
    data = zip_bytes({"[Content_Types].xml": CONTENT_TYPES.encode(), "xl/workbook.xml": b"<not xml"})
    expect(data, "a.xlsx", "corrupt")


def test_high_compression_ratio_is_refused_before_extraction():
    data = zip_bytes({"[Content_Types].xml": CONTENT_TYPES.encode(),
                      "word/document.xml": b"<w:document/>" + b" " * (3 * 1024 * 1024)})
    error = expect(data, "bomb.docx", "archive_bomb")
    assert error.location == "word/document.xml" and "压缩比" in error.message


def test_declared_unpacked_size_over_limit_is_refused():
    data = zip_bytes({"[Content_Types].xml": CONTENT_TYPES.encode(), "xl/workbook.xml": b"<x/>"})
    error = expect(declare_unpacked_size(data, 150 * 1024 * 1024), "bomb.xlsx", "archive_bomb")
    assert "200 MB" in error.message


@pytest.mark.parametrize("data,kind", [
    (b"%PDF-1.7\n...", "PDF"), (b"\x89PNG\r\n\x1a\n....", "PNG"), (b"Rar!\x1a\x07\x00", "RAR"),
])
def test_other_binary_formats_are_unsupported(data, kind):
    assert kind in expect(data, "x.bin", "unsupported").message


def test_error_is_picklable_and_readable():
    import pickle
    error = SourceError("a.xlsx", "工作表“案例”第5行", "这一行有内容但没有标题。", "bad_row")
    again = pickle.loads(pickle.dumps(error))
    assert (again.file, again.location, again.code) == ("a.xlsx", "工作表“案例”第5行", "bad_row")
    assert str(again) == "a.xlsx（工作表“案例”第5行）：这一行有内容但没有标题。"


@pytest.mark.parametrize("data,filename,kind", [
    (b"---\ntitle: x\n---\n", "case", "markdown"),
    (b"<!DOCTYPE html><html></html>", "page", "html"),
    ("人文环境篇丨x".encode(), "page.txt", "text"),
    (b"\xef\xbb\xbf<html><body></body></html>", "page.txt", "html"),
])
def test_format_detection_by_content(data, filename, kind):
    assert detect_format(data, filename) == kind
