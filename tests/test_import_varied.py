"""Word and Excel submissions written the many ways departments write them
(``tests/fixtures/import/make_varied_submissions.py``, generated into a tmp dir): each imports as
staff expect — title, number, unit and contact out of the body, lead / points / closing, the points'
lead phrases, the chapter where the file says it — or is refused with a Chinese error naming the
file and the paragraph or row. Pure importer calls, no database."""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import pytest

from wxpub.core.importers import SourceError, import_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures" / "import"))
import make_varied_submissions as varied  # noqa: E402

# Phone numbers and e-mail addresses: none of the variants has one in its body text.
PERSONAL = re.compile(r"0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|[\w.]+@[\w.]+")
ERRORS = {"14-报送函无落款.docx", "16-两个单位.docx", "17-只有标题.docx", "x05-公式无结果.xlsx",
          "x07-缺正文.xlsx"}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return varied.write_all(tmp_path_factory.mktemp("submissions"))


@pytest.fixture(scope="module")
def load(files):
    def read(name: str, **options):
        return import_bytes(files[name].read_bytes(), name, **options)
    return read


def refused(load, name: str, **options) -> SourceError:
    with pytest.raises(SourceError) as caught:
        load(name, **options)
    assert caught.value.file == name
    return caught.value


def body_text(case) -> str:
    return "\n".join([*case.lead, *(p.text for p in case.points), *case.closing])


def leads(case) -> list[str]:
    return [p.lead for p in case.points]


# --- every variant: a clean result or a clean error ------------------------------------------------

@pytest.mark.parametrize("name", sorted(varied.ALL))
def test_every_variant_imports_cleanly_or_names_file_and_place(load, name):
    if name in ERRORS:
        error = refused(load, name)
        assert error.location and any("\u4e00" <= ch <= "\u9fff" for ch in error.message)
        return
    result = load(name)
    assert result.cases
    for case in result.cases:
        assert case.title and (case.lead or case.points)
        body = body_text(case)
        for value in case.contact.values():
            assert value not in body  # personal data never reaches the article
        if case.unit:
            assert f"报送单位：{case.unit}" not in body and f"（{case.unit}）" not in body
        for label in ("联系人", "联系电话", "报送单位", "案例名称", "所属篇章", "填报日期"):
            assert label not in body
        assert not PERSONAL.search(unicodedata.normalize("NFKC", body)), body


def test_the_set_is_big_enough():
    assert len(varied.WORD) >= 15 and len(varied.EXCEL) >= 10


# --- Word -----------------------------------------------------------------------------------------

def test_heading1_title_one_line_contact_inline_points_page_break(load):
    (case,) = load("01-标题1-一是同段.docx").cases
    assert (case.number, case.title, case.unit) == (None, "推行“一企一证”改革 实现准入准营“一次办”", "区市场监管局")
    assert case.contact == {"name": "张三", "phone": "022-12345678"}
    assert case.lead[0].startswith("为破解企业") and case.lead[1] == "主要做法如下："
    assert leads(case) == ["一是整合证照信息，", "二是优化办理流程，", "三是强化事后监管，"]
    assert case.closing == (varied.RESULT, varied.NEXT)


def test_number_before_bold_centred_title_unit_in_brackets_contact_on_two_lines(load):
    (case,) = load("02-居中加粗-括号单位.docx").cases
    assert (case.number, case.title, case.unit) == (1, "推行“一企一证”改革 实现准入准营“一次办”", "区市场监管局")
    assert case.contact == {"name": "李四", "phone": "022-87654321"}
    assert case.lead == (varied.LEAD,)
    assert leads(case) == ["一是整合证照信息，", "二是优化办理流程，", "三是强化事后监管，"]
    assert case.closing == (varied.RESULT, varied.NEXT)


