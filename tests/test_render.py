"""Rendering a chapter: structure, escaping, links, images, themes, determinism, covers."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from html.parser import HTMLParser

import pytest
from PIL import Image as PILImage

from wxpub.core.content import CaseContent, ChapterContent, Image, Point
from wxpub.core.render import (RenderFooter, ThemeError, get_theme, list_themes, render_chapter,
                          substitute_images)
from wxpub.core.render.samples import CHAPTER, SERIES, sample_case, sample_chapter
from wxpub.core.render.titles import make_digest

FOOTER = RenderFooter(source="区政务服务办", editors=("王编辑", "赵编辑"))


class _Texts(HTMLParser):
    """Collects the text of every <p> and every <strong>, and all hrefs / img srcs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.strong: list[str] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.hrefs.append(attrs["href"])
        if tag == "img":
            self.srcs.append(attrs.get("src", ""))
            return
        if tag == "p":
            self.paragraphs.append("")
        if tag == "strong":
            self.strong.append("")
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data):
        if "p" in self._stack:
            self.paragraphs[-1] += data
        if "strong" in self._stack:
            self.strong[-1] += data


def parse(html: str) -> _Texts:
    parser = _Texts()
    parser.feed(html)
    return parser


def all_html(message) -> str:
    return "".join(a.html for a in message.articles)


def png_bytes(colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (40, 20), colour).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def message():
    return render_chapter(sample_chapter(), author="新政服", footer=FOOTER)


def test_single_article_title_follows_the_template():
    msg = render_chapter(sample_chapter(3))
    assert len(msg.articles) == 1
    assert msg.articles[0].title == "人文环境篇丨2023年度滨海新区优化营商环境创新实践案例展示"


def test_every_paragraph_is_in_the_output_and_leads_are_bold(message):
    parsed = parse(all_html(message))
    chapter = sample_chapter()
    for text in chapter.intro:
        assert text in parsed.paragraphs
    for case in chapter.cases:
        for text in [*case.lead, *case.closing]:
            assert text in parsed.paragraphs, text[:20]
        for point in case.points:
            assert point.text in parsed.paragraphs, point.lead
            assert point.lead in parsed.strong
    assert "报送单位：区委人才办" in parsed.paragraphs
    assert "来源：区政务服务办" in parsed.paragraphs
    assert "编辑：王编辑、赵编辑" in parsed.paragraphs


def test_case_heading_has_badge_and_title(message):
    parsed = parse(all_html(message))
    assert "01创新“双招双引”模式 集聚创新创业领军人才" in parsed.paragraphs
    assert "10推进“体育+”融合发展 激发城市活力与人才吸引力" in parsed.paragraphs


def test_html_is_wechat_safe(message):
    html = all_html(message)
    for forbidden in ("<script", "<style", "class=", "id=", "<div", "<link"):
        assert forbidden not in html
    assert 'style="' in html  # the theme was inlined


def test_two_renders_are_byte_identical():
    first = render_chapter(sample_chapter(), author="新政服", footer=FOOTER)
    second = render_chapter(sample_chapter(), author="新政服", footer=FOOTER)
    assert [a.html for a in first.articles] == [a.html for a in second.articles]
    assert [a.cover.data for a in first.articles] == [a.cover.data for a in second.articles]
    assert first.sha256 == second.sha256


def test_hashes_bind_html_and_metadata(message):
    for article in message.articles:
        data = article.html.encode("utf-8")
        assert article.sha256 == hashlib.sha256(data).hexdigest()
        assert (article.chars, article.bytes) == (len(article.html), len(data))
    other_author = render_chapter(sample_chapter(), author="区政务服务办", footer=FOOTER)
    assert other_author.articles[0].sha256 == message.articles[0].sha256
    assert other_author.sha256 != message.sha256
    chapter = sample_chapter()
    edited = dataclasses.replace(chapter, intro=(chapter.intro[0] + "新增一句。",) + chapter.intro[1:])
    assert render_chapter(edited, author="新政服", footer=FOOTER).articles[0].sha256 \
        != message.articles[0].sha256


def test_digest_comes_from_the_introduction_and_fits(message):
    digest = message.articles[0].digest
    assert len(digest) <= 128
    assert digest.startswith("为全面展示滨海新区")
    assert digest.endswith("。")


def test_digest_without_sentence_end_is_cut_with_ellipsis():
    digest = make_digest(["很长的句子没有句号" * 30])
    assert len(digest) == 128 and digest.endswith("…")
    assert make_digest(["短摘要。"]) == "短摘要。"


