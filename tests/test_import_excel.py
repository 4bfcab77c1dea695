"""Excel (.xlsx) case lists, generated with openpyxl inside the tests."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from wxpub.core.importers import SourceError, import_bytes

BODY = "导语段落。\n一是做法一，内容。\r\n二是做法二，内容。\n\n结尾段落。"


def workbook_bytes(rows, title="案例汇总", extra_sheets=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for name, sheet_rows in extra_sheets:
        other = workbook.create_sheet(name)
        for row in sheet_rows:
            other.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_synonyms_header_offset_blank_rows_and_paragraphs():
    data = workbook_bytes([
        ["2023年滨海新区优化营商环境创新实践案例汇总表"],
        [],
        ["编号", "案例名称", "所属篇章", "申报单位", "案例正文", "联系人", "联系电话"],
        [1, "推行“一企一证” 准入准营一次办", "市场环境篇", "区市场监管局", BODY, "张三", "022-1234"],
        [None, None, None, None, None, None, None],
        ["02", "多元化解商事纠纷", "法治环境", "区法院", "只有一段。", None, None],
    ])
    result = import_bytes(data, "汇总.xlsx")
    first, second = result.cases
    assert (first.number, first.title, first.chapter, first.unit) == (
        1, "推行“一企一证” 准入准营一次办", "市场环境", "区市场监管局")
    assert first.lead == ("导语段落。",) and first.closing == ("结尾段落。",)
    assert [p.lead for p in first.points] == ["一是做法一，", "二是做法二，"]
    assert first.contact == {"name": "张三", "phone": "022-1234"}
    assert first.source.position == "工作表“案例汇总”第4行"
    assert (second.number, second.chapter, second.source.position) == (2, "法治环境", "工作表“案例汇总”第6行")
    assert [c.name for c in result.chapters] == ["市场环境", "法治环境"]


@pytest.mark.parametrize("number,title,chapter,unit,body", [
    ("序号", "标题", "篇章", "单位", "正文"),
    ("编号", "案例标题", "章节", "报送单位", "内容"),
    ("序号", "案例名称", "类别", "申报单位", "案例正文"),
])
def test_header_synonyms(number, title, chapter, unit, body):
    data = workbook_bytes([[number, f"{title}（必填）", chapter, unit, f"*{body}"],
                           [3, "标题", "人文环境", "某局", "正文。"]])
    (case,) = import_bytes(data, "x.xlsx").cases
    assert (case.number, case.title, case.chapter, case.unit, case.lead) == (3, "标题", "人文环境", "某局", ("正文。",))


def test_sheet_named_after_a_chapter_gives_the_chapter():
    data = workbook_bytes([["标题", "正文"], ["案例", "正文。"]], title="政务环境")
    assert import_bytes(data, "x.xlsx").cases[0].chapter == "政务环境"


def test_missing_required_column_names_sheet_and_columns_found():
    data = workbook_bytes([["说明行"], ["序号", "标题", "单位"], [1, "案例", "某局"]], title="第一批")
    with pytest.raises(SourceError) as caught:
        import_bytes(data, "x.xlsx")
    error = caught.value
    assert error.code == "missing_columns" and error.location == "工作表“第一批”第2行（表头）"
    assert "正文" in error.message and "序号、标题、单位" in error.message


def test_no_header_anywhere_lists_what_was_found():
    data = workbook_bytes([["名字", "文字"], ["a", "b"]], title="Sheet1")
    with pytest.raises(SourceError) as caught:
        import_bytes(data, "x.xlsx")
    assert caught.value.code == "missing_columns" and "工作表“Sheet1”：名字、文字" in caught.value.message


def test_notes_sheet_is_skipped_when_another_sheet_has_cases():
    data = workbook_bytes([["填报说明：每行一个案例"]], title="说明",
                          extra_sheets=[("案例", [["标题", "正文"], ["案例", "正文。"]])])
    assert [c.title for c in import_bytes(data, "x.xlsx").cases] == ["案例"]


@pytest.mark.parametrize("row,message", [
    ([1, None, "正文。"], "没有标题"),
    ([1, "标题", None], "没有正文"),
    (["一", "标题", "正文。"], "不是数字"),
])
def test_bad_row_names_the_row(row, message):
    data = workbook_bytes([["序号", "标题", "正文"], [1, "好案例", "正文。"], row])
    with pytest.raises(SourceError) as caught:
        import_bytes(data, "x.xlsx")
    assert caught.value.code == "bad_row" and caught.value.location == "工作表“案例汇总”第3行"
    assert message in caught.value.message


def test_row_chapter_conflicting_with_given_chapter_names_the_row():
    data = workbook_bytes([["标题", "篇章", "正文"], ["案例", "人文环境", "正文。"]])
    with pytest.raises(SourceError) as caught:
        import_bytes(data, "x.xlsx", chapter="市场环境")
    assert caught.value.code == "conflict" and caught.value.location == "工作表“案例汇总”第2行"


def test_header_only_is_no_cases():
    with pytest.raises(SourceError) as caught:
        import_bytes(workbook_bytes([["标题", "正文"]]), "x.xlsx")
    assert caught.value.code == "no_cases"


def test_same_xlsx_bytes_same_hashes():
    data = workbook_bytes([["标题", "正文"], ["案例", BODY]])
    assert import_bytes(data, "a.xlsx").cases[0].content_hash == import_bytes(data, "b.xlsx").cases[0].content_hash


def test_title_pasted_with_its_number_gives_the_number():
    data = workbook_bytes([["标题", "正文"], ["01创新“双招双引”模式 集聚创新创业领军人才", "正文。"]])
    (case,) = import_bytes(data, "x.xlsx").cases
    assert (case.number, case.title) == (1, "创新“双招双引”模式 集聚创新创业领军人才")
