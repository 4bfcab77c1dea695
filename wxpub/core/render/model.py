"""Data shapes the renderer produces: a message of articles, with what approvals bind to.

``RenderedArticle.sha256`` is the hash of the article's HTML *with image placeholders*
(``wxpub-image:<sha256>``), so it does not depend on upload URLs; ``RenderedMessage.sha256`` binds
every article plus its metadata (title, author, digest, cover, image list).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from wxpub.core.content import Image

#: WeChat limits (wechat-api.md §3.1). The body is limited to < 20,000 characters and < 1 MB.
MAX_TITLE_CHARS = 32
MAX_DIGEST_CHARS = 128
MAX_AUTHOR_CHARS = 16
MAX_BODY_CHARS = 20_000          # strict: len(html) must be < this
MAX_BODY_BYTES = 1_000_000       # strict: len(html.encode("utf-8")) must be < this
MAX_ARTICLES = 8


@dataclass(frozen=True)
class RenderFooter:
    """The closing lines of every article: where the content comes from and who edited it."""

    source: str = ""
    editors: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextBlock:
    """One paragraph of an article as plain text, with where it sits (for the checks).

    ``case`` is the case number (None for the introduction, notes and footer); ``paragraph`` is
    1-based inside the case's body order (0 = the case heading) or inside the introduction.
    """

    kind: str           # intro | heading | unit | lead | point | closing | caption | note | footer
    text: str
    case: int | None = None
    paragraph: int = 0


@dataclass(frozen=True)
class SectionInfo:
    """A case section as it appears in an article (``continued``: second part of a split case)."""

    number: int | None
    title: str
    paragraphs: int
    continued: bool = False


@dataclass(frozen=True)
class ImageRef:
    """An image the article body references by placeholder ``wxpub-image:<sha256>``."""

    sha256: str
    name: str
    content_type: str
    size: int

    @property
    def placeholder(self) -> str:
        """The ``src`` value used in the rendered HTML."""
        return f"wxpub-image:{self.sha256}"


@dataclass(frozen=True)
class Cover:
    """The cover (thumb) image of an article.

    Generated covers are JPEG ≤ 64 KB at 900×383 (2.35:1), so the publisher can upload them either
    as a ``thumb`` (JPG ≤ 64 KB) or as an ``image`` permanent material.
    """

    data: bytes = field(repr=False)
    content_type: str
    generated: bool
    width: int = 0
    height: int = 0

    @property
    def sha256(self) -> str:
        """Hex digest of the image bytes."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class RenderedArticle:
    """One article of a message, ready for ``draft/add`` once placeholders are substituted.

    ``chars`` is ``len(html)`` (Unicode code points of the whole HTML including tags and inline
    styles) and ``bytes`` is its UTF-8 length: see ``wxpub.core.render`` for why we count that way.
    """

    index: int
    title: str
    author: str
    digest: str
    html: str
    chars: int
    bytes: int
    sha256: str
    image_refs: tuple[ImageRef, ...]
    cover: Cover | None
    blocks: tuple[TextBlock, ...] = ()
    sections: tuple[SectionInfo, ...] = ()

    def metadata(self) -> dict:
        """Everything the approval binds besides the HTML itself, JSON-ready."""
        return {
            "index": self.index, "title": self.title, "author": self.author,
            "digest": self.digest, "sha256": self.sha256,
            "cover": self.cover.sha256 if self.cover else None,
            "images": [r.sha256 for r in self.image_refs],
        }


@dataclass(frozen=True)
class RenderedMessage:
    """A WeChat message (one draft): up to 8 articles, plus the images they need uploaded."""

    series: str
    chapter: str
    theme: str
    articles: tuple[RenderedArticle, ...]
    images: dict[str, Image] = field(default_factory=dict, compare=False, repr=False)
    installment: int = 1          # 1-based position when a chapter needs several messages
    installments: int = 1

    @property
    def sha256(self) -> str:
        """Hash over all articles' HTML hashes and metadata: what a message approval binds to."""
        payload = {"series": self.series, "chapter": self.chapter, "theme": self.theme,
                   "installment": [self.installment, self.installments],
                   "articles": [a.metadata() for a in self.articles]}
        canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
