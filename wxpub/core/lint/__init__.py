"""Content checks ("lint") run before approval: pure, fast, and location-aware.

    lint_article(article, lexicon=None) -> list[Finding]
    lint_message(message, lexicon=None) -> list[Finding]
    load_lexicon(path=None) -> Lexicon        # None: the seed wxpub/core/data/lexicon.yaml

A ``Finding`` has ``rule`` (e.g. "personal.id_card"), ``severity`` ("blocking" | "warning"),
``location`` (article index, case number, paragraph, field), ``text`` (masked for personal data)
and a Chinese ``message``. Any blocking finding must stop approval.
"""

from __future__ import annotations

from wxpub.core.lint.findings import BLOCKING, WARNING, Finding, Location
from wxpub.core.lint.html_rules import check_html
from wxpub.core.lint.lexicon import Lexicon, LexiconError, load_lexicon, parse_lexicon
from wxpub.core.lint.punctuation import check_punctuation
from wxpub.core.lint.rules import check_limits, check_sections, check_text
from wxpub.core.render.model import MAX_ARTICLES, RenderedArticle, RenderedMessage


def _article_findings(article: RenderedArticle, lexicon: Lexicon) -> list[Finding]:
    i = article.index
    out = check_limits(article)
    out += check_html(article.html, i)
    out += check_text(article.title, Location(i, field="title"), lexicon)
    out += check_punctuation(article.title, Location(i, field="title"))
    out += check_text(article.digest, Location(i, field="digest"), lexicon)
    out += check_punctuation(article.digest, Location(i, field="digest"))
    out += check_text(article.author, Location(i, field="author"), lexicon)
    for block in article.blocks:
        where = Location(i, block.case, block.paragraph)
        out += check_text(block.text, where, lexicon)
        out += check_punctuation(block.text, where)
    return out


def lint_article(article: RenderedArticle, lexicon: Lexicon | None = None) -> list[Finding]:
    """All checks of one article, including its own sections' structure."""
    lexicon = lexicon or load_lexicon()
    return (_article_findings(article, lexicon)
            + check_sections([(article.index, s) for s in article.sections]))


def lint_message(message: RenderedMessage, lexicon: Lexicon | None = None) -> list[Finding]:
    """All checks of every article plus message-wide ones (article count, numbering across
    articles, duplicates between articles)."""
    lexicon = lexicon or load_lexicon()
    out: list[Finding] = []
    if not message.articles:
        out.append(Finding("limit.no_articles", BLOCKING, Location(field="message"), "",
                           "消息中没有文章"))
    if len(message.articles) > MAX_ARTICLES:
        out.append(Finding("limit.article_count", BLOCKING, Location(field="message"),
                           str(len(message.articles)),
                           f"一条消息最多 {MAX_ARTICLES} 篇文章，现有 {len(message.articles)} 篇，"
                           "请分期发布"))
    for article in message.articles:
        out += _article_findings(article, lexicon)
    out += check_sections([(a.index, s) for a in message.articles for s in a.sections])
    return out


def blocking(findings: list[Finding]) -> list[Finding]:
    """Only the findings that must stop approval."""
    return [f for f in findings if f.severity == BLOCKING]


__all__ = ["lint_article", "lint_message", "load_lexicon", "parse_lexicon", "blocking",
           "Finding", "Location", "Lexicon", "LexiconError", "BLOCKING", "WARNING"]
