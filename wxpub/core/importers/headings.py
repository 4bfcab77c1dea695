"""Recognising the titles of a chapter article and of its numbered cases.

A case heading is a two-digit number immediately followed by a short title on a line of its own
("01创新“双招双引”模式 集聚创新创业领军人才"), numbered in sequence. Body paragraphs also start with
digits ("1-11月…", "2023年…", "5G基站…", "10条重点产业链…"), so a line is only a heading when

* it starts with exactly two digits not followed by a third digit or by a decimal part, then
  optionally one separator (space, 、, ., ．) and a title;
* the title is short (at most ``MAX_TITLE_CHARS``), contains Chinese, holds no sentence-ending
  punctuation (。！？；) and does not end with a comma, colon or enumeration mark;
* its number continues the sequence: the first heading may carry any number (a page may be the second
  part of a chapter, starting at 06), each later one must be the previous plus one.

A heading-shaped line whose number jumps ahead by up to ``GAP_WINDOW`` is most likely a case whose
predecessor was lost, so it is an error rather than silently merged into the previous case's body;
a line far out of sequence ("10条措施" in case 03) is an ordinary paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wxpub.core.content import STANDARD_CHAPTERS

from wxpub.core.importers import errors
from wxpub.core.importers.decoding import clean_line
from wxpub.core.importers.errors import SourceError

MAX_TITLE_CHARS = 60
GAP_WINDOW = 3

_HEADING = re.compile(r"^(\d{2})(?!\d)(?:[ 、.．](?!\d)\s*)?(.+)$")
_SENTENCE_END = re.compile(r"[。！？；;!?]")
_BAD_ENDING = "，,、：:"
_CJK = re.compile(r"[\u4e00-\u9fff]")

# "人文环境篇丨2023年度…", "【人文环境篇】2023年度…", "人文环境篇"
_CHAPTER_TITLE = re.compile(
    r"^[【\[]?(?P<chapter>[\u4e00-\u9fff]{2,10})篇[】\]]?\s*(?:[丨|｜│:：\-—]+\s*(?P<series>.+))?$")


_CHAPTER_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\d{1,2}[.．、]|第[一二三四五六七八九十\d]+篇[:：、]?)")
_NUMBERED_TITLES = (
    ("案例", re.compile(r"^[【\[]?案例\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*[】\]]?\s*[:：.．、—\-\s]*\s*(.+)$")),
    ("一、", re.compile(r"^([一二三四五六七八九十]{1,3})、\s*(.+)$")),
    ("1.", re.compile(r"^(\d{1,2})\s*[.．、](?!\d)\s*(.+)$")),
)
_COLLECTION = re.compile(
    r"(营商环境|创新实践|典型|优秀|先进).{0,12}(案例|经验|做法)(汇编|汇总表?|选编|集|材料|申报表|报送表|推荐表|展示)?$"
    r"|^(案例|典型案例|创新案例)(申报表|报送表|推荐表|材料)$")


@dataclass(frozen=True)
class CaseHeading:
    """A recognised case heading: its paragraph index, number and cleaned title."""

    index: int
    number: int
    title: str


def heading_shape(line: str) -> tuple[int, str] | None:
    """``(number, title)`` if ``line`` looks like a case heading, ignoring the sequence rule."""
    line = clean_line(line)
    match = _HEADING.match(line)
    if not match:
        return None
    number, title = int(match.group(1)), clean_line(match.group(2))
    if number < 1 or len(title) < 2 or len(title) > MAX_TITLE_CHARS:
        return None
    if not _CJK.search(title) or _SENTENCE_END.search(title) or title[-1] in _BAD_ENDING:
        return None
    return number, title


def find_case_headings(lines: list[str], filename: str,
                       locate=lambda i: f"第{i + 1}行") -> list[CaseHeading]:
    """Find the numbered case headings among ``lines`` (one paragraph each), in sequence.

    ``locate`` turns a list index into a location for error messages.
    """
    found: list[CaseHeading] = []
    for index, line in enumerate(lines):
        shape = heading_shape(line)
        if shape is None:
            continue
        number, title = shape
        if not found:
            found.append(CaseHeading(index, number, title))
            continue
        expected = found[-1].number + 1
        if number == expected:
            found.append(CaseHeading(index, number, title))
        elif expected < number <= expected + GAP_WINDOW:
            raise SourceError(
                filename, locate(index),
                f"案例编号不连续：上一个案例是{found[-1].number:02d}，这里是{number:02d}"
                f"（“{title}”）。可能漏了案例{expected:02d}，请核对原文。",
                errors.STRUCTURE)
    return found


def parse_chapter_title(line: str) -> tuple[str, str] | None:
    """``(chapter, series)`` from a chapter article title such as "人文环境篇丨2023年度…"."""
    match = _CHAPTER_TITLE.match(clean_line(line))
    if not match:
        return None
    return match.group("chapter"), clean_line(match.group("series") or "")


def parse_chapter_line(line: str) -> tuple[str, str] | None:
    """``(chapter, series)`` of a chapter line: a chapter article title ("人文环境篇丨2023年度…",
    "人文环境篇") or a standard chapter's name alone ("四、人文环境", "优化人文环境")."""
    parsed = parse_chapter_title(line)
    if parsed:
        return parsed
    bare = _CHAPTER_NUMBER.sub("", clean_line(line).replace(" ", ""))
    bare = re.sub(r"^(优化|营造)|(篇|类|方面)$", "", bare)
    return (bare, "") if bare in STANDARD_CHAPTERS else None


def normalize_chapter(name: str) -> str:
    """"人文环境篇", " 人文环境 ", "四、人文环境", "优化人文环境类" all become "人文环境"; other names
    lose only their numbering and a trailing "篇"."""
    name = _CHAPTER_NUMBER.sub("", clean_line(name).replace(" ", ""))
    standard = [c for c in STANDARD_CHAPTERS if c in name]
    if len(standard) == 1 and len(name) <= len(standard[0]) + 6:
        return standard[0]
    return name[:-1] if name.endswith("篇") and len(name) > 1 else name


def chinese_number(text: str) -> int | None:
    """"一"…"九十九" (and Arabic digits) as an int, or None."""
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}
    if not text or any(c not in digits and c != "十" for c in text) or text.count("十") > 1:
        return None
    if "十" not in text:
        return digits[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


def _title_like(title: str) -> bool:
    return 2 <= len(title) <= MAX_TITLE_CHARS and bool(_CJK.search(title)) \
        and not _SENTENCE_END.search(title) and title[-1] not in _BAD_ENDING


def numbered_title(line: str) -> tuple[int, str, str] | None:
    """``(number, title, style)`` of a title written with a number: "01……" (style "01"), "案例1：……" /
    "案例一 ……" / "【案例1】……" (style "案例"), "一、……" (style "一、"), "1.……" / "1、……" (style "1.")."""
    line = clean_line(line)
    shape = heading_shape(line)
    if shape:
        return shape[0], shape[1], "01"
    for style, pattern in _NUMBERED_TITLES:
        match = pattern.match(line)
        if match:
            number, title = chinese_number(match.group(1)), clean_line(match.group(2))
            if number and _title_like(title):
                return number, title, style
    return None


def is_collection_heading(line: str) -> bool:
    """The heading of a whole collection ("滨海新区2023年度优化营商环境创新实践案例", "…案例申报表"), not
    of one case."""
    return bool(_COLLECTION.search(clean_line(line).replace(" ", "")))
