"""Word (.docx) case files, generated with python-docx inside the tests."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.shared import Inches
from PIL import Image as PILImage

from wxpub.core.importers import SourceError, import_bytes


def png_bytes(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 3), color).save(buffer, "PNG")
    return buffer.getvalue()


def save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bold_lead(document, lead: str, rest: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(lead).bold = True
    paragraph.add_run(rest)


def single_case_document():
    document = Document()
    document.add_heading("推行“一企一证” 准入准营一次办", level=1)
    document.add_paragraph("报送单位：区市场监管局")
    document.add_paragraph("联系人：张三 电话：022-12345678 邮箱：zs@example.cn")
    document.add_paragraph("为破解企业准入不准营难题，区市场监管局推行“一企一证”改革。")
    bold_lead(document, "一是整合证照信息", "，把多张许可证整合为一张综合许可证。")
    document.add_paragraph().add_run().add_picture(io.BytesIO(png_bytes()), width=Inches(1))
    document.add_paragraph("图1 一企一证流程")
    bold_lead(document, "二是优化办理流程，", "实行一表申请。")
    document.add_paragraph("三是强化事后监管。建立信用监管机制。")
    document.add_paragraph("改革以来，企业办事时间压缩80%。")
    table = document.add_table(rows=1, cols=4)
    for cell, value in zip(table.rows[0].cells, ["联系人", "李四", "手机", "13800000000"]):
        cell.text = value
    return document


def test_single_case_with_unit_contact_bold_leads_and_image():
    (case,) = import_bytes(save(single_case_document()), "一企一证.docx").cases
    assert case.title == "推行“一企一证” 准入准营一次办"
    assert case.number is None and case.unit == "区市场监管局"
    assert case.contact == {"name": "张三", "phone": "022-12345678", "email": "zs@example.cn",
                            "mobile": "13800000000"}
    assert case.lead == ("为破解企业准入不准营难题，区市场监管局推行“一企一证”改革。",)
    # The bold phrase is the lead even where the punctuation rule would cut elsewhere.
    assert [p.lead for p in case.points] == ["一是整合证照信息", "二是优化办理流程，", "三是强化事后监管。"]
    assert case.points[0].rest == "，把多张许可证整合为一张综合许可证。"
    assert case.closing == ("改革以来，企业办事时间压缩80%。",)
    (image,) = case.images
    assert image.content_type == "image/png" and image.data == png_bytes()
    assert image.after == 1 and image.caption == "图1 一企一证流程"
    assert case.source.position == "第1段"


def test_contact_and_unit_never_reach_the_body():
    (case,) = import_bytes(save(single_case_document()), "a.docx").cases
    body = " ".join([*case.lead, *(p.text for p in case.points), *case.closing])
    for secret in ("张三", "022-12345678", "13800000000", "zs@example.cn", "报送单位"):
        assert secret not in body


def test_several_numbered_cases_with_chapter_line_and_intro():
    document = Document()
    document.add_paragraph("法治环境篇丨2023年度滨海新区优化营商环境创新实践案例展示")
    document.add_paragraph("本篇展示法治环境方面的做法。")
    document.add_paragraph("01推行包容审慎监管 执法有温度")
    document.add_paragraph("报送单位：区司法局")
    document.add_paragraph("导语。")
    document.add_paragraph("一是制定清单，统一尺度。二是教育为先，督促整改。三是加强监督，防止一免了之。")
    document.add_paragraph("02多元化解商事纠纷")
    document.add_paragraph("联系人：王五 手机：13900000000")
    document.add_paragraph("2023年，法院联合调解组织开展诉前调解。")
    result = import_bytes(save(document), "fazhi.docx")
    assert [(c.number, c.title, c.unit) for c in result.cases] == [
        (1, "推行包容审慎监管 执法有温度", "区司法局"), (2, "多元化解商事纠纷", "")]
    first, second = result.cases
    assert [p.lead for p in first.points] == ["一是制定清单，", "二是教育为先，", "三是加强监督，"]
    assert second.contact == {"name": "王五", "mobile": "13900000000"}
    assert second.lead == ("2023年，法院联合调解组织开展诉前调解。",)
    (chapter,) = result.chapters
    assert (chapter.name, chapter.intro, chapter.order) == ("法治环境", ("本篇展示法治环境方面的做法。",), 3)
    assert all(c.chapter == "法治环境" and c.series.startswith("2023年度") for c in result.cases)


def test_several_cases_under_heading_styles():
    document = Document()
    document.add_heading("第一个案例", level=1)
    document.add_paragraph("正文一。")
    document.add_heading("一、主要做法", level=2)
    document.add_paragraph("一是做法，内容。")
    document.add_heading("第二个案例", level=1)
    document.add_paragraph("正文二。")
    result = import_bytes(save(document), "two.docx", chapter="政务环境")
    assert [c.title for c in result.cases] == ["第一个案例", "第二个案例"]
    assert result.cases[0].lead == ("正文一。", "一、主要做法")
    assert result.cases[1].chapter == "政务环境"


def test_section_headings_do_not_split_a_single_case():
    document = Document()
    document.add_paragraph("打造“15分钟政务服务圈”")
    document.add_heading("一、基本情况", level=1)
    document.add_paragraph("基本情况。")
    document.add_heading("二、主要做法", level=1)
    document.add_paragraph("一是下沉事项。居民就近办理。")
    (case,) = import_bytes(save(document), "one.docx").cases
    assert case.title == "打造“15分钟政务服务圈”"
    assert [p.lead for p in case.points] == ["一是下沉事项。"]


def test_same_docx_bytes_same_hash():
    data = save(single_case_document())
    assert import_bytes(data, "a.docx").cases[0].content_hash == \
        import_bytes(data, "b.docx").cases[0].content_hash


def test_docx_without_text_is_an_error():
    with pytest.raises(SourceError) as caught:
        import_bytes(save(Document()), "blank.docx")
    assert caught.value.code == "empty" and caught.value.file == "blank.docx"


def test_case_without_body_names_its_paragraph():
    document = Document()
    document.add_paragraph("01第一个案例")
    document.add_paragraph("正文。")
    document.add_paragraph("02第二个案例")
    document.add_paragraph("报送单位：某局")
    with pytest.raises(SourceError) as caught:
        import_bytes(save(document), "x.docx")
    assert caught.value.location == "第3段" and "第二个案例" in caught.value.message
