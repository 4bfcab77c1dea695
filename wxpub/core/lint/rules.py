"""Text and structure checks: limits, lexicon words, personal data, sections and numbering."""

from __future__ import annotations

import re

from wxpub.core.lint.findings import BLOCKING, WARNING, Finding, Location
from wxpub.core.lint.lexicon import Lexicon
from wxpub.core.lint.personal import find_bank_cards, find_id_cards, find_mobiles
from wxpub.core.render.model import (MAX_AUTHOR_CHARS, MAX_BODY_BYTES, MAX_BODY_CHARS,
                                MAX_DIGEST_CHARS, MAX_TITLE_CHARS, RenderedArticle, SectionInfo)

_LONG_NUMBER = re.compile(r"\d(?:[ -]?\d){10}")
UPLOADABLE_TYPES = ("image/jpeg", "image/jpg", "image/png")
MAX_UPLOADIMG_BYTES = 1024 * 1024


def check_limits(article: RenderedArticle) -> list[Finding]:
    """WeChat's limits on title, digest, author and body (characters and bytes)."""
    i = article.index
    out = []
    if not article.title.strip():
        out.append(Finding("limit.title_empty", BLOCKING, Location(i, field="title"), "",
                           "标题为空"))
    if len(article.title) > MAX_TITLE_CHARS:
        out.append(Finding("limit.title", BLOCKING, Location(i, field="title"), article.title,
                           f"标题 {len(article.title)} 字，超过微信上限 {MAX_TITLE_CHARS} 字"))
    if len(article.digest) > MAX_DIGEST_CHARS:
        out.append(Finding("limit.digest", BLOCKING, Location(i, field="digest"),
                           article.digest[:40] + "…",
                           f"摘要 {len(article.digest)} 字，超过微信上限 {MAX_DIGEST_CHARS} 字"))
    if len(article.author) > MAX_AUTHOR_CHARS:
        out.append(Finding("limit.author", BLOCKING, Location(i, field="author"), article.author,
                           f"作者 {len(article.author)} 字，超过微信上限 {MAX_AUTHOR_CHARS} 字"))
    chars, size = len(article.html), len(article.html.encode("utf-8"))
    if chars >= MAX_BODY_CHARS:
        out.append(Finding("limit.body_chars", BLOCKING, Location(i, field="html"), "",
                           f"正文 {chars} 字符（含排版代码），须少于 {MAX_BODY_CHARS}，请拆分"))
    if size >= MAX_BODY_BYTES:
        out.append(Finding("limit.body_bytes", BLOCKING, Location(i, field="html"), "",
                           f"正文 {size} 字节，须小于 1 MB，请拆分"))
    if not article.html.strip():
        out.append(Finding("limit.body_empty", BLOCKING, Location(i, field="html"), "",
                           "正文为空"))
    for ref in article.image_refs:
        if ref.content_type.lower() not in UPLOADABLE_TYPES:
            out.append(Finding("image.format", BLOCKING, Location(i), ref.name,
                               f"图片 {ref.name} 格式为 {ref.content_type}，微信正文图片只支持 JPG/PNG"))
        if ref.size >= MAX_UPLOADIMG_BYTES:
            out.append(Finding("image.size", BLOCKING, Location(i), ref.name,
                               f"图片 {ref.name} 大小 {ref.size // 1024} KB，微信正文图片须小于 1 MB"))
    return out


def _lexicon_hits(text: str, lexicon: Lexicon) -> list[tuple[int, int, object]]:
    quick = lexicon.prefilter
    if quick is not None and not quick.search(text):
        return []
    hits = []
    for entry in lexicon.entries:
        for m in entry.regex.finditer(text):
            if entry.allow and any(_inside_allowed(text, m.start(), m.end(), phrase)
                                   for phrase in entry.allow):
                continue
            if m.end() > m.start():
                hits.append((m.start(), m.end(), entry))
    # A warning inside a blocking hit's span says the same thing twice: keep the stronger one.
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0]), h[2].severity != BLOCKING))
    kept: list[tuple[int, int, object]] = []
    for start, end, entry in hits:
        if any(s <= start and end <= e and (k.severity == BLOCKING or k.severity == entry.severity)
               and k is not entry for s, e, k in kept):
            continue
        kept.append((start, end, entry))
    return kept


def _inside_allowed(text: str, start: int, end: int, phrase: str) -> bool:
    pos = text.find(phrase, max(0, start - len(phrase)))
    while pos != -1 and pos <= start:
        if pos + len(phrase) >= end:
            return True
        pos = text.find(phrase, pos + 1)
    return False


def check_text(text: str, location: Location, lexicon: Lexicon) -> list[Finding]:
    """Lexicon entries and personal data in one piece of plain text."""
    out = []
    for start, end, entry in _lexicon_hits(text, lexicon):
        found = text[start:end]
        if entry.kind == "wording":
            message = f"严重表述错误：“{found}”应为“{entry.right}”"
            if entry.note:
                message += f"（{entry.note}）"
            rule = "lexicon.wording"
        else:
            message = f"{entry.category}：“{found}”" + (f"，{entry.note}" if entry.note else "")
            rule = "lexicon.secret" if entry.category == "涉密" else "lexicon.sensitive"
        out.append(Finding(rule, entry.severity, location, found, message))
    if not _LONG_NUMBER.search(text):
        return out  # every personal-data pattern needs at least 11 digits in a row
    for raw, masked in find_id_cards(text):
        out.append(Finding("personal.id_card", BLOCKING, location, masked,
                           "含身份证号码（个人信息），不得公开发布"))
    for raw, masked in find_mobiles(text):
        out.append(Finding("personal.mobile", BLOCKING, location, masked,
                           "含手机号码（个人信息），不得公开发布"))
    for raw, masked in find_bank_cards(text):
        out.append(Finding("personal.bank_card", BLOCKING, location, masked,
                           "含银行卡号（个人信息），不得公开发布"))
    return out


def check_sections(located: list[tuple[int, SectionInfo]]) -> list[Finding]:
    """Empty sections, duplicate titles or numbers, and gaps in the numbering (01, 02, 04)."""
    out = []
    seen_titles: dict[str, int | None] = {}
    seen_numbers: set[int] = set()
    previous: int | None = None
    for article, section in located:
        where = Location(article, section.number, 0)
        if section.continued:
            continue
        if section.paragraphs == 0:
            out.append(Finding("structure.empty_section", BLOCKING, where, section.title,
                               f"案例“{section.title}”没有正文"))
        title = section.title.strip()
        if title in seen_titles:
            out.append(Finding("structure.duplicate_section", BLOCKING, where, section.title,
                               "案例标题重复出现"))
        seen_titles[title] = section.number
        if section.number is None:
            continue
        if section.number in seen_numbers:
            out.append(Finding("structure.duplicate_number", BLOCKING, where,
                               f"{section.number:02d}", f"案例编号 {section.number:02d} 重复"))
        elif previous is not None and section.number != previous + 1:
            out.append(Finding("structure.numbering_gap", WARNING, where, f"{section.number:02d}",
                               f"案例编号不连续：{previous:02d} 之后是 {section.number:02d}"))
        seen_numbers.add(section.number)
        previous = section.number
    return out