def test_case_name_label_bare_unit_heading_points_and_two_row_contact_table(load):
    (case,) = load("03-案例名称-括号要点-联系人表.docx").cases
    assert (case.title, case.unit) == ("推行告知承诺制审批 项目开工再提速", "区行政审批局")
    assert case.contact == {"name": "陈刚", "phone": "022-66705678", "email": "chengang@example.cn"}
    assert leads(case) == ["（一）明确承诺事项清单", "（二）加强事中事后核查", "（三）推行容缺受理"]
    # Each heading keeps the paragraph under it, the last one too; "下一步" closes.
    assert [p.rest for p in case.points] == ["\n梳理可承诺事项86项，企业书面承诺即可先行办理。",
                                             "\n对承诺不实的依法撤销，并纳入信用记录。",
                                             "\n次要材料缺失的，先受理后补齐，不让企业跑冤枉路。"]
    assert case.closing == ("下一步，将进一步扩大告知承诺事项范围。",)


def test_word_numbering_is_put_back_in_front_of_the_points(load):
    (case,) = load("04-自动编号要点.docx").cases
    assert (case.number, case.title, case.unit) == (1, "建设“滨海政务”掌上办 服务指尖可达", "区数据局")
    assert case.contact == {"name": "赵磊", "mobile": "13800001234"}
    assert leads(case) == ["1.汇聚高频事项，", "2.推行电子证照共享，", "3.打通数据壁垒，"]
    assert case.points[0].rest == "上线300余项“掌上办”服务。"
    assert case.closing == ("平台上线以来累计办件45万件，群众满意率99.6%。",)


def test_yi_dun_title_number_and_list_style_numbering(load):
    (case,) = load("05-一、标题-列表样式.docx").cases
    assert (case.number, case.title, case.unit) == (1, "打造“15分钟政务服务圈” 让群众就近办", "区政务服务办")
    assert leads(case) == ["1.下沉服务事项。", "2.建设自助服务点。", "3.推行帮办代办。"]
    assert case.closing == ("下一步，将持续完善基层服务网络。",)


def test_metadata_in_a_header_table_with_chapter(load):
    result = load("06-表头表格.docx")
    (case,) = result.cases
    assert (case.title, case.unit, case.chapter) == ("推行“信用+监管”模式 执法有力度更有温度", "区城市管理委", "法治环境")
    assert case.contact == {"name": "孙丽", "phone": "022-25309876"}
    assert "2023年11月20日" not in body_text(case)
    assert case.lead == ("区城市管理委以信用为基础，构建分级分类监管机制。",)  # the repeated title is not body
    assert leads(case) == ["（1）建立信用档案，", "（2）差异化检查，", "（3）柔性执法，"]
    assert [c.name for c in result.chapters] == ["法治环境"]


def test_chapter_label_conflicting_with_the_chosen_chapter_names_its_paragraph(load):
    error = refused(load, "06-表头表格.docx", chapter="市场环境")
    assert error.code == "conflict" and error.location == "第2段"
    assert "法治环境" in error.message and "市场环境" in error.message


def test_whole_case_inside_a_one_cell_table(load):
    (case,) = load("07-整篇在单元格内.docx").cases
    assert (case.title, case.unit) == ("打造“无差别综合窗口” 实现“一窗通办”", "区政务服务办")
    assert case.contact == {"name": "刘芳", "phone": "022-66701234"}
    assert leads(case) == ["整合窗口资源。", "统一受理标准。", "强化人员培训。"]
    assert case.closing == ("改革后窗口平均等候时间缩短至5分钟以内。",)


def test_application_form_table(load):
    result = load("08-申报表.docx")
    (case,) = result.cases
    assert (case.title, case.unit, case.chapter) == ("多元化解商事纠纷 护航企业安心发展", "区人民法院", "法治环境")
    assert case.contact == {"name": "周强", "mobile": "13900002222"}
    assert case.lead == ("区法院联合商会、行业协会建立商事纠纷多元化解机制。",)
    assert leads(case) == ["一是设立商事调解工作室，", "二是推行“线上+线下”调解，", "三是强化诉调对接，"]
    assert "同意报送" not in body_text(case) and "案例内容" not in body_text(case)
    assert any("申报表" in w.message and "已跳过" in w.message for w in result.warnings)


