"""Lint an article HTML file on its own (``wxpub lint FILE.html``): HTML rules, limits and text checks.

The file is what would be sent as ``content``; paragraphs are read back as text so the wording,
secrecy and personal-data checks see exactly what readers would.
"""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from wxpub.core.lint.findings import BLOCKING, Finding, Location
from wxpub.core.lint.html_rules import check_html
from wxpub.core.lint.lexicon import Lexicon
from wxpub.core.lint.rules import check_text
from wxpub.core.render.model import MAX_BODY_BYTES, MAX_BODY_CHARS

_BLOCK_TAGS = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "td", "th"]


def lint_html(html: str, lexicon: Lexicon) -> list[Finding]:
    """Findings for one article body given as HTML."""
    findings = check_html(html, 0)
    if len(html) >= MAX_BODY_CHARS:
        findings.append(Finding("limit.body_chars", BLOCKING, Location(0, field="body"), str(len(html)),
                                f"正文 {len(html)} 个字符，微信要求少于 {MAX_BODY_CHARS} 个"))
    size = len(html.encode("utf-8"))
    if size >= MAX_BODY_BYTES:
        findings.append(Finding("limit.body_bytes", BLOCKING, Location(0, field="body"), str(size),
                                f"正文 {size} 字节，微信要求小于 1MB"))
    soup = BeautifulSoup(html, "html.parser")
    blocks = [el.get_text(" ", strip=True) for el in soup.find_all(_BLOCK_TAGS)]
    if not blocks:
        blocks = [soup.get_text(" ", strip=True)]
    for number, text in enumerate(blocks, start=1):
        if text:
            findings += check_text(text, Location(0, paragraph=number), lexicon)
    return findings


def lint_html_file(path: Path, lexicon: Lexicon) -> list[Finding]:
    """Findings for an article HTML file (UTF-8)."""
    from wxpub.core.errors import ValidationError
    try:
        html = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"{path} 不是 UTF-8 编码的 HTML 文件") from None
    return lint_html(html, lexicon)
