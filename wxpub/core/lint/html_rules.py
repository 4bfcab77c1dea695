"""Checks on the article HTML itself: forbidden tags and attributes, external images and links.

These run on the HTML as given, so they also catch problems in HTML that did not come from our
renderer (hand edits, HTML read back from a draft).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from wxpub.core.lint.findings import BLOCKING, Finding, Location
from wxpub.core.render.html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, IMAGE_SCHEME, is_wechat_article_url

WECHAT_IMAGE_HOSTS = ("mmbiz.qpic.cn", "mmbiz.qlogo.cn")


def _image_ok(src: str) -> bool:
    if src.startswith(f"{IMAGE_SCHEME}:"):
        return True
    parts = urlsplit(src)
    return parts.scheme in ("http", "https") and (parts.hostname or "").endswith(WECHAT_IMAGE_HOSTS)


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hits: dict[tuple[str, str], tuple[str, int]] = {}

    def _hit(self, rule: str, detail: str, text: str) -> None:
        key = (rule, detail)
        first, count = self.hits.get(key, (text, 0))
        self.hits[key] = (first, count + 1)

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self._hit("html.forbidden_tag", tag, f"<{tag}>")
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            value = value or ""
            if name not in allowed:
                self._hit("html.forbidden_attribute", f"{tag}.{name}", f'<{tag} {name}="{value[:60]}">')
            elif name == "src" and not _image_ok(value.strip()):
                self._hit("html.external_image", value, value[:200])
            elif name == "href" and not is_wechat_article_url(value.strip()):
                self._hit("html.external_link", value, value[:200])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


_MESSAGES = {
    "html.forbidden_tag": "正文含微信不支持的标签 {detail}（会被过滤或导致发布失败）",
    "html.forbidden_attribute": "正文含微信不保留的属性 {detail}（只允许行内 style）",
    "html.external_image": "正文含外部图片（只允许经 uploadimg 上传的微信图片），微信会过滤",
    "html.external_link": "正文含外部链接（微信正文只保留公众号文章链接），请改为脚注",
}


def check_html(html: str, article: int | None) -> list[Finding]:
    """Findings for tags, attributes, image sources and links WeChat would drop or reject."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    findings = []
    for (rule, detail), (text, count) in scanner.hits.items():
        message = _MESSAGES[rule].format(detail=detail)
        if count > 1:
            message += f"，共 {count} 处"
        findings.append(Finding(rule, BLOCKING, Location(article, field="html"), text, message))
    return findings