def test_body_in_a_text_box_is_read_once(load):
    (case,) = load("09-文本框.docx").cases
    assert (case.title, case.unit) == ("推行“企业服务专员”制度 助企纾困解难题", "区发展改革委")
    assert case.contact == {"name": "何伟", "mobile": "13700001111"}
    assert case.lead == ("区发展改革委为重点企业配备“企业服务专员”，做到有求必应、无事不扰。",)
    assert leads(case) == ["一是建立专员名册，", "二是建立问题台账，"]  # not twice (VML fallback)
    assert case.closing == ("累计为企业解决融资、用工等问题300余个。",)


def test_tracked_changes_accepted_comments_and_footnotes_left_out_with_warnings(load):
    result = load("10-修订批注脚注.docx")
    (case,) = result.cases
    assert case.title == "推行“拿地即开工”审批模式 项目建设跑出加速度"
    assert case.lead == ("区住房建设委推行“拿地即开工”审批模式，项目从拿地到开工最快只需1天。",)
    assert [p.text for p in case.points] == ["一是提前介入服务，土地出让前即组织联合预审。",
                                             "二是并联审批，规划、施工许可同步办理。"]
    text = body_text(case)
    for gone in ("压缩一半", "依次办理", "已被删去", "再核实", "数据来源"):
        assert gone not in text
    messages = " ".join(str(w) for w in result.warnings)
    assert "脚注" in messages and "数据来源：区住房建设委2023年10月统计" in messages and "第3段" in messages
    assert "批注" in messages and "修订" in messages


def test_package_written_like_wps(load):
    (case,) = load("11-WPS保存.docx").cases
    assert (case.title, case.unit) == ("推进“证照分离”改革 激发市场主体活力", "区市场监管局")
    assert case.contact == {"name": "吴敏", "phone": "022-25201111"}  # after a soft line break
    assert leads(case) == ["（一）直接取消审批，", "（二）审批改为备案，", "（三）实行告知承诺，"]
    assert case.closing == ("改革以来，全区新增市场主体同比增长18%。",)


def test_two_unnumbered_cases_in_one_file(load):
    first, second = load("12-两个案例.docx").cases
    assert (first.title, first.unit) == ("推行“一业一证”改革 开办便利店一证准营", "区市场监管局")
    assert (second.title, second.unit) == ("建立“企业吹哨、部门报到”机制 诉求办理提速增效", "区营商环境办")
    assert first.closing == ("便利店开办时间由37个工作日压缩至5个工作日。",)
    assert leads(second) == ["一是畅通吹哨渠道，", "二是明确报到时限，"]


def test_cover_letter_is_skipped_with_a_warning_and_lends_unit_and_contact(load):
    result = load("13-报送函.docx")
    (case,) = result.cases
    assert case.title == "打造“就业驿站” 构建“15分钟就业服务圈”"
    assert case.unit == "天津市滨海新区人力资源和社会保障局"
    assert case.contact == {"name": "郑洁", "phone": "022-65301234"}
    assert leads(case) == ["第一，岗位送到家门口，", "第二，培训开到家门口，"]
    assert "函" not in body_text(case) and "特此" not in body_text(case)
    (warning,) = result.warnings
    assert "报送函" in warning.message and warning.location == "第1段至第7段"


def test_cover_letter_without_an_end_is_refused(load):
    error = refused(load, "14-报送函无落款.docx")
    assert error.code == "structure" and error.location == "第1段"
    assert "报送函" in error.message and "分页符" in error.message


def test_collection_heading_attachment_line_bare_unit_one_row_contact_table(load):
    result = load("15-附件总标题.docx")
    (case,) = result.cases
    assert (case.title, case.unit) == ("推行“交地即交证” 企业拿地即拿证", "区规划资源局")
    assert case.contact == {"name": "钱伟", "phone": "022-66302222"}  # full-width digits made plain
    assert leads(case) == ["1、前移审核关口，", "2、并联办理登记，", "3、推行上门服务，"]
    assert case.closing == ("下一步，将把“交地即交证”推广到全部工业用地。",)
    assert [w.location for w in result.warnings] == ["第2段"]


