"""Article renderer: a ``Chapter`` → a WeChat message of WeChat-safe articles (pure core).

Public API::

    render_chapter(chapter, *, theme="政务红", title_template="{chapter}篇丨{series}", author="",
                   footer=RenderFooter(source=..., editors=(...)), cover_image=None)
        -> RenderedMessage(articles=(RenderedArticle(title, author, digest, html, chars, bytes,
                                                     sha256, image_refs, cover, ...), ...))
    render_installments(chapter, **same) -> list[RenderedMessage]   # ≤ 8 articles each
    substitute_images(html, {sha256: url}) -> html                  # at publish / preview time
    preview_page(message, findings=None, image_urls=None) -> str    # standalone phone preview
    get_theme(name) / list_themes()

Images appear in the HTML as ``src="wxpub-image:<sha256>"``; ``RenderedArticle.sha256`` is the
hash of that HTML (what an approval binds to) and ``RenderedMessage.sha256`` the hash of the
whole message. Body size is counted as ``len(html)`` (see ``wxpub.core.render.article``).
"""

from wxpub.core.render.article import (DEFAULT_TITLE_TEMPLATE, render_articles, render_chapter,
                                  render_installments)
from wxpub.core.render.html import sanitise, substitute_images
from wxpub.core.render.model import (MAX_ARTICLES, MAX_AUTHOR_CHARS, MAX_BODY_BYTES, MAX_BODY_CHARS,
                                MAX_DIGEST_CHARS, MAX_TITLE_CHARS, Cover, ImageRef,
                                RenderedArticle, RenderedMessage, RenderFooter, SectionInfo,
                                TextBlock)
from wxpub.core.render.preview import preview_page
from wxpub.core.render.themes import ThemeError, get_theme, list_themes

__all__ = [
    "render_chapter", "render_installments", "render_articles", "substitute_images", "sanitise",
    "preview_page", "get_theme", "list_themes", "ThemeError", "RenderFooter", "RenderedArticle",
    "RenderedMessage", "ImageRef", "Cover", "TextBlock", "SectionInfo", "DEFAULT_TITLE_TEMPLATE",
    "MAX_ARTICLES", "MAX_AUTHOR_CHARS", "MAX_BODY_BYTES", "MAX_BODY_CHARS", "MAX_DIGEST_CHARS",
    "MAX_TITLE_CHARS",
]
