"""The house structure of a case body: lead paragraphs, numbered points, closing paragraphs.

Every importer hands this module a case's paragraphs in order; it returns ``lead``, ``points`` and
``closing`` for ``Case``:

* a point starts with a marker: "一是"…"十九是", "第一，"… or "（一）"…; the first marker family used
  in a case wins, so "一是" sentences inside "（一）" sections stay inside their section;
* "一是……。二是……。三是……。" written as one paragraph (or after "主要做法如下：") is split at each
  marker that follows a sentence end, provided the markers run in order;
* a case without markers whose paragraphs open with a bold phrase (Word, Markdown ``**…**``) uses
  those paragraphs as points, with the bold phrase as lead;
* a non-point paragraph between two points continues the earlier point: it is appended to that
  point's ``rest`` after a line break ("\\n");
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
MARKERS = {
    "shi": re.compile(rf"^({_NUM})是"),
    "di": re.compile(rf"^第({_NUM})[，,、：:]"),
    "paren": re.compile(rf"^[（(]({_NUM})[）)]"),
}
_OPENERS, _CLOSERS = "“‘《（(【〔「『[", "”’》）)】〕」』]"


@dataclass(frozen=True)
class Para:
    """One source paragraph; ``bold_prefix`` is the bold phrase it opens with, if any."""

    text: str
    bold_prefix: str = ""


@dataclass(frozen=True)
class Body:
    """A structured case body and, per input paragraph, the block index it landed in."""

    lead: tuple[str, ...]
    points: tuple[Point, ...]
    closing: tuple[str, ...]
    block_of: tuple[int, ...]


def marker_family(text: str) -> str | None:
    """The marker family ("shi", "di", "paren") ``text`` starts with, or None."""
    for family, pattern in MARKERS.items():
        if pattern.match(text):
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


def _split_inline_points(text: str) -> list[str]:
    """Split "…：一是……。二是……。三是……。" into its parts; unchanged unless 一是 and 二是 both occur."""
    start = 0 if text.startswith("一是") else None
    if start is None:
        found = re.search(r"(?<=[：:。；;])\s*一是", text)
        if not found:
            return [text]
        start = found.start() + (len(found.group()) - len(found.group().lstrip()))
    cuts = [start] if start > 0 else []
    position = start
    for numeral in _NUMERALS[1:]:
        found = re.compile(rf"(?<=[。；;])\s*{numeral}是").search(text, position + 1)
        if not found:
            break
        cut = found.start() + (len(found.group()) - len(found.group().lstrip()))
        cuts.append(cut)
        position = cut
    if len(cuts) < (2 if start > 0 else 1):
        return [text]
    bounds = [0, *cuts, len(text)]
    return [text[a:b].strip() for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


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
        elif i < point_positions[-1]:
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


def _make_point(block: Para, family: str | None) -> Point:
    bold = block.bold_prefix
    if bold and block.text.startswith(bold) and len(bold) < len(block.text):
        return Point(bold, block.text[len(bold):])
    skip = 0
    if family == "di":
        skip = MARKERS["di"].match(block.text).end()
    return split_lead(block.text, skip)