def test_second_unit_after_the_body_is_refused_not_merged(load):
    error = refused(load, "16-两个单位.docx")
    assert error.code == "structure" and error.location == "第5段"
    assert "区税务局" in error.message and "区市场监管局" in error.message and "案例标题" in error.message


def test_case_without_body_names_its_title_paragraph(load):
    error = refused(load, "17-只有标题.docx")
    assert (error.code, error.location) == ("structure", "第1段") and "没有正文" in error.message


def test_title_styles_unit_reported_in_brackets_chinese_numbering_hidden_text(load):
    (case,) = load("18-标题样式-中文编号.docx").cases
    assert (case.title, case.unit) == ("优化企业开办服务 实现企业开办“一日办结”", "区市场监管局")
    assert case.lead == ("区市场监管局持续优化企业开办服务，企业开办实现“一日办结”。",)
    assert leads(case) == ["（一）一窗通办，", "（二）全程网办，", "（三）免费刻章，"]
    assert case.closing == ("今年以来新设企业1.2万户，平均开办时间0.5个工作日。",)


def test_document_of_two_chapters(load):
    result = load("19-两个篇章.docx")
    assert [(c.chapter, c.number, c.title) for c in result.cases] == [
        ("市场环境", 1, "推行“一企一证”改革"), ("市场环境", 2, "推进“证照分离”改革"),
        ("政务环境", 1, "打造“无差别综合窗口”")]
    assert [(c.name, c.intro) for c in result.chapters] == [
        ("市场环境", ("本篇收录市场环境方面的创新做法。",)), ("政务环境", ("本篇收录政务环境方面的创新做法。",))]
    assert leads(result.cases[0]) == ["一是整合证照。", "二是优化流程。"]


def test_two_line_title_and_photos_in_a_table_with_captions(load):
    (case,) = load("20-两行标题-图片表格.docx").cases
    assert case.title == "建设“智慧停车”平台 破解停车难题"
    assert [(i.content_type, i.caption, i.after) for i in case.images] == [
        ("image/png", "图1 智慧停车平台", 2), ("image/png", "图2 智慧停车现场", 2)]
    assert case.closing == ("平台上线后，居民平均找车位时间缩短一半。",)


# --- Excel ----------------------------------------------------------------------------------------

def test_title_rows_synonyms_float_numbers_dates_and_empty_margins(load):
    result = load("x01-标题行-同义列名.xlsx")
    first, second = result.cases
    assert (first.number, first.title, first.unit, first.chapter) == (
        1, "打造“无差别综合窗口” 实现“一窗通办”", "区政务服务办", "政务环境")
    assert leads(first) == ["一是整合窗口资源，", "二是统一受理标准，"]
    assert first.closing == ("改革后平均等候时间缩短至5分钟以内。",)
    assert first.contact == {"name": "刘芳", "phone": "022-66701234"}
    assert (second.number, second.title, second.contact["phone"]) == (2, "推行告知承诺制审批 项目开工再提速", "13900001111")
    assert second.lead == ("区行政审批局推行告知承诺制审批。",)  # "\r\n" breaks too
    assert first.source.position == "工作表“汇总表”第4行"
    assert [c.name for c in result.chapters] == ["政务环境"]


def test_two_row_header_and_chapter_merged_over_its_cases(load):
    cases = load("x02-两行表头-合并篇章.xlsx").cases
    assert [(c.number, c.chapter, c.unit) for c in cases] == [
        (1, "政务环境", "区政务服务办"), (2, "政务环境", "区行政审批局"), (3, "市场环境", "区数据局")]
    assert cases[1].contact == {"name": "陈刚", "phone": "022-66705678"}
    assert cases[0].source.position == "工作表“Sheet1”第3行"
    assert leads(cases[2]) == ["（一）汇聚高频事项，", "（二）推行电子证照共享，"]


