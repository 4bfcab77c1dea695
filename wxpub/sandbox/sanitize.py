"""WeChat's clean-up of stored article HTML, as far as it is documented or observed (§3.1).

Kept: common text/layout tags with inline `style`, `<img>` from mmbiz.qpic.cn, `<a href>` to
mp.weixin.qq.com articles (other links lose their href but keep their text), tables.
Removed: `<script>`/`<style>`/`<iframe>`/`<form>` with their content, event-handler attributes,
`class`, `id`, images from any other host, and every tag not in the list (its text stays).
"""
from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from bs4 import BeautifulSoup

IMAGE_HOSTS = {"mmbiz.qpic.cn"}
ARTICLE_HOSTS = {"mp.weixin.qq.com"}
_TEXT_TAGS = {
    "p", "section", "span", "div", "strong", "b", "em", "i", "u", "s", "sup", "sub", "br", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
    "img", "a", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col",
    "figure", "figcaption",
}
_DROP_WITH_CONTENT = {"script", "style", "iframe", "form", "noscript", "object", "textarea", "select"}
_ATTRIBUTES = {
    "*": {"style"},
    "img": {"src", "alt", "width", "height", "data-ratio", "data-w"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "col": {"span"},
    "ol": {"start"},
}


def _host(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return (parts.hostname or "") if parts.scheme in ("http", "https") else ""


def is_wechat_image(url: str) -> bool:
    """True when the URL is an image WeChat keeps (uploaded via media/uploadimg)."""
    return _host(url or "") in IMAGE_HOSTS


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if _host(value) in ARTICLE_HOSTS else None
    return value


def sanitize_content(html: str) -> str:
    """Return `html` as WeChat would store it in a draft."""
    soup = BeautifulSoup(html, "html.parser")
    for img in soup.find_all("img"):
        if not is_wechat_image(img.get("src", "")):
            img.decompose()
    return nh3.clean(
        str(soup),
        tags=_TEXT_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        link_rel=None,
        url_schemes={"http", "https"},
    )


def plain_text(html: str) -> str:
    """Visible text of an HTML fragment (used for the automatic digest)."""
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
