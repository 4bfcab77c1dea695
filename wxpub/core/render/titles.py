"""Titles that fit WeChat's 32 characters, installment labels, and digests that cut cleanly.

Lengths are Python ``len`` (Unicode code points), which is how WeChat counts characters; slicing
a ``str`` can never split a character.
"""

from __future__ import annotations

import re

from wxpub.core.render.model import MAX_DIGEST_CHARS, MAX_TITLE_CHARS

#: Ways to shorten a series name, tried in order and cumulatively, before any cut with "…".
#: They drop words a reader does not miss in a title ("展示", "年度" → "年", …).
SERIES_SHORTENINGS: tuple[tuple[str, str], ...] = (
    ("案例展示", "案例"),
    ("年度", "年"),
    ("优化营商环境", "营商环境"),
    ("创新实践案例", "创新案例"),
    ("滨海新区", "新区"),
)
_NUMERALS = "一二三四五六七八九"
_SEPARATORS = ("丨", "|", "｜")


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (1–99)."""
    if n < 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else _NUMERALS[tens - 1] + "十"
    return head + (_NUMERALS[ones - 1] if ones else "")


def part_labels(count: int) -> list[str]:
    """Installment labels: none for one part, （上）（下） for two, （一）（二）… beyond."""
    if count <= 1:
        return [""] * count
    if count == 2:
        return ["（上）", "（下）"]
    return [f"（{chinese_number(i)}）" for i in range(1, count + 1)]


def _format(template: str, chapter: str, series: str, part: str) -> str:
    if "{part}" in template:
        return template.format(chapter=chapter, series=series, part=part)
    title = template.format(chapter=chapter, series=series)
    if not part:
        return title
    # No {part} slot: the label goes before the first separator ("人文环境篇（上）丨…"), else last.
    for sep in _SEPARATORS:
        if sep in title:
            head, tail = title.split(sep, 1)
            return f"{head}{part}{sep}{tail}"
    return title + part


def make_title(template: str, chapter: str, series: str, part: str = "",
               limit: int = MAX_TITLE_CHARS) -> str:
    """The article title from ``template`` (fields {chapter}, {series}, optional {part}), ≤ limit.

    When too long the series part is shortened (``SERIES_SHORTENINGS``), then cut with "…";
    only as a last resort is the whole title cut.
    """
    title = _format(template, chapter, series, part)
    if len(title) <= limit:
        return title
    short = series
    for old, new in SERIES_SHORTENINGS:
        short = short.replace(old, new)
        title = _format(template, chapter, short, part)
        if len(title) <= limit:
            return title
    overflow = len(title) - limit
    if overflow < len(short):
        return _format(template, chapter, short[: len(short) - overflow - 1] + "…", part)
    title = _format(template, chapter, "", part)
    return title if len(title) <= limit else title[: limit - 1] + "…"


_SENTENCE_END = re.compile(r"[。！？!?；;]")
_SPACE = re.compile(r"\s+")


def make_digest(paragraphs: list[str] | tuple[str, ...], limit: int = MAX_DIGEST_CHARS) -> str:
    """A digest from the first paragraphs: whole if it fits, else cut after the last full
    sentence that fits (if that keeps at least a third), else cut with "…"."""
    text = _SPACE.sub("", "".join(paragraphs))
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    if ends and ends[-1] >= limit // 3:
        return text[: ends[-1]]
    return text[: limit - 1] + "…"
