"""Checks on rendered articles: limits, HTML, structure, lexicon words and personal data."""

from __future__ import annotations

import dataclasses

import pytest

from wxpub.core.content import ChapterContent, Image, Point
from wxpub.core.lint import Location, lint_article, lint_message
from wxpub.core.render import RenderFooter, render_chapter
from wxpub.core.render.samples import sample_chapter


def rules(findings) -> set[str]:
    return {f.rule for f in findings}


def blocking(findings):
    return [f for f in findings if f.severity == "blocking"]


def chapter_with(**changes) -> ChapterContent:
    """The first two sample cases, with case 01 changed."""
    base = sample_chapter(2)
    first = dataclasses.replace(base.cases[0], **changes)
    return dataclasses.replace(base, cases=(first,) + base.cases[1:])


_BASE = render_chapter(sample_chapter(2), author="新政服").articles[0]


def article(**changes):
    """A rendered sample article with some fields replaced."""
    return dataclasses.replace(_BASE, **changes)


def test_clean_sample_chapter_has_no_blocking_finding():
    chapter = sample_chapter()
    text = "".join(p.text for c in chapter.cases for p in c.points)
    assert "2023年" in text and "13564个" in text  # the ordinary numbers are really there
    msg = render_chapter(chapter, author="新政服",
                         footer=RenderFooter(source="区政务服务办", editors=("王编辑",)))
    assert blocking(lint_message(msg)) == []


@pytest.mark.parametrize("changes, rule", [
    ({"title": "标" * 33}, "limit.title"),
    ({"title": " "}, "limit.title_empty"),
    ({"digest": "摘" * 129}, "limit.digest"),
    ({"author": "作" * 17}, "limit.author"),
    ({"html": "<p>" + "字" * 20_000 + "</p>"}, "limit.body_chars"),
    ({"html": ""}, "limit.body_empty"),
])
def test_limit_rules(changes, rule):
    found = lint_article(article(**changes))
    assert rule in rules(blocking(found))


def test_limits_at_the_boundary_pass():
    ok = article(title="标" * 32, digest="摘" * 128, author="作" * 16)
    assert not rules(lint_article(ok)) & {"limit.title", "limit.digest", "limit.author"}


def test_body_bytes_limit():
    big = article(html="<p>" + "a" * 1_000_000 + "</p>")
    assert "limit.body_bytes" in rules(lint_article(big))


def test_more_than_eight_articles_is_blocking():
    msg = render_chapter(sample_chapter(1))
    nine = dataclasses.replace(msg, articles=tuple(
        dataclasses.replace(msg.articles[0], index=i) for i in range(9)))
    assert "limit.article_count" in rules(lint_message(nine))
    assert "limit.article_count" not in rules(lint_message(msg))


@pytest.mark.parametrize("html, rule", [
    ('<p class="x">正文</p>', "html.forbidden_attribute"),
    ('<p id="x">正文</p>', "html.forbidden_attribute"),
    ('<img src="http://mmbiz.qpic.cn/a/0" onerror="alert(1)">', "html.forbidden_attribute"),
    ("<script>alert(1)</script>", "html.forbidden_tag"),
    ("<style>p{color:red}</style>", "html.forbidden_tag"),
    ("<iframe src='https://v.qq.com'></iframe>", "html.forbidden_tag"),
    ('<img src="https://example.com/a.png">', "html.external_image"),
    ('<a href="https://www.example.com/">链接</a>', "html.external_link"),
    ('<a href="javascript:alert(1)">链接</a>', "html.external_link"),
])
def test_html_rules_flag_what_wechat_drops(html, rule):
    found = lint_article(article(html=f"<section>{html}</section>"))
    assert rule in rules(blocking(found))


@pytest.mark.parametrize("html", [
    '<img src="http://mmbiz.qpic.cn/mmbiz_png/abc/0?wx_fmt=png" style="max-width:100%">',
    '<img src="wxpub-image:' + "a" * 64 + '">',
    '<a href="https://mp.weixin.qq.com/s/AbCdEf">往期</a>',
    '<table><tbody><tr><td colspan="2" style="border:1px solid #ccc">单元格</td></tr></tbody></table>',
])
def test_html_rules_accept_what_wechat_keeps(html):
    found = lint_article(article(html=f"<section><p>正文</p>{html}</section>"))
    assert not {r for r in rules(found) if r.startswith("html.")}


def test_rendered_html_passes_the_html_rules():
    msg = render_chapter(sample_chapter())
    assert not {r for r in rules(lint_message(msg)) if r.startswith("html.")}


def test_empty_and_duplicate_sections():
    base = sample_chapter(3)
    empty = dataclasses.replace(base.cases[1], lead=(), points=(), closing=())
    dup = dataclasses.replace(base.cases[2], title=base.cases[0].title)
    msg = render_chapter(dataclasses.replace(base, cases=(base.cases[0], empty, dup)))
    found = lint_message(msg)
    empty_hits = [f for f in found if f.rule == "structure.empty_section"]
    assert [f.location.case for f in empty_hits] == [2]
    dup_hits = [f for f in found if f.rule == "structure.duplicate_section"]
    assert [f.location.case for f in dup_hits] == [3]