def test_one_sheet_a_chapter_notes_hidden_and_empty_sheets(load):
    result = load("x03-分篇工作表.xlsx")
    assert [(c.chapter, c.title) for c in result.cases] == [
        ("市场环境", "推行“一企一证”改革"), ("市场环境", "推进“证照分离”改革"), ("政务环境", "打造“无差别综合窗口”")]
    assert [c.unit for c in result.cases] == ["区市场监管局", "区市场监管局", "区政务服务办"]
    (warning,) = result.warnings
    assert "字典" in warning.location and "隐藏" in warning.message


def test_formula_results_are_read_totals_and_notes_skipped(load):
    cases = load("x04-公式-合计.xlsx").cases
    assert [(c.number, c.title) for c in cases] == [(1, "推行“一企一证”改革"), (2, "推进“证照分离”改革")]


def test_formula_without_saved_result_names_the_cell(load):
    error = refused(load, "x05-公式无结果.xlsx")
    assert (error.code, error.location) == ("bad_row", "工作表“案例”第3行")
    assert "B3" in error.message and "公式" in error.message and "号案例" in error.message


def test_template_rows_example_row_and_combined_contact_column(load):
    result = load("x06-模板空行-联系人及电话.xlsx")
    assert [(c.number, c.title) for c in result.cases] == [(1, "推行“一企一证”改革"), (2, "推进“证照分离”改革")]
    assert result.cases[0].contact == {"name": "王明", "mobile": "13800005678"}
    assert result.cases[1].contact == {"name": "王明", "phone": "022-25201234"}
    (warning,) = result.warnings
    assert warning.location == "工作表“案例报送表”第2行" and "示例" in warning.message


def test_row_without_body_names_sheet_and_row(load):
    error = refused(load, "x07-缺正文.xlsx")
    assert (error.code, error.location) == ("bad_row", "工作表“市场环境”第4行")
    assert "推进“证照分离”改革" in error.message and "没有正文" in error.message


def test_body_in_several_columns_and_numbered_chapter_name(load):
    (case,) = load("x08-正文分列.xlsx").cases
    assert (case.number, case.title, case.unit, case.chapter) == (1, "推行“一企一证”改革", "区市场监管局", "市场环境")
    assert case.lead == ("区市场监管局推行“一企一证”改革。",)
    assert leads(case) == ["一是整合证照信息，", "二是优化办理流程，"]
    assert case.closing == ("全区已发放综合许可证1260张。",)
    assert case.contact == {"name": "王明", "mobile": "13800005678"}


def test_body_pasted_over_several_rows_joins_its_case(load):
    result = load("x09-正文分行粘贴.xlsx")
    first, second = result.cases
    assert (first.number, first.title, first.chapter) == (1, "创新“双招双引”模式 集聚创新创业领军人才", "人文环境")
    assert first.lead == ("区委人才办创新“双招双引”模式，实现以赛聚人、以赛招商。",)  # not the title again
    assert leads(first) == ["一是全领域覆盖发布招才榜。", "二是全链条服务落地项目。"]
    assert first.closing == ("大赛共促成32个项目落地。",)
    assert second.title == "打造“文化夜市” 激发消费新活力"
    (warning,) = result.warnings
    assert warning.location == "工作表“人文环境”第3至5行" and "第2行" in warning.message


def test_a_sheet_laid_out_as_a_form_is_one_case(load):
    (case,) = load("x10-申报表.xlsx").cases
    assert (case.title, case.unit, case.chapter) == ("推行“一企一证”改革 实现准入准营“一次办”", "区市场监管局", "市场环境")
    assert case.contact == {"name": "王明", "phone": "022-25201234"}
    assert case.lead == (varied.LEAD,) and case.closing == (varied.RESULT,)
    assert leads(case) == ["一是整合证照信息，", "二是优化办理流程，", "三是强化事后监管，"]
    assert case.source.position == "工作表“申报表”第2行"


def test_same_bytes_give_the_same_hashes(files):
    for name in sorted(set(varied.ALL) - ERRORS):
        data = files[name].read_bytes()
        first = [c.content_hash for c in import_bytes(data, name).cases]
        assert first == [c.content_hash for c in import_bytes(data, "copy-" + name).cases]
