"""A standalone preview page: each article exactly as it will be sent, in a 375-px phone frame.

The page carries its own CSS (no external assets, no CDN). The article HTML is the rendered,
sanitised HTML itself; only the image placeholders are swapped for preview URLs.
"""

from __future__ import annotations

import base64
import html as _html
import re

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
code{font-size:12px;word-break:break-all}
img{max-width:100%;height:auto}
@media (max-width:640px){
.row{flex-direction:column;gap:12px;padding:0}
.phone{width:auto;border:0;border-radius:0;box-shadow:none}
.screen{height:auto;overflow:visible}
.side{min-width:0;max-width:none;padding:0 16px 16px}
header.top{padding:10px 16px}}
"""


def _with_images(html: str, image_urls: dict[str, str]) -> str:
    def repl(match: re.Match) -> str:
        return f'src="{_html.escape(image_urls.get(match.group(1), _MISSING_IMAGE))}"'
    return re.sub(rf'src="{IMAGE_SCHEME}:([0-9a-f]{{64}})"', repl, html)


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
                 image_urls: dict[str, str] | None = None) -> str:
    """The preview page for ``message``; ``findings`` default to ``lint_message(message)``.

    ``image_urls`` maps image sha256 → a data: URL or a local URL; images without one show a
    grey placeholder.
    """
    if findings is None:
        from wxpub.core.lint import lint_message  # lazy: lint imports the render models
        findings = lint_message(message)
    image_urls = image_urls or {}
    sections = []
    for article in message.articles:
        mine = [f for f in findings if f.location.article == article.index]
        cover = ""
        if article.cover is not None:
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
            f" · 消息哈希 <code>{message.sha256}</code>{overall}</header>"
            f'{"".join(sections)}</body></html>\n')
