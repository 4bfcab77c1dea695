"""Where the cases of a Word submission start, what their titles are, and what comes before them.

Departments mark a case title in many ways; the first rule that finds titles wins:

1. numbered case headings "01……", "02……" in sequence (``headings.find_case_headings``);
2. explicit titles: "案例名称：……" (also as a table row) or "案例1：……" / "案例一 ……";
3. a first title numbered "一、……" or "1.……", with its followers "二、……" formatted the same way
   (without that the "一、" lines are sections or points of one case);
4. the top level of Word heading styles (Title, Heading 1, outline levels), except headings that are
   section labels ("一、基本情况", "主要做法"), points ("一是……") or label lines;
5. bold, centred short paragraphs (the usual way of typing a title by hand);
6. short lines directly followed by a unit line ("报送单位：…", "（区市场监管局）"), when there are two
   or more of them (two cases pasted into one file);
7. else the first short paragraph without a full stop.

A title may carry its number ("01", "一、", "案例1："), its unit ("……（区市场监管局）"), a second line
("——构建……", or a second bold centred line) and be followed by the unit alone on a line; all are
taken apart (``shape_title``). The collection's own heading above the title ("2023年度优化营商环境
创新实践案例") is skipped with a warning.

A cover letter before the case ("关于报送……的函", then its addressee, text, signature and date) is
skipped with a warning when its end is clear (the date line, an "附件" line or a page break); its
signature and contact lines are kept as the case's unit and contact if the case names none. A letter
whose end cannot be found is an error: guessing would put the letter into the case or cut the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wxpub.core.content import SourceWarning

from wxpub.core.importers import errors
from wxpub.core.importers.body import Para, is_section_heading, marker_family
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.headings import (MAX_TITLE_CHARS, find_case_headings, is_collection_heading,
                                           numbered_title)
from wxpub.core.importers.labels import looks_like_unit, parse_label_line
from wxpub.core.importers.wordread import Block

ATTACHMENT = re.compile(r"^附件\s*\d*\s*[:：]?$")
_ATTACHMENT_LINE = re.compile(r"^附件\s*\d*\s*([:：]|$)")
CAPTION = re.compile(r"^图\s*\d*\s*[:：.、\s]")
_NOT_TITLE_END = re.compile(r"[。！？；;!?]")
_LETTER = re.compile(r"关于.{0,60}(报送|上报|推荐|申报|提交|呈报|报请).{0,60}的(函|报告|请示|说明)$")
_DATE = re.compile(r"^(\d{4}|[〇○零一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日$")
_SUBTITLE = re.compile(r"^(?:——|—|--|－－|─)\s*(.+)$")
_UNIT_IN_TITLE = re.compile(r"\s*[（(]([^（）()]{2,40})[）)]$")


@dataclass
class Start:
    """A case's title: the block it starts at, and what the title blocks say."""

    index: int
    title: str
    number: int | None = None
    skip: int = 1  # blocks that are the title (0: a label line "案例名称：…", kept for its other labels)
    unit: str = ""


@dataclass
class Letter:
    """What a skipped cover letter leaves for the case: its signature unit and contact labels."""

    unit: str = ""
    labels: list[Para] = field(default_factory=list)


def titleish(text: str) -> bool:
    """Whether ``text`` can be a case title: short, no sentence end, not a label, unit, caption …"""
    return bool(text) and len(text) <= MAX_TITLE_CHARS and not _NOT_TITLE_END.search(text) \
        and text[-1] not in "：:，,、" and parse_label_line(text) is None and not _ATTACHMENT_LINE.match(text) \
        and not looks_like_unit(text) and not CAPTION.match(text) and not _DATE.match(text.replace(" ", ""))


def _heading_candidate(text: str) -> bool:
    return bool(text) and parse_label_line(text) is None and not is_section_heading(text) \
        and marker_family(text) is None and not ATTACHMENT.match(text) and not looks_like_unit(text)


