"""Published chapter pages (text copied from the website, or its HTML) to cases.

The page holds site chrome around the article: the site name, "当前位置", "发布日期/来源" lines,
"字号", "扫一扫", query-string debris from the CMS and footer link lists. The article itself is the
chapter title ("人文环境篇丨2023年度…展示"), introduction paragraphs and numbered cases (see
``headings``). Lines before the chapter title are chrome; chrome lines after it are dropped; a footer
line after the first case ends the article.
"""

from __future__ import annotations

import re
from typing import Callable

from wxpub.core.content import STANDARD_CHAPTERS, ChapterInfo, ImportResult

from wxpub.core.importers import errors
from wxpub.core.importers.assemble import RawCase, build_case, resolve_chapter
from wxpub.core.importers.body import Para
from wxpub.core.importers.decoding import clean_line
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.headings import find_case_headings, heading_shape, parse_chapter_title

_CHROME = [re.compile(p) for p in (
    r"^当前位置",
    r"^您(现在)?的位置",
    r"^(发布|发表|更新)(日期|时间)\s*[:：]",
    r"^(信息)?来源\s*[:：]",
    r"^(作者|编辑|浏览次数|访问量|阅读(量|次数)|点击(数|率|量))\s*[:：]",
    r"^(索引号|发文机关|主题分类|成文日期|发布机构|文号|发文字号)\s*[:：]",
    r"^【?\s*字号",
    r"^【?\s*字体\s*[:：]",
    r"扫一扫",
    r"^【?\s*(打印|关闭|打印本页|关闭窗口|收藏|分享到?)\s*】?\s*[:：]?$",
    r"^[•·\-\s]*$",
    r"^(首页|上一篇|下一篇)\s*[:：>]",
    # CMS debris: two or more key=value pairs joined by "&".
    r"(?:[A-Za-z_][\w.]*=[^&]*&){2,}",
)]
# A line that ends the article: footer link lists, copyright, editor credits.
_FOOTER = [re.compile(p) for p in (
    r"^(全国各省市政府网站|天津市各区政府网站|滨海新区政府系统网站|重点链接|相关链接|友情链接)$",
    r"^(网站地图|联系我们|版权所有|主办单位|承办单位|技术支持|网站标识码|责任编辑)",
    r"ICP备|公网安备",
)]
# The name of the website in the page header ("天津市滨海新区人民政府政务服务办公室").
_SITE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,30}(人民政府|政府网|门户网站)[\u4e00-\u9fff]{0,12}$")


def _is_chrome(line: str) -> bool:
    return any(p.search(line) for p in _CHROME) or bool(_SITE_NAME.match(line))


def _is_footer(line: str) -> bool:
    return any(p.search(line) for p in _FOOTER)


def chapter_order(chapter: str) -> int | None:
    """1–4 for the standard chapters, None for others."""
    return STANDARD_CHAPTERS.index(chapter) + 1 if chapter in STANDARD_CHAPTERS else None


def parse_page(lines: list[str], filename: str, *, series: str | None, chapter: str | None,
               locate: Callable[[int], str] = lambda i: f"第{i + 1}行") -> ImportResult:
    """Parse the lines of a published chapter page; ``locate`` names a line index for messages."""
    cleaned = [clean_line(line) for line in lines]
    title_at, found_chapter, found_series = None, "", ""
    for index, line in enumerate(cleaned):
        parsed = parse_chapter_title(line)
        if parsed:
            title_at, (found_chapter, found_series) = index, parsed
            break

    kept: list[tuple[int, str]] = []  # (source line index, text) of article paragraphs
    start = title_at + 1 if title_at is not None else 0
    seen_heading = False
    for index in range(start, len(cleaned)):
        line = cleaned[index]
        if not line or _is_chrome(line):
            continue
        if _is_footer(line):
            if seen_heading:
                break
            continue
        kept.append((index, line))
        seen_heading = seen_heading or heading_shape(line) is not None

    texts = [text for _, text in kept]
    headings = find_case_headings(texts, filename, locate=lambda i: locate(kept[i][0]))
    if not headings:
        raise SourceError(
            filename, "",
            "没有找到编号的案例标题（应为独占一行的两位编号加标题，如“01创新……”）。",
            errors.NO_CASES)

    chapter_name = resolve_chapter(found_chapter, chapter,
                                   filename, locate(title_at) if title_at is not None else "")
    series_name = series or found_series
    intro = tuple(texts[:headings[0].index])
    cases = []
    for pos, heading in enumerate(headings):
        end = headings[pos + 1].index if pos + 1 < len(headings) else len(texts)
        raw = RawCase(title=heading.title, number=heading.number,
                      position=locate(kept[heading.index][0]),
                      paras=[Para(text) for text in texts[heading.index + 1:end]])
        cases.append(build_case(raw, series=series_name, chapter=chapter_name, filename=filename))
    chapters = (ChapterInfo(series=series_name, name=chapter_name, intro=intro,
                            order=chapter_order(chapter_name)),)
    return ImportResult(cases=tuple(cases), chapters=chapters, series_title=found_series or series_name)