def hostile_chapter() -> ChapterContent:
    case = CaseContent(
        series=SERIES, chapter=CHAPTER, number=1, title="<script>alert('t')</script>标题",
        unit='<b onmouseover="x()">单位</b>',
        lead=('<img src="https://evil.example/x.png" onerror="alert(1)">导语',
              "<style>p{display:none}</style>伪造样式"),
        points=(Point("一是<em>加粗</em>，", '正文[点我](javascript:alert(1))和<a href="https://evil.example">链接</a>。'),),
        closing=('<p class="x" id="y" style="position:fixed">结尾</p>',))
    return ChapterContent(series=SERIES, name=CHAPTER, intro=("导言。",), cases=(case,))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_hostile_case_text_shows_as_text_and_injects_nothing():
    msg = render_chapter(hostile_chapter())
    html = all_html(msg)
    tags = _Tags()
    tags.feed(html)
    assert tags.tags <= {"section", "p", "span", "strong"}
    assert tags.attributes == {"style"}
    for forbidden in ("<script", "<style", "<img", "<a ", "<b ", "<em>", "<p class"):
        assert forbidden not in html
    parsed = parse(html)
    text = "".join(parsed.paragraphs)
    assert "<script>alert('t')</script>标题" in text
    assert "<style>p{display:none}</style>伪造样式" in parsed.paragraphs
    assert "一是<em>加粗</em>，" in parsed.strong
    assert '<p class="x" id="y" style="position:fixed">结尾</p>' in parsed.paragraphs
    assert "[点我](javascript:alert(1))" in text
    # The URL inside the fake <img> markup is treated like any external link: a footnote.
    assert '<img src="[1]" onerror="alert(1)">导语' in parsed.paragraphs


def test_external_links_become_footnotes_and_wechat_links_stay():
    case = dataclasses.replace(
        sample_case(sample_chapter().cases[0].content_dict() | {"points": []}),
        lead=("详见https://www.tj.gov.cn/zwgk/a.html。另见[政策原文](https://www.gov.cn/b.html)，"
              "以及[往期文章](https://mp.weixin.qq.com/s/AbCdEf)。再看https://www.tj.gov.cn/zwgk/a.html。",),
        points=(), closing=())
    chapter = ChapterContent(series=SERIES, name=CHAPTER, intro=(), cases=(case,))
    article = render_chapter(chapter).articles[0]
    parsed = parse(article.html)
    assert parsed.hrefs == ["https://mp.weixin.qq.com/s/AbCdEf"]
    assert "参考链接" in parsed.paragraphs
    assert "[1] https://www.tj.gov.cn/zwgk/a.html" in parsed.paragraphs
    assert "[2] https://www.gov.cn/b.html" in parsed.paragraphs
    body = parsed.paragraphs[2]
    assert body == "详见[1]。另见政策原文[2]，以及往期文章。再看[1]。"


def test_images_use_placeholders_and_are_listed():
    data = png_bytes()
    image = Image("图1.png", data, "image/png", caption="活动现场", after=0)
    base = sample_chapter(1)
    case = dataclasses.replace(base.cases[0], images=(image,))
    msg = render_chapter(dataclasses.replace(base, cases=(case,)))
    article = msg.articles[0]
    sha = hashlib.sha256(data).hexdigest()
    assert [r.sha256 for r in article.image_refs] == [sha]
    assert msg.images[sha].data == data
    parsed = parse(article.html)
    assert parsed.srcs == [f"wxpub-image:{sha}"]
    # The image follows the first body paragraph, its caption right after it.
    lead_at = parsed.paragraphs.index(case.lead[0])
    assert parsed.paragraphs[lead_at + 2] == "活动现场"
    url = "http://mmbiz.qpic.cn/mmbiz_png/abc/0?wx_fmt=png"
    final = substitute_images(article.html, {sha: url})
    assert parse(final).srcs == [url] and "wxpub-image:" not in final
    with pytest.raises(KeyError):
        substitute_images(article.html, {})


def test_themes_are_data_and_change_only_the_look():
    assert {"政务红", "简约蓝"} <= set(list_themes())
    red = render_chapter(sample_chapter(2), theme="政务红").articles[0]
    blue = render_chapter(sample_chapter(2), theme="简约蓝").articles[0]
    assert red.html != blue.html
    assert parse(red.html).paragraphs == parse(blue.html).paragraphs
    assert "#1565c0" in blue.html and "#1565c0" not in red.html


def test_unknown_theme_gives_a_chinese_error():
    with pytest.raises(ThemeError, match="未知主题“荧光绿”.*政务红"):
        get_theme("荧光绿")


def test_generated_cover_is_a_small_deterministic_jpeg(message):
    cover = message.articles[0].cover
    assert cover.generated and cover.content_type == "image/jpeg"
    assert cover.data[:3] == b"\xff\xd8\xff" and len(cover.data) <= 64 * 1024
    with PILImage.open(io.BytesIO(cover.data)) as img:
        assert img.size == (900, 383)


def test_cover_without_cjk_font_does_not_crash(tmp_path):
    msg = render_chapter(sample_chapter(1), font_path=tmp_path / "missing.ttc")
    cover = msg.articles[0].cover
    assert cover.data[:3] == b"\xff\xd8\xff" and len(cover.data) <= 64 * 1024


def test_series_image_is_used_as_cover():
    image = Image("封面.png", png_bytes((10, 20, 200)), "image/png")
    cover = render_chapter(sample_chapter(1), cover_image=image).articles[0].cover
    assert cover.data == image.data and not cover.generated
    assert (cover.width, cover.height) == (40, 20)


def test_theme_file_missing_a_variable_names_it(tmp_path):
    from wxpub.core.render.themes import _load_file

    path = tmp_path / "broken.yaml"
    path.write_text("name: 坏主题\nvars:\n  font_size: 15px\n", encoding="utf-8")
    with pytest.raises(ThemeError, match="broken.yaml 的 vars 缺少变量"):
        _load_file(path)