def skip_cover_letter(blocks: list[Block], filename: str,
                      warnings: list[SourceWarning]) -> tuple[list[Block], Letter]:
    """The blocks after a cover letter (see the module docstring), and what the letter leaves."""
    texts = [i for i, b in enumerate(blocks) if b.text][:3]
    head = next((i for i in texts if _LETTER.search(blocks[i].text.replace(" ", ""))), None)
    if head is None:
        return blocks, Letter()
    end = None
    for j in range(head + 1, len(blocks)):
        block = blocks[j]
        if block.text and (block.page_break or ATTACHMENT.match(block.text)):
            end = j
            break
        if _DATE.match(block.text.replace(" ", "")):
            end = j + 1
            while end < len(blocks) and (not blocks[end].text or parse_label_line(blocks[end].text)) \
                    and not blocks[end].page_break:
                end += 1
            break
    title = blocks[head].text
    if end is None or not any(b.text for b in blocks[end:]):
        raise SourceError(
            filename, blocks[head].location,
            f"“{title}”是报送函，但找不到函的结尾（落款日期、“附件”字样或分页符），无法判断案例从哪里开始。"
            "请删去报送函、只保留案例后再导入，或在函和案例之间插入分页符。", errors.STRUCTURE)
    letter = Letter()
    for j in range(head + 1, end):
        text = blocks[j].text
        if parse_label_line(text) is not None:
            letter.labels.append(Para(text, location=blocks[j].location))
        elif looks_like_unit(text) and j + 1 < end and _DATE.match(blocks[j + 1].text.replace(" ", "")):
            letter.unit = text
    last = next(b.location for b in reversed(blocks[:end]) if b.text)
    warnings.append(SourceWarning(filename, f"{blocks[head].location}至{last}",
                                  f"开头的报送函（“{title}”）不是案例内容，已跳过。"))
    return [b for i, b in enumerate(blocks) if i < texts[0] or i >= end], letter


def drop_collection_heading(blocks: list[Block], filename: str,
                            warnings: list[SourceWarning]) -> list[Block]:
    """Without the collection's own heading above the first title (see the module docstring)."""
    texts = [i for i, b in enumerate(blocks) if b.text and not ATTACHMENT.match(b.text)]
    for pos, i in enumerate(texts[:3]):
        if is_collection_heading(blocks[i].text) and pos + 1 < len(texts):
            after = blocks[texts[pos + 1]].text
            if titleish(after) or (parse_label_line(after) or {}).get("title"):
                warnings.append(SourceWarning(filename, blocks[i].location,
                                              f"“{blocks[i].text}”是整份材料的标题，不是案例标题，已跳过。"))
                return blocks[:i] + blocks[i + 1:]
    return blocks


def _explicit(blocks: list[Block]) -> list[int]:
    found = []
    for i, block in enumerate(blocks):
        labels = parse_label_line(block.text) if block.text else None
        numbered = numbered_title(block.text) if block.text and labels is None else None
        if (labels and labels.get("title")) or (numbered and numbered[2] == "案例"):
            found.append(i)
    return found


def _signature(block: Block) -> tuple:
    return block.level, block.centered, block.all_bold


def _first_numbered(blocks: list[Block]) -> list[int]:
    first = next((i for i, b in enumerate(blocks) if b.text and not ATTACHMENT.match(b.text)), None)
    shape = numbered_title(blocks[first].text) if first is not None else None
    if shape is None or shape[2] not in ("一、", "1.") or is_section_heading(blocks[first].text):
        return []
    found, expected = [first], shape[0] + 1
    for i in range(first + 1, len(blocks)):
        other = numbered_title(blocks[i].text) if blocks[i].text else None
        if other and other[2] == shape[2] and other[0] == expected \
                and _signature(blocks[i]) == _signature(blocks[first]) and not is_section_heading(blocks[i].text):
            found.append(i)
            expected += 1
    return found


