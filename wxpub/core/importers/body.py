"""The house structure of a case body: lead paragraphs, numbered points, closing paragraphs.

Every importer hands this module a case's paragraphs in order; it returns ``lead``, ``points`` and
``closing`` for ``Case``:

* a point starts with a marker: "一是"…"十九是", "第一，"…, "（一）"…, "一、"… (not a section heading
  such as "一、基本情况", see ``is_section_heading``), "1."/"1、"…, "（1）"… or "①"…; the first marker
  family used in a case wins, so "一是" sentences inside "（一）" sections stay inside their section;
* "一是……。二是……。三是……。" written as one paragraph (or after "主要做法如下：") is split at each
  marker that follows a sentence end, provided the markers run in order (also "（一）……（二）……",
  "1.……2.……" and "（1）……（2）……");
* a case without markers whose paragraphs open with a bold phrase (Word, Markdown ``**…**``) uses
  those paragraphs as points, with the bold phrase as lead;
* a non-point paragraph between two points continues the earlier point: it is appended to that
  point's ``rest`` after a line break ("\\n"); when the points are short headings ("（一）明确承诺事项清单"
  with the text in the next paragraph), the last one keeps the paragraphs after it up to a closing
  paragraph ("下一步，…", "今后…", a section heading), or as many as the point before it had;
* a point's lead is the bold phrase the author marked, or else the text up to and including the first
  separator of ``POINT_LEAD_SEPARATORS`` outside quotes and brackets (an ASCII "," or ":" between two
  digits, as in "1,000", is not a separator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wxpub.core.content import POINT_LEAD_SEPARATORS, Point

_NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
             "十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九"]
_NUM = "|".join(sorted(_NUMERALS, key=len, reverse=True))
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
MARKERS = {
    "shi": re.compile(rf"^({_NUM})是"),
    "di": re.compile(rf"^第({_NUM})[，,、：:]"),
    "paren": re.compile(rf"^[（(]({_NUM})[）)]"),
    "dun": re.compile(rf"^({_NUM})、"),
    "num": re.compile(r"^(\d{1,2})\s*[.．、](?!\d)"),
    "pnum": re.compile(r"^[（(](\d{1,2})[）)]"),
    "circle": re.compile(rf"^([{_CIRCLED}])"),
}
# The marker of point n (1-based) of a family, for splitting one paragraph holding several points.
_INLINE = {
    "shi": lambda n: f"{_NUMERALS[n - 1]}是",
    "paren": lambda n: f"[（(]{_NUMERALS[n - 1]}[）)]",
    "pnum": lambda n: f"[（(]{n}[）)]",
    "num": lambda n: rf"{n}[.．、](?!\d)",
    "circle": lambda n: _CIRCLED[n - 1],
}
_OPENERS, _CLOSERS = "“‘《（(【〔「『[", "”’》）)】〕」』]"
_SECTION_WORDS = ("情况", "做法", "成效", "经验", "启示", "背景", "问题", "打算", "下一步", "举措", "亮点",
                  "成果", "效果", "思路", "简介", "概况", "价值", "创新点", "主要内容", "意义", "措施")
_SECTION_PREFIX = re.compile(rf"^(?:(?:{_NUM})、|[（(](?:{_NUM})[）)]|\d{{1,2}}[.．、])?\s*")
_CLOSING = re.compile(r"^(下一步|下步|下一阶段|下阶段|今后|接下来|未来|总之|总的来看)")
_SENTENCE_END = re.compile(r"[。！？；;!?]")


@dataclass(frozen=True)
class Para:
    """One source paragraph; ``bold_prefix`` is the bold phrase it opens with, if any; ``location``
    where it is in the source (for messages), if the importer knows."""

    text: str
    bold_prefix: str = ""
    location: str = ""


@dataclass(frozen=True)
class Body:
    """A structured case body and, per input paragraph, the block index it landed in."""

    lead: tuple[str, ...]
    points: tuple[Point, ...]
    closing: tuple[str, ...]
    block_of: tuple[int, ...]


def is_section_heading(text: str) -> bool:
    """Whether ``text`` is a section heading of a case ("一、基本情况", "主要做法", "三、取得成效")."""
    rest = _SECTION_PREFIX.sub("", text, count=1).strip(" ：:")
    return 0 < len(rest) <= 12 and not _SENTENCE_END.search(rest) and any(w in rest for w in _SECTION_WORDS)


def marker_family(text: str) -> str | None:
    """The marker family ("shi", "di", "paren", "dun", "num", "pnum", "circle") ``text`` starts
    with, or None."""
    for family, pattern in MARKERS.items():
        if pattern.match(text):
            if family == "dun" and is_section_heading(text):
                return None
            return family
    return None


def split_lead(text: str, skip: int = 0) -> Point:
    """Split a point into its lead phrase and the rest (see the module docstring)."""
    depth = 0
    for pos in range(skip, len(text)):
        ch = text[pos]
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(depth - 1, 0)
        elif depth == 0 and ch in POINT_LEAD_SEPARATORS:
            if ch in ",:" and 0 < pos < len(text) - 1 and text[pos - 1].isdigit() \
                    and text[pos + 1].isdigit():
                continue
            return Point(text[:pos + 1], text[pos + 1:])
    return Point(text, "")


def _split_family(text: str, marker) -> list[str] | None:
    """Split ``text`` at the markers 1, 2, 3 … of one family (see ``_split_inline_points``)."""
    first = re.compile(marker(1))
    if first.match(text):
        start = 0
    else:
        found = re.compile(rf"(?<=[：:。；;])\s*{marker(1)}").search(text)
        if not found:
            return None
        start = found.start() + (len(found.group()) - len(found.group().lstrip()))
    cuts = [start] if start > 0 else []
    position = start
    for n in range(2, 20):
        found = re.compile(rf"(?<=[。；;])\s*{marker(n)}").search(text, position + 1)
        if not found:
            break
        cut = found.start() + (len(found.group()) - len(found.group().lstrip()))
        cuts.append(cut)
        position = cut
    if len(cuts) < (2 if start > 0 else 1):
        return None
    bounds = [0, *cuts, len(text)]
    return [text[a:b].strip() for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def _split_inline_points(text: str) -> list[str]:
    """Split "…：一是……。二是……。三是……。" (or "（一）……（二）……", "1.……2.……") into its parts;
    unchanged unless the first two markers of one family both occur."""
    for marker in _INLINE.values():
        parts = _split_family(text, marker)
        if parts:
            return parts
    return [text]


def _is_heading_point(text: str) -> bool:
    """A point written as a short heading, its text in the paragraphs under it."""
    return len(text) <= 40 and not _SENTENCE_END.search(text)


def structure(paras: list[Para]) -> Body:
    """Structure a case's paragraphs into lead, points and closing (see the module docstring)."""
    blocks: list[Para] = []
    origin: list[int] = []
    for index, para in enumerate(paras):
        parts = _split_inline_points(para.text)
        for part_no, part in enumerate(parts):
            bold = para.bold_prefix if part_no == 0 else ""
            blocks.append(Para(part, bold))
            origin.append(index)

    family = next((f for f in map(marker_family, (b.text for b in blocks)) if f), None)
    if family:
        is_point = [marker_family(b.text) == family for b in blocks]
    else:
        bold_led = [bool(b.bold_prefix) and len(b.bold_prefix) < len(b.text) for b in blocks]
        is_point = bold_led if sum(bold_led) >= 2 else [False] * len(blocks)

    point_positions = [i for i, flag in enumerate(is_point) if flag]
    body_end = _points_end(blocks, point_positions)
    lead: list[str] = []
    points: list[Point] = []
    closing: list[str] = []
    block_index: list[int] = []
    for i, block in enumerate(blocks):
        if not point_positions or i < point_positions[0]:
            lead.append(block.text)
            block_index.append(len(lead) - 1)
        elif is_point[i]:
            points.append(_make_point(block, family))
            block_index.append(len(lead) + len(points) - 1)
        elif i < body_end:
            last = points[-1]
            points[-1] = Point(last.lead, f"{last.rest}\n{block.text}")
            block_index.append(len(lead) + len(points) - 1)
        else:
            closing.append(block.text)
            block_index.append(len(lead) + len(points) + len(closing) - 1)

    block_of = [0] * len(paras)
    for i, src in enumerate(origin):
        block_of[src] = block_index[i]  # the last block a paragraph produced
    return Body(tuple(lead), tuple(points), tuple(closing), tuple(block_of))


def _points_end(blocks: list[Para], positions: list[int]) -> int:
    """The index of the first closing block: right after the last point, unless that point is a
    short heading whose text follows it (see the module docstring)."""
    if not positions:
        return 0
    last = positions[-1]
    headings = all(_is_heading_point(blocks[i].text) for i in positions[-2:])
    if not headings or last + 1 >= len(blocks):
        return last + 1
    for i in range(last + 1, len(blocks)):
        text = blocks[i].text
        if _CLOSING.match(text) or is_section_heading(text):
            return i
    before = positions[-1] - positions[-2] - 1 if len(positions) > 1 else 1
    return last + 1 + max(before, 1)


def _make_point(block: Para, family: str | None) -> Point:
    bold = block.bold_prefix
    if bold and block.text.startswith(bold) and len(bold) < len(block.text):
        return Point(bold, block.text[len(bold):])
    skip = 0
    if family == "di":
        skip = MARKERS["di"].match(block.text).end()
    return split_lead(block.text, skip)
