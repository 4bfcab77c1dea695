"""Published chapter pages (text and HTML) through ``import_bytes``."""

from __future__ import annotations

from pathlib import Path

import pytest

from wxpub.core.importers import SourceError, import_bytes

SAMPLE = Path(__file__).parent / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"
TITLES = {
    1: "创新“双招双引”模式 集聚创新创业领军人才",
    2: "深入实施“滨城人才服务证制度”打造特色人才服务体系",
    3: "大力推动数字赋能 持续创优营商环境,滨海新区打造国家智能社会治理“滨城”样板",
    4: "多措并举促进重大创新平台成果产业",
    5: "实施国家公共就业服务能力提升示范项目 促进新区营商环境不断优化",
}
CHROME = ("当前位置", "发布日期", "来源:", "字号", "扫一扫", "checktaskdate", "&", "=",
          "政府网站", "重点链接", "政务服务办公室")


@pytest.fixture(scope="module")
def sample_bytes() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture(scope="module")
def sample(sample_bytes):
    return import_bytes(sample_bytes, SAMPLE.name)


def all_text(case) -> list[str]:
    return [case.title, *case.lead, *(p.text for p in case.points), *case.closing]


def test_sample_page_has_exactly_five_numbered_cases(sample):
    assert {c.number: c.title for c in sample.cases} == TITLES


def test_sample_page_chapter_series_and_intro(sample):
    assert sample.series_title == "2023年度滨海新区优化营商环境创新实践案例展示"
    (chapter,) = sample.chapters
    assert (chapter.name, chapter.order) == ("人文环境", 4)
    assert len(chapter.intro) == 2
    assert chapter.intro[0].startswith("为全面展示滨海新区在深化“放管服”改革")
    assert chapter.intro[1].endswith("评选出优秀案例进行表彰。")
    assert all(c.chapter == "人文环境" for c in sample.cases)
    assert all(c.series == sample.series_title for c in sample.cases)


def test_no_site_chrome_or_debris_in_any_paragraph(sample):
    texts = [t for c in sample.cases for t in all_text(c)] + list(sample.chapters[0].intro)
    for text in texts:
        for chrome in CHROME:
            assert chrome not in text, (chrome, text[:40])
        assert text == text.strip() and "\xa0" not in text and "  " not in text


def test_points_of_case_01_keep_the_page_punctuation(sample):
    case = sample.cases[0]
    # The page uses ASCII "," after the lead phrases; the importer keeps the text as published.
    assert [p.lead for p in case.points] == [
        "一是全领域覆盖发布招才榜,", "二是邀请大咖专家组成伯乐团,", "三是全周期优化政策包,"]
    assert case.points[0].rest.startswith("广聚天下才。本次大赛")
    assert case.lead == (case.lead[0],) and case.lead[0].startswith("滨海新区区委人才办创新")
    assert case.closing == ()


def test_full_stop_leads_and_closing_paragraph(sample):
    assert [p.lead for p in sample.cases[2].points][0] == "一是数字基础设施稳步提升。"
    last = sample.cases[4]
    assert len(last.closing) == 1 and last.closing[0].startswith("经过一年多的实践")
    # "1-11月" inside the closing paragraph did not start a case.
    assert "1-11月,新区实现城镇新增就业9.2万人" in last.closing[0]


def test_sources_name_the_heading_lines(sample):
    assert [c.source.position for c in sample.cases] == ["第14行", "第24行", "第34行", "第44行", "第54行"]
    assert sample.cases[0].source.file == SAMPLE.name


def test_bom_gbk_gb18030_and_crlf_variants_give_the_same_cases(sample, sample_bytes):
    text = sample_bytes.decode("utf-8")
    gbk_safe = text.replace("\xa0", " ").replace("•", "·")
    variants = [
        b"\xef\xbb\xbf" + sample_bytes,
        text.encode("gb18030"),
        gbk_safe.encode("gbk"),
        text.replace("\n", "\r\n").encode("utf-8"),
        text.encode("utf-16"),  # with BOM, as Notepad's "Unicode"
    ]
    for data in variants:
        result = import_bytes(data, "page.txt")
        assert [c.content_hash for c in result.cases] == [c.content_hash for c in sample.cases]


def test_same_bytes_same_hashes(sample_bytes):
    first = import_bytes(sample_bytes, "a.txt")
    second = import_bytes(sample_bytes, "b.txt")
    assert [c.content_hash for c in first.cases] == [c.content_hash for c in second.cases]
    assert len({c.content_hash for c in first.cases}) == 5


def test_damaged_utf8_names_line_and_byte(sample_bytes):
    offset = sample_bytes.index("一是全领域".encode())
    damaged = sample_bytes[:offset] + b"\xff" + sample_bytes[offset:]
    with pytest.raises(SourceError) as caught:
        import_bytes(damaged, "page.txt")
    assert caught.value.code == "encoding"
    assert caught.value.location == f"第18行，第{offset}字节"
    assert "UTF-8" in caught.value.message


def test_undecodable_gbk_is_an_error_not_mojibake():
    data = "人文环境篇丨示例系列\n\n01标题一\n\n正文。".encode("gbk") + b"\xff\xff"
    with pytest.raises(SourceError) as caught:
        import_bytes(data, "page.txt")
    assert caught.value.code == "encoding" and caught.value.location.startswith("第5行")


