"""A standalone preview page: each article exactly as it will be sent, in a 375-px phone frame.

The page carries its own CSS (no external assets, no CDN). The article HTML is the rendered,
sanitised HTML itself; only the image placeholders are swapped for preview URLs.
"""

from __future__ import annotations

import base64
import html as _html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from wxpub.core.render.html import IMAGE_SCHEME
from wxpub.core.render.model import (MAX_BODY_CHARS, MAX_DIGEST_CHARS, MAX_TITLE_CHARS,
                                RenderedMessage)

_MISSING_IMAGE = "data:image/svg+xml;base64," + base64.b64encode(
    '<svg xmlns="http://www.w3.org/2000/svg" width="345" height="160">'
    '<rect width="100%" height="100%" fill="#e5e5e5"/><text x="50%" y="50%" fill="#999" '
    'font-size="16" text-anchor="middle">图片（发布时上传）</text></svg>'.encode("utf-8")).decode()

_PAGE_CSS = """
body{margin:0;background:#eef0f3;font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;color:#222}
header.top{padding:12px 24px;background:#fff;border-bottom:1px solid #ddd}
.row{display:flex;gap:32px;align-items:flex-start;padding:24px;border-bottom:1px solid #dde}
.phone{flex:none;box-sizing:content-box;width:375px;background:#fff;border:10px solid #222;
border-radius:28px;overflow:hidden;box-shadow:0 4px 18px rgba(0,0,0,.15)}
.screen{height:720px;overflow-y:auto;padding:20px 16px}
.wx-title{font-size:22px;line-height:1.4;font-weight:bold;margin:0 0 10px}
.wx-meta{font-size:14px;color:#576b95;margin:0 0 20px}
.side{flex:1;min-width:280px;max-width:560px;font-size:14px}
.side dt{color:#888;margin-top:8px}.side dd{margin:2px 0 0}
.cover{max-width:100%;border:1px solid #ddd}
.over{color:#c00;font-weight:bold}
.finding{margin:6px 0;padding:6px 8px;border-left:4px solid #e6a23c;background:#fff}
.finding.blocking{border-color:#d32f2f}
.ok{color:#2e7d32}
.banner{margin:0;padding:12px 24px;background:#fff8e1;border-bottom:1px solid #f0d9a0;font-size:15px}
.banner.sent{background:#e8f5e9;border-color:#b7dfb9}
.banner a{color:#0d47a1}
code{font-size:12px;word-break:break-all}
img{max-width:100%;height:auto}
@media (max-width:640px){
.row{flex-direction:column;gap:12px;padding:0}
.phone{width:auto;border:0;border-radius:0;box-shadow:none}
.screen{height:auto;overflow:visible}
.side{min-width:0;max-width:none;padding:0 16px 16px}
header.top{padding:10px 16px}.banner{padding:10px 16px}}
"""


def _with_images(html: str, image_urls: dict[str, str]) -> str:
    def repl(match: re.Match) -> str:
        return f'src="{_html.escape(image_urls.get(match.group(1), _MISSING_IMAGE))}"'
    return re.sub(rf'src="{IMAGE_SCHEME}:([0-9a-f]{{64}})"', repl, html)


def with_images(html: str, image_urls: dict[str, str]) -> str:
    """``html`` with its image placeholders pointing at ``image_urls`` (sha256 → URL); an image
    without one shows a grey placeholder (unlike ``substitute_images``, for previews only)."""
    return _with_images(html, image_urls)


def _count(value: int, limit: int, strict: bool = False) -> str:
    over = value >= limit if strict else value > limit
    text = f"{value} / {'<' if strict else '≤'} {limit}"
    return f'<span class="over">{text}</span>' if over else text


def _findings_html(findings: list) -> str:
    if not findings:
        return '<p class="ok">未发现问题</p>'
    rows = []
    for f in findings:
        label = "阻断" if f.severity == "blocking" else "提示"
        rows.append(f'<div class="finding {f.severity}"><b>[{label}]</b> {_html.escape(f.message)}'
                    f'<br><small>{_html.escape(f.location.describe())}'
                    f'{"：" + _html.escape(f.text) if f.text else ""}</small></div>')
    return "".join(rows)