def test_numbering_gap_and_duplicate_numbers():
    base = sample_chapter(4)
    gap = dataclasses.replace(base, cases=(base.cases[0], base.cases[1], base.cases[3]))
    found = [f for f in lint_message(render_chapter(gap)) if f.rule == "structure.numbering_gap"]
    assert len(found) == 1 and "02 之后是 04" in found[0].message
    twice = dataclasses.replace(base, cases=(base.cases[0],
                                             dataclasses.replace(base.cases[1], number=1)))
    assert "structure.duplicate_number" in rules(lint_message(render_chapter(twice)))
    assert not rules(lint_message(render_chapter(base))) & {
        "structure.numbering_gap", "structure.duplicate_number"}


def test_numbering_is_checked_across_articles():
    msg = render_chapter(sample_chapter())
    assert "structure.numbering_gap" not in rules(lint_message(msg))
    second = msg.articles[1]
    renumbered = dataclasses.replace(second, sections=tuple(
        dataclasses.replace(s, number=s.number + 1) for s in second.sections))
    broken = dataclasses.replace(msg, articles=(msg.articles[0], renumbered))
    gaps = [f for f in lint_message(broken) if f.rule == "structure.numbering_gap"]
    assert [f.location.case for f in gaps] == [7]


@pytest.mark.parametrize("text, rule, severity", [
    ("中华人民共合国成立以来", "lexicon.wording", "blocking"),
    ("经攻府常务会议研究", "lexicon.wording", "blocking"),
    ("中共中央中央关于", "lexicon.wording", "blocking"),
    ("秘密★1年", "lexicon.secret", "blocking"),
    ("本文件为绝密文件", "lexicon.secret", "blocking"),
    ("机密 ★", "lexicon.secret", "blocking"),
    ("该资料属于机密", "lexicon.secret", "warning"),
    ("五星★评价", "lexicon.secret", "warning"),
    ("所谓中华民国", "lexicon.sensitive", "blocking"),
])
def test_lexicon_rules_positive(text, rule, severity):
    msg = render_chapter(chapter_with(lead=(f"背景：{text}。",)))
    hits = [f for f in lint_message(msg) if f.rule == rule]
    assert hits and hits[0].severity == severity
    assert hits[0].location == Location(0, 1, 1)


def test_wording_error_names_the_right_form():
    msg = render_chapter(chapter_with(title="中华人民共合国成立"))
    hit = next(f for f in lint_message(msg) if f.rule == "lexicon.wording")
    assert "中华人民共和国" in hit.message and hit.location.paragraph == 0


@pytest.mark.parametrize("text", [
    "加强商业秘密保护，依法保守国家秘密",
    "中华人民共和国成立以来",
    "2023年累计新建改造5G基站3209个，全区5G基站累计达到13564个",
    "坐标0.1945，增长75.5%",
])
def test_lexicon_rules_negative(text):
    msg = render_chapter(chapter_with(lead=(text,)))
    # the sample's own points use half-width commas ("punct.halfwidth" warnings): not at issue here
    case_findings = [f for f in lint_message(msg)
                     if f.location.case == 1 and f.rule != "punct.halfwidth"]
    assert case_findings == []


def test_secret_marker_reported_once_as_blocking():
    msg = render_chapter(chapter_with(lead=("秘密★1年",)))
    hits = [f for f in lint_message(msg) if f.location.case == 1 and f.rule != "punct.halfwidth"]
    assert {f.severity for f in hits} == {"blocking"}


@pytest.mark.parametrize("raw, rule, masked", [
    ("11010519491231002X", "personal.id_card", "1101**********002X"),
    ("13812345678", "personal.mobile", "138****5678"),
    ("6217000123456789019", "personal.bank_card", "6217***********9019"),
])
def test_personal_data_is_blocking_and_masked(raw, rule, masked):
    point = Point("一是加强服务，", f"联系方式{raw}，请勿外传。")
    msg = render_chapter(chapter_with(points=(point,)))
    hits = [f for f in lint_message(msg) if f.rule == rule]
    assert len(hits) == 1
    hit = hits[0]
    assert hit.severity == "blocking" and hit.text == masked
    assert hit.location == Location(0, 1, 2)  # case 01, its second body paragraph
    assert raw not in hit.message and raw not in hit.text


def test_personal_data_in_footer_and_title_is_found():
    msg = render_chapter(sample_chapter(1), author="新政服",
                         footer=RenderFooter(source="区政务服务办", editors=("王编辑13812345678",)))
    hits = [f for f in lint_message(msg) if f.rule == "personal.mobile"]
    assert hits and hits[0].location.case is None


def test_unsupported_image_format_is_blocking():
    image = Image("图.webp", b"RIFF0000WEBPVP8 ", "image/webp")
    msg = render_chapter(chapter_with(images=(image,)))
    assert "image.format" in rules(blocking(lint_message(msg)))


def test_location_describes_itself_in_chinese():
    assert Location(0, 3, 2).describe() == "第1篇 · 案例03 · 第2段"
    assert Location(1, field="title").describe() == "第2篇 · 标题"
    assert Location(field="message").describe() == "整条消息"
