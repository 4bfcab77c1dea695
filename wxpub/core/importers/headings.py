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


def normalize_chapter(name: str) -> str:
    """"人文环境篇" and " 人文环境 " both become "人文环境"."""
    name = clean_line(name).replace(" ", "")
    return name[:-1] if name.endswith("篇") and len(name) > 1 else name
