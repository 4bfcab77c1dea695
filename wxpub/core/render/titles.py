"""Titles that fit WeChat's 32 characters, installment labels, and digests that cut cleanly.

Lengths are Python ``len`` (Unicode code points), which is how WeChat counts characters; slicing
a ``str`` can never split a character.

A title template (``--title-template``, a plan's ``title_template``, the options stored with a
message) is staff input: it may use only the plain fields ``TITLE_FIELDS`` — ``{chapter}``,
``{series}`` and ``{part}`` (the installment label). Format specs (``{chapter:>20000000}``),
conversions (``{chapter!r}``), attribute or index access (``{chapter.__class__}``) and unknown names
are refused by ``template_problem``/``check_template`` wherever a template enters, and ``make_title``
fills the fields itself, never through ``str.format``.
"""

from __future__ import annotations

import re
import string

from wxpub.core.errors import ValidationError
from wxpub.core.render.model import MAX_DIGEST_CHARS, MAX_TITLE_CHARS

#: The fields a title template may use.
TITLE_FIELDS = ("chapter", "series", "part")


class TitleTemplateError(ValidationError):
    """A title template that uses anything but the plain fields; the message names the bad piece."""

    code = "title_template"


def template_problem(template: str, fields: tuple[str, ...] = TITLE_FIELDS) -> str | None:
    """What is wrong with ``template`` (a Chinese sentence naming the bad piece), or None."""
    allowed = "、".join(f"{{{f}}}" for f in fields)
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return (f"标题模板“{template[:100]}”的花括号不成对（要在标题里写花括号本身，请写成 {{{{ 和 }}}}）；"
                f"可用的占位符：{allowed}")
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        piece = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        piece = piece if len(piece) <= 60 else piece[:57] + "…"
        if not name:
            return f"标题模板里的“{piece}”没有写占位符的名字；可用的占位符：{allowed}"
        if conversion or spec:
            return f"标题模板里的“{piece}”带有格式说明（“!”或“:”之后的部分），不允许；只能写 {allowed}"
        if "." in name or "[" in name:
            return f"标题模板里的“{piece}”取了属性或下标，不允许；只能写 {allowed}"
        if name not in fields:
            return f"标题模板里的占位符“{piece}”未知；可用的占位符：{allowed}"
    return None


def check_template(template: str, fields: tuple[str, ...] = TITLE_FIELDS) -> str:
    """``template`` itself when it is valid; ``TitleTemplateError`` otherwise."""
    problem = template_problem(template, fields)
    if problem:
        raise TitleTemplateError(problem)
    return template


def fill_template(template: str, **values: str) -> str:
    """``template`` with its fields replaced by ``values`` (checked first: only those names)."""
    check_template(template, tuple(values))
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(str(values[name]))
    return "".join(out)

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
        return fill_template(template, chapter=chapter, series=series, part=part)
    title = fill_template(template, chapter=chapter, series=series, part="")
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
    only as a last resort is the whole title cut. A template with anything else in braces is a
    ``TitleTemplateError`` (a template stored by an older version is checked here too).
    """
    check_template(template)
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