def preview_page(message: RenderedMessage, findings: list | None = None,
                 image_urls: dict[str, str] | None = None, *, banner: str = "",
                 cover_urls: dict[str, str] | None = None, message_sha256: str = "") -> str:
    """The preview page for ``message``; ``findings`` default to ``lint_message(message)``.

    ``image_urls`` maps image sha256 → a data: URL or a local URL; images without one show a
    grey placeholder. ``banner`` is HTML (built and escaped by the caller) shown above the
    articles, e.g. which version was published. ``cover_urls`` maps an article index to its
    cover's URL for articles whose ``cover`` carries no bytes; ``message_sha256`` the stored
    version's hash to show (default: ``message.sha256``).
    """
    if findings is None:
        from wxpub.core.lint import lint_message  # lazy: lint imports the render models
        findings = lint_message(message)
    image_urls = image_urls or {}
    sections = []
    for article in message.articles:
        mine = [f for f in findings if f.location.article == article.index]
        cover = ""
        if (cover_urls or {}).get(article.index):
            cover = (f'<dt>封面</dt><dd><img class="cover" alt="封面" '
                     f'src="{_html.escape(cover_urls[article.index])}"></dd>')
        elif article.cover is not None:
            data = base64.b64encode(article.cover.data).decode()
            cover = (f'<dt>封面</dt><dd><img class="cover" alt="封面" '
                     f'src="data:{article.cover.content_type};base64,{data}"></dd>')
        sections.append(f"""
<div class="row">
  <div class="phone"><div class="screen">
    <h1 class="wx-title">{_html.escape(article.title)}</h1>
    <p class="wx-meta">{_html.escape(article.author or "新政服")}</p>
    {_with_images(article.html, image_urls)}
  </div></div>
  <div class="side">
    <h2>第 {article.index + 1} 篇</h2>
    <dl>
      <dt>标题（{_count(len(article.title), MAX_TITLE_CHARS)} 字）</dt>
      <dd>{_html.escape(article.title)}</dd>
      <dt>作者</dt><dd>{_html.escape(article.author) or "（未填写）"}</dd>
      <dt>摘要（{_count(len(article.digest), MAX_DIGEST_CHARS)} 字）</dt>
      <dd>{_html.escape(article.digest)}</dd>
      <dt>正文长度</dt><dd>{_count(article.chars, MAX_BODY_CHARS, strict=True)} 字符，
        {article.bytes} 字节</dd>
      <dt>内容哈希</dt><dd><code>{article.sha256}</code></dd>
      {cover}
    </dl>
    <h3>检查结果</h3>
    {_findings_html(mine)}
  </div>
</div>""")
    whole = [f for f in findings if f.location.article is None]
    overall = f"<h3>整条消息</h3>{_findings_html(whole)}" if whole else ""
    title = f"预览：{message.chapter}篇（{len(message.articles)} 篇文章）"
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{_html.escape(title)}</title><style>{_PAGE_CSS}</style></head><body>"
            f'<header class="top"><b>{_html.escape(title)}</b> · 主题：{_html.escape(message.theme)}'
            f" · 消息哈希 <code>{message_sha256 or message.sha256}</code>{overall}</header>{banner}"
            f'{"".join(sections)}</body></html>\n')


# --- anchors for the composer's preview ---------------------------------------------------------
# The composer shows each stored article beside its findings; choosing a finding scrolls to its
# place. The anchors are added to a copy of the stored HTML for the preview only (the HTML that is
# approved and sent never has them). They are found by walking the article's top-level blocks —
# introduction paragraphs, case sections, 参考链接, footer — against each case's structure.

@dataclass(frozen=True)
class CaseShape:
    """What a case section holds, in order: a unit line or not, then per body item its paragraph
    number (as ``Location.paragraph`` counts), how many ``<p>`` it takes and whether it is an
    image. ``href`` opens the case in the editor."""

    number: int
    unit: bool
    items: tuple[tuple[int, int, bool], ...]
    href: str = ""