def _heading_styles(blocks: list[Block]) -> list[int]:
    heads = [i for i, b in enumerate(blocks) if b.level is not None and _heading_candidate(b.text)]
    if not heads:
        return []
    top = min(blocks[i].level for i in heads)
    return [i for i in heads if blocks[i].level == top]


def _styled_titles(blocks: list[Block]) -> list[int]:
    found = [i for i, b in enumerate(blocks)
             if b.centered and b.all_bold and titleish(b.text) and _heading_candidate(b.text)]
    found = [i for pos, i in enumerate(found) if pos == 0 or found[pos - 1] != i - 1]
    # A bold centred slogan at the end, with no text under it, is not a case.
    ends = [*found[1:], len(blocks)]
    return [i for i, end in zip(found, ends) if any(_is_body(b.text) for b in blocks[i + 1:end])]


def _is_body(text: str) -> bool:
    return bool(text) and parse_label_line(text) is None and (len(text) > MAX_TITLE_CHARS or "。" in text)


def _next_text(blocks: list[Block], i: int) -> int | None:
    return next((j for j in range(i + 1, len(blocks)) if blocks[j].text), None)


def _unit_anchored(blocks: list[Block]) -> list[int]:
    found = []
    for i, block in enumerate(blocks):
        j = _next_text(blocks, i)
        if j is not None and titleish(block.text) and _heading_candidate(block.text):
            labels = parse_label_line(blocks[j].text) or {}
            if labels.get("unit") or looks_like_unit(blocks[j].text):
                found.append(i)
    return found if len(found) >= 2 else []


def find_starts(blocks: list[Block], filename: str) -> list[Start]:
    """The cases' titles, in order (see the module docstring)."""
    numbered = find_case_headings([b.text for b in blocks], filename, locate=lambda i: blocks[i].location)
    if numbered:
        starts = [h.index for h in numbered]
    else:
        starts = (_explicit(blocks) or _first_numbered(blocks) or _heading_styles(blocks)
                  or _styled_titles(blocks) or _unit_anchored(blocks))
    if not starts:
        starts = [next((i for i, b in enumerate(blocks) if titleish(b.text) and not is_section_heading(b.text)), -1)]
        if starts[0] < 0:
            raise SourceError(filename, "", "没有找到案例标题（第一段应为不含句号的简短标题，或写作“案例名称：……”）。",
                              errors.NO_CASES)
    ends = [*starts[1:], len(blocks)]
    return [shape_title(blocks, i, end) for i, end in zip(starts, ends)]


def shape_title(blocks: list[Block], index: int, end: int) -> Start:
    """The title starting at ``blocks[index]``, without its number and unit, with its second line."""
    block = blocks[index]
    labels = parse_label_line(block.text) or {}
    start = Start(index, labels.get("title") or block.text, skip=0 if labels.get("title") else 1)
    shape = numbered_title(start.title)
    if shape:
        start.number, start.title = shape[0], shape[1]
    unit = _UNIT_IN_TITLE.search(start.title)
    name = re.sub(r"(报送|供稿|提供)$", "", unit.group(1)) if unit else ""
    if unit and looks_like_unit(name) and unit.start() >= 4:
        start.unit, start.title = name, start.title[:unit.start()]
    if start.skip:
        j = _next_text(blocks, index)
        second = blocks[j] if j is not None and j < end else None
        sub = _SUBTITLE.match(second.text) if second is not None else None
        if second is not None and ((sub and titleish(sub.group(1))) or (
                block.centered and block.all_bold and second.centered and second.all_bold
                and titleish(second.text) and _heading_candidate(second.text)
                and len(start.title) + len(second.text) < MAX_TITLE_CHARS)):
            start.title = f"{start.title} {sub.group(1) if sub else second.text}"
            start.skip = j - index + 1
        j = _next_text(blocks, index + start.skip - 1)
        if j is not None and j < end and looks_like_unit(blocks[j].text) and not start.unit:
            start.unit, start.skip = blocks[j].text, j - index + 1
    return start
