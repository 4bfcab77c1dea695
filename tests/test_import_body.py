"""The house body structure (lead, points, closing), through Markdown cases."""

from __future__ import annotations

from wxpub.core.importers import import_bytes


def body_of(text: str):
    (case,) = import_bytes(f"---\ntitle: 标题\n---\n\n{text}\n".encode(), "x.md").cases
    return case


def test_inline_points_are_split_at_each_marker():
    case = body_of("主要做法如下：一是强化引领，内容。二是优化流程；内容。三是加强监管。内容。")
    assert case.lead == ("主要做法如下：",)
    assert [p.text for p in case.points] == ["一是强化引领，内容。", "二是优化流程；内容。", "三是加强监管。内容。"]


def test_single_marker_word_inside_a_sentence_is_not_split():
    case = body_of("统一是基础，二是后话。")
    assert case.lead == ("统一是基础，二是后话。",) and case.points == ()


def test_lead_phrase_skips_quotes_brackets_and_digit_commas():
    case = body_of("一是推行“一网通办，一次办成”模式，内容。\n\n二是新增1,000家企业。其他。\n\n"
                   "三是开展《关于优化营商环境的若干措施（试行，2023）》宣讲：内容。")
    assert [p.lead for p in case.points] == [
        "一是推行“一网通办，一次办成”模式，", "二是新增1,000家企业。",
        "三是开展《关于优化营商环境的若干措施（试行，2023）》宣讲：",
    ]


def test_point_without_separator_is_all_lead():
    case = body_of("一是强化引领")
    assert case.points[0].lead == "一是强化引领" and case.points[0].rest == ""


def test_di_yi_and_paren_markers():
    di = body_of("第一，强化引领，内容。\n\n第二，优化流程。内容。")
    assert [p.lead for p in di.points] == ["第一，强化引领，", "第二，优化流程。"]
    paren = body_of("（一）强化政策引领。内容，一是细节。\n\n（二）优化服务流程")
    assert [p.lead for p in paren.points] == ["（一）强化政策引领。", "（二）优化服务流程"]


def test_ten_and_beyond():
    text = "\n\n".join(f"{n}是做法，内容。" for n in
                       ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一"])
    assert len(body_of(text).points) == 11


def test_paragraph_between_points_continues_the_earlier_point():
    case = body_of("导语。\n\n一是做法，内容。\n\n补充说明。\n\n二是做法，内容。\n\n结尾一。\n\n结尾二。")
    assert case.points[0].rest == "内容。\n补充说明。"
    assert case.closing == ("结尾一。", "结尾二。")


def test_bold_led_paragraphs_are_points_when_there_are_no_markers():
    case = body_of("导语。\n\n**强化政策引领。**内容。\n\n**优化服务流程，**内容。\n\n结尾。")
    assert [p.lead for p in case.points] == ["强化政策引领。", "优化服务流程，"]
    assert case.lead == ("导语。",) and case.closing == ("结尾。",)


def test_lead_plus_rest_is_always_the_paragraph():
    case = body_of("一是做法，内容。\n\n**二是加粗**，内容。")
    assert [p.text for p in case.points] == ["一是做法，内容。", "二是加粗，内容。"]