def page(*lines: str) -> bytes:
    return "\n\n".join(["市场环境篇丨测试系列", *lines]).encode()


def test_digit_paragraphs_are_not_headings():
    result = import_bytes(page(
        "01第一个案例 副标题",
        "2023年,新区完成改造。",
        "5G基站累计达到13564个。",
        "1-11月,新增就业9.2万人。",
        "10条重点产业链全部建立链长制",  # short, no full stop, but far out of sequence
        "12345热线全年受理诉求",
        "10.5万人次参加培训",
        "02第二个案例",
        "正文。",
    ), "p.txt")
    assert [(c.number, c.title) for c in result.cases] == [(1, "第一个案例 副标题"), (2, "第二个案例")]
    assert len(result.cases[0].lead) == 6


def test_heading_variants_and_whitespace_are_normalised():
    result = import_bytes(page(
        "\u3000\u300001\u3000推行“一件事”\u3000\u3000集成办理",
        "正文一。",
        "02、第二案例\t副题",
        "正文二。",
        "03.第三案例",
        "正文三。",
    ), "p.txt")
    assert [c.title for c in result.cases] == ["推行“一件事” 集成办理", "第二案例 副题", "第三案例"]


def test_sentences_and_long_lines_are_not_headings():
    result = import_bytes(page(
        "01真正的案例",
        "02年以来，这是一个句子。",
        "03" + "很长" * 40,
        "正文。",
    ), "p.txt")
    assert len(result.cases) == 1 and len(result.cases[0].lead) == 3


def test_a_page_may_start_at_a_later_number():
    result = import_bytes(page("06第六个案例", "正文。", "07第七个案例", "正文。"), "p.txt")
    assert [c.number for c in result.cases] == [6, 7]


def test_a_gap_in_the_numbering_is_an_error_with_line():
    with pytest.raises(SourceError) as caught:
        import_bytes(page("01第一个案例", "正文。", "03第三个案例", "正文。"), "p.txt")
    assert caught.value.location == "第7行" and "漏了案例02" in caught.value.message


def test_chapter_given_and_found_must_agree():
    with pytest.raises(SourceError) as caught:
        import_bytes(page("01案例", "正文。"), "p.txt", chapter="人文环境")
    assert caught.value.code == "conflict"
    result = import_bytes(page("01案例", "正文。"), "p.txt", chapter="市场环境篇", series="别名系列")
    assert result.cases[0].chapter == "市场环境" and result.cases[0].series == "别名系列"
    assert result.series_title == "测试系列"


def test_page_without_cases_is_an_error():
    with pytest.raises(SourceError) as caught:
        import_bytes("人文环境篇丨系列\n\n只有一段话。".encode(), "p.txt")
    assert caught.value.code == "no_cases" and caught.value.file == "p.txt"


def test_html_page_gives_the_same_cases_as_the_text(sample):
    paragraphs = SAMPLE.read_text(encoding="utf-8").split("\n")
    body = "".join(f"<p>{line.strip()}</p>\n" for line in paragraphs[9:65] if line.strip())
    html = f"""<!DOCTYPE html><html><head><meta charset="gb2312"><title>人文环境篇丨2023年度滨海新区优化营商环境创新实践案例展示</title>
    <script>var checktaskdate = 1;</script><style>p{{}}</style></head><body>
    <div class="header">天津市滨海新区人民政府政务服务办公室</div>
    <div class="nav"><a href="/">首页</a> <a href="/x">新闻中心</a></div>
    <div class="crumb">当前位置: <a>首页</a>&gt;<a>新闻中心</a></div>
    <h1>人文环境篇丨2023年度滨海新区优化营商环境创新实践案例展示</h1>
    <div class="info">发布日期: 2024-02-04 08:47&nbsp;&nbsp;来源: 区政务服务办 字号:<a>大</a><a>小</a></div>
    <div class="TRS_Editor">{body}<p>checktaskdate=&amp;unchecktaskdate=&amp;ssbm=&amp;x=1</p></div>
    <div class="footer"><ul><li>全国各省市政府网站</li><li>重点链接</li></ul>
    <p>版权所有：天津市滨海新区人民政府 津ICP备00000000号</p></div></body></html>"""
    result = import_bytes(html.encode("gb18030"), "page.html")
    assert result.chapters[0].intro == sample.chapters[0].intro
    assert [c.content_hash for c in result.cases] == [c.content_hash for c in sample.cases]
    assert result.cases[0].source.position.endswith("段")


def test_html_inline_markup_does_not_split_paragraphs():
    html = ("<html><body><h1>政务环境篇丨测试系列</h1><div>"
            "<p>01<span>案例</span>标题</p><p>导语<b>加粗</b>继续。</p>"
            "<p><strong>一是做法一，</strong>内容。</p><p>二是做法二，内容。</p></div></body></html>")
    (case,) = import_bytes(html.encode(), "p.htm").cases
    assert case.title == "案例标题" and case.lead == ("导语加粗继续。",)
    assert [p.lead for p in case.points] == ["一是做法一，", "二是做法二，"]