def case_shape(number: int, content: dict, href: str = "") -> CaseShape:
    """The ``CaseShape`` of case ``number`` from its stored content dict (the order
    ``layout.body_items`` places paragraphs and images in)."""
    texts = len(content.get("lead", ())) + len(content.get("points", ())) + len(content.get("closing", ()))
    by_after: dict[int | None, list[int]] = {}
    for image in content.get("images", ()):
        after = image.get("after")
        key = after if after is not None and 0 <= after < texts else None
        by_after.setdefault(key, []).append(2 if image.get("caption") else 1)
    items: list[tuple[int, int, bool]] = []
    for index in range(texts):
        items.append((index + 1, 1, False))
        items.extend((index + 1, count, True) for count in by_after.get(index, []))
    items.extend((texts, count, True) for count in by_after.get(None, []))
    return CaseShape(number, bool(content.get("unit")), tuple(items), href)


@dataclass(frozen=True)
class Anchor:
    """An element of the preview that a finding can point at (``kind``: intro, case, heading,
    unit, body, note, footer)."""

    id: str
    kind: str
    case: int | None
    paragraph: int | None
    text: str


@dataclass
class _Node:
    tag: str
    start: int
    end: int = 0                      # offset just after the start tag
    text: str = ""
    image: bool = False
    badge: str | None = None          # the first <span>'s text (a case heading's number)
    children: list = field(default_factory=list)


