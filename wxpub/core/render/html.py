"""From class-annotated HTML to WeChat-safe HTML: escape, inline the theme CSS, sanitise.

Everything imported (case text, titles, captions) goes through ``text_html`` which escapes it, so
a case can never inject markup. The assembled HTML then goes through ``css_inline`` (every class
rule becomes an inline ``style``) and ``nh3`` (only the tags and attributes WeChat keeps, §3 of
wechat-api.md: no class, id, script, style block or event handler survives).
"""

from __future__ import annotations

import html as _html
import re
from urllib.parse import urlsplit

import css_inline
import nh3

#: Tags WeChat keeps in an article body (wechat-api.md §3, "what survives").
ALLOWED_TAGS = frozenset({
    "p", "section", "span", "strong", "em", "br", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "blockquote", "img", "table", "thead", "tbody", "tr", "th", "td", "a",
})
#: Attributes kept per tag; ``style`` everywhere, nothing else that could carry behaviour.
ALLOWED_ATTRIBUTES = {
    "*": {"style"},
    "img": {"src", "alt"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
IMAGE_SCHEME = "wxpub-image"
#: Hosts whose links work inside a WeChat article body: published WeChat articles.
WECHAT_ARTICLE_HOSTS = frozenset({"mp.weixin.qq.com"})

# `[text](https://…)` as the Markdown importer may leave it, or a bare URL.
_MD_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((https?://[^\s()<>]+)\)")
_BARE_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")
_URL_TRAILING = ".,;:!?'])"
_ANY_LINK = re.compile(f"{_MD_LINK.pattern}|{_BARE_URL.pattern}")


def is_wechat_article_url(url: str) -> bool:
    """True for http(s) links to WeChat articles, the only links WeChat keeps clickable."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in WECHAT_ARTICLE_HOSTS


class Footnotes:
    """Numbers external links in order of first appearance, one list per article."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def number(self, url: str) -> int:
        """The footnote number of ``url`` (the same URL keeps its number)."""
        if url not in self.urls:
            self.urls.append(url)
        return self.urls.index(url) + 1


def text_html(text: str, notes: Footnotes) -> str:
    """Escape plain ``text`` to HTML; external links become footnote marks ``[n]``.

    WeChat article links stay as ``<a href>``; any other http(s) link (bare or ``[text](url)``)
    is replaced by its text plus a mark, and listed in the article's 参考链接 section.
    Anything else (``javascript:``, tags, style blocks) stays literal text.
    """
    out: list[str] = []
    pos = 0
    for match in _ANY_LINK.finditer(text):
        if match.group(2):
            label, url, end = match.group(1), match.group(2), match.end()
        else:
            url = match.group(0).rstrip(_URL_TRAILING)
            label, end = url, match.start() + len(url)
        out.append(_html.escape(text[pos:match.start()]))
        if is_wechat_article_url(url):
            out.append(f'<a class="wx-link" href="{_html.escape(url)}">{_html.escape(label)}</a>')
        else:
            mark = f'<span class="wx-mark">[{notes.number(url)}]</span>'
            out.append(mark if label == url else _html.escape(label) + mark)
        pos = end
    out.append(_html.escape(text[pos:]))
    return "".join(out)


def notes_html(notes: Footnotes) -> str:
    """The 参考链接 section listing the footnoted URLs as plain text (not clickable in WeChat)."""
    if not notes.urls:
        return ""
    items = "".join(f'<p class="wx-note">[{i}] {_html.escape(url)}</p>'
                    for i, url in enumerate(notes.urls, 1))
    return f'<section class="wx-notes"><p class="wx-notes-title">参考链接</p>{items}</section>'


def make_safe(raw_html: str, css: str) -> str:
    """Inline ``css`` into ``raw_html`` with css_inline, then keep only what WeChat keeps (nh3)."""
    inliner = css_inline.CSSInliner(load_remote_stylesheets=False, minify_css=True)
    inlined = inliner.inline_fragment(raw_html, css)
    return sanitise(inlined)


def sanitise(fragment: str) -> str:
    """Strip every tag, attribute and URL scheme WeChat would drop (or that could run code)."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", IMAGE_SCHEME},
        link_rel=None,
        strip_comments=True,
    )


_PLACEHOLDER = re.compile(rf'src="{IMAGE_SCHEME}:([0-9a-f]{{64}})"')


def substitute_images(html: str, url_by_sha256: dict[str, str]) -> str:
    """Replace every ``wxpub-image:<sha256>`` placeholder with its uploaded (or preview) URL.

    Raises ``KeyError`` naming the missing hash, so nothing is sent with a dangling placeholder.
    """
    def repl(match: re.Match) -> str:
        sha = match.group(1)
        if sha not in url_by_sha256:
            raise KeyError(f"图片 {sha[:12]}… 没有对应的上传地址")
        return f'src="{_html.escape(url_by_sha256[sha])}"'
    return _PLACEHOLDER.sub(repl, html)
