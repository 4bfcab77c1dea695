"""Published chapter pages saved as HTML: the article text is extracted, then parsed like text.

The article body is taken from the element holding the most paragraph text (government CMS pages
put the article in one container), falling back to the whole page; the chapter title is searched in
the whole page, since it usually sits in an ``<h1>`` outside that container. Locations are paragraph
numbers of the extracted text ("第N段"), since HTML line numbers mean nothing to staff.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

from wxpub.core.content import ImportResult

from wxpub.core.importers.decoding import clean_line, decode_text
from wxpub.core.importers.headings import parse_chapter_title
from wxpub.core.importers.page import parse_page
from wxpub.core.importers.safety import check_size

_SKIP = {"script", "style", "noscript", "template", "head", "iframe", "object", "svg", "select",
         "button", "input", "textarea", "img"}
_BLOCK = {"p", "div", "section", "article", "header", "footer", "nav", "aside", "main", "ul", "ol",
          "li", "dl", "dt", "dd", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
          "pre", "form", "hr", "center", "figure", "figcaption", "address"}
_CELL = {"td", "th"}


def _walk(node, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
            continue
        if isinstance(child, NavigableString):
            out.append(re.sub(r"[\r\n\t]+", " ", str(child)))
        elif child.name in _SKIP:
            continue
        elif child.name == "br":
            out.append("\n")
        else:
            mark = "\n" if child.name in _BLOCK else " " if child.name in _CELL else ""
            out.append(mark)
            _walk(child, out)
            out.append(mark)


def _lines(node) -> list[str]:
    out: list[str] = []
    _walk(node, out)
    return [line for line in (clean_line(x) for x in "".join(out).split("\n")) if line]


def _article_container(soup):
    """The element whose direct <p> children hold the most text, or None."""
    best, best_score = None, 0
    for element in soup.find_all(["div", "article", "section", "td", "main"]):
        score = sum(len(p.get_text(strip=True)) for p in element.find_all("p", recursive=False))
        if score > best_score:
            best, best_score = element, score
    return best


def html_to_lines(html: str) -> list[str]:
    """The visible text of an HTML page, one paragraph a line, article container preferred."""
    soup = BeautifulSoup(html, "lxml")
    root = soup.body or soup
    all_lines = _lines(root)
    container = _article_container(soup)
    if container is None:
        return all_lines
    body_lines = _lines(container)
    title = next((line for line in all_lines if parse_chapter_title(line)), None)
    if title and title not in body_lines:
        body_lines.insert(0, title)
    return body_lines


def import_html(data: bytes, filename: str, *, series: str | None = None,
                chapter: str | None = None) -> ImportResult:
    """Import a chapter page saved as HTML (any of the encodings ``decode_text`` accepts)."""
    check_size(data, filename)
    text = decode_text(data, filename)
    return parse_page(html_to_lines(text), filename, series=series, chapter=chapter,
                      locate=lambda i: f"第{i + 1}段")