class _Outline(HTMLParser):
    """The top-level blocks of an article and their children, with source offsets."""

    VOID = frozenset({"img", "br"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lines = [0] + [m.end() for m in re.finditer("\n", html)]
        self.stack: list[str] = []
        self.top: list[_Node] = []
        self.open: list[_Node] = []   # the tracked nodes that are open (depth 1 and 2)
        self.span: _Node | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        start = self._offset()
        node = None
        if len(self.stack) == 1:
            node = _Node(tag, start)
            self.top.append(node)
        elif len(self.stack) == 2 and self.top:
            node = _Node(tag, start)
            self.top[-1].children.append(node)
        if node is not None:
            node.end = start + len(self.get_starttag_text())
        if tag == "img":
            for open_node in self.open:
                open_node.image = True
        if tag == "span" and len(self.stack) == 3 and self.open and self.open[-1].badge is None:
            self.span = self.open[-1]
            self.span.badge = ""
        if tag in self.VOID:
            return
        self.stack.append(tag)
        if node is not None:
            self.open.append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if not self.stack:
            return
        self.stack.pop()
        if tag == "span" and self.span is not None and len(self.stack) == 3:
            self.span = None
        while self.open and len(self.open) > max(len(self.stack) - 1, 0):
            self.open.pop()

    def handle_data(self, data):
        for node in self.open:
            node.text += data
        if self.span is not None:
            self.span.badge += data


def annotate_article(html: str, prefix: str, shapes: dict[int, CaseShape],
                     cursor: dict[int, int] | None = None) -> tuple[str, list[Anchor]]:
    """A copy of an article's stored ``html`` with anchors for the preview: every case section
    gets ``id="{prefix}-c{n}"``, ``data-case`` and a link to the editor, every paragraph
    ``data-case``/``data-paragraph`` and the first of each paragraph number an id
    (``{prefix}-c{n}-p{k}``, ``{prefix}-intro-p{k}``, ``{prefix}-note-p{k}``, ``{prefix}-footer-p{k}``).

    ``cursor`` carries how far each case got in the articles before (a case split between two
    articles continues its paragraph numbers); pass the same dict for every article of a message.
    """
    cursor = {} if cursor is None else cursor
    outline = _Outline(html)
    outline.feed(html)
    outline.close()
    edits: list[tuple[int, str]] = []
    anchors: list[Anchor] = []

    def mark(node: _Node, kind: str, case: int | None, paragraph: int | None, ident: str | None):
        attrs = ""
        if ident and not any(a.id == ident for a in anchors):
            attrs += f' id="{ident}"'
            anchors.append(Anchor(ident, kind, case, paragraph, node.text))
        if case is not None:
            attrs += f' data-case="{case}"'
        if paragraph is not None:
            attrs += f' data-paragraph="{paragraph}"'
        edits.append((node.start + 1 + len(node.tag), attrs))

    counters = {"intro": 0}
    for node in outline.top:
        if node.tag == "p":
            counters["intro"] += 1
            k = counters["intro"]
            mark(node, "intro", None, k, f"{prefix}-intro-p{k}")
            continue
        head = node.children[0] if node.children else None
        number = int(head.badge) if head and head.badge and head.badge.strip().isdigit() else None
        if node.tag == "section" and number in shapes:
            _annotate_case(node, shapes[number], prefix, cursor, mark, edits)
        elif node.tag == "section" and head is not None and head.text.strip() == "参考链接":
            for k, child in enumerate(node.children[1:], start=1):
                mark(child, "note", None, k, f"{prefix}-note-p{k}")
        elif node.tag == "section":
            for k, child in enumerate(node.children, start=1):
                mark(child, "footer", None, k, f"{prefix}-footer-p{k}")
    out = html
    for offset, text in sorted(edits, key=lambda e: e[0], reverse=True):
        out = out[:offset] + text + out[offset:]
    return out, anchors


def _annotate_case(node, shape: CaseShape, prefix, cursor, mark, edits) -> None:
    n = shape.number
    head, rest = node.children[0], list(node.children[1:])
    continued = cursor.get(n, 0) > 0 or head.text.rstrip().endswith("（续）")
    mark(node, "case", n, None, f"{prefix}-c{n}")
    if shape.href:
        edits.append((node.end, f'<a class="pv-edit" href="{_html.escape(shape.href)}">'
                                f'编辑案例{n:02d}</a>'))
    mark(head, "heading", n, 0, f"{prefix}-c{n}-p0")
    if shape.unit and not continued and rest:
        mark(rest.pop(0), "unit", n, 0, None)
    start = cursor.get(n, 0)
    if continued and start == 0:  # began in an earlier message: this part runs to the end
        start, taken = len(shape.items), 0
        while start > 0 and taken + shape.items[start - 1][1] <= len(rest):
            start -= 1
            taken += shape.items[start][1]
    index, position, last = start, 0, None
    while position < len(rest) and index < len(shape.items):
        paragraph, count, image = shape.items[index]
        if rest[position].image != image:
            break  # the stored HTML does not follow this structure: number what is left plainly
        for child in rest[position:position + count]:
            mark(child, "body", n, paragraph, f"{prefix}-c{n}-p{paragraph}")
        last, position, index = paragraph, position + count, index + 1
    cursor[n] = index
    for child in rest[position:]:
        if not child.image:
            last = (last or 0) + 1
        mark(child, "body", n, last, f"{prefix}-c{n}-p{last}" if last else None)


def finding_anchor(location, prefix: str, anchors: list[Anchor], text: str = "") -> str:
    """The id a finding at ``location`` points at: its paragraph when the preview has it, else
    its case section, else the article (``prefix``); ``{prefix}-title``/``-digest``/``-author``
    for those fields (the page shows them under these ids)."""
    if location.field in ("title", "digest", "author"):
        return f"{prefix}-{location.field}"
    ids = {a.id for a in anchors}
    if location.case is not None:
        paragraph = f"{prefix}-c{location.case}-p{location.paragraph}"
        if location.paragraph is not None and paragraph in ids:
            return paragraph
        return f"{prefix}-c{location.case}" if f"{prefix}-c{location.case}" in ids else prefix
    if location.paragraph is not None:
        candidates = [f"{prefix}-{kind}-p{location.paragraph}" for kind in ("intro", "note", "footer")]
        present = [a for a in anchors if a.id in candidates]
        needle = text.strip("…").strip()
        for anchor in present:
            if needle and needle in anchor.text:
                return anchor.id
        if present:
            return present[0].id
    return prefix
