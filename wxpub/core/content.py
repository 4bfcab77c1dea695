"""Plain data shapes of case content, shared by importers, the case library and the renderer.

Pure core: no Flask, no database, no network. Importers produce these objects from bytes; the
case library stores them (as versioned JSON); the renderer turns a ``Chapter`` into WeChat HTML.

The structure follows the house pattern of the office's case studies::

    01创新“双招双引”模式 集聚创新创业领军人才      <- number + title ("main title" space "subtitle")
    报送单位：区人才办                              <- unit
    lead paragraph(s)                               <- lead
    一是……。二是……。三是……。                         <- points (each with its lead phrase)
    closing paragraph(s)                            <- closing
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

# The punctuation that ends a point's lead phrase ("一是强化政策引领。…").
POINT_LEAD_SEPARATORS = "。，,；;：:"


@dataclass(frozen=True)
class Point:
    """One numbered point ("一是…") of a case body.

    ``lead`` is the opening phrase up to and including the first separator in
    ``POINT_LEAD_SEPARATORS`` (the phrase the house style sets in bold); ``rest`` is the remainder, so
    ``lead + rest`` is always the full paragraph text.
    """

    lead: str
    rest: str

    @property
    def text(self) -> str:
        """The full paragraph text."""
        return self.lead + self.rest


@dataclass(frozen=True)
class Image:
    """An image that belongs to a case (embedded in a .docx, or a file beside a Markdown case).

    ``after`` is the index, in the case's body order (lead paragraphs, then points, then closing
    paragraphs), of the block the image follows; ``None`` puts it at the end of the case.
    """

    name: str
    data: bytes = field(repr=False)
    content_type: str
    caption: str = ""
    after: int | None = None

    @property
    def sha256(self) -> str:
        """Hex digest of the image bytes: the key of the upload cache."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Source:
    """Where a case came from: a file name and a position inside it (line, row, heading, …)."""

    file: str
    position: str = ""


@dataclass(frozen=True)
class CaseContent:
    """One case study, structured."""

    series: str
    chapter: str
    number: int | None
    title: str
    unit: str = ""
    contact: dict[str, str] = field(default_factory=dict)
    lead: tuple[str, ...] = ()
    points: tuple[Point, ...] = ()
    closing: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    source: Source = Source("")

    @property
    def paragraphs(self) -> list[str]:
        """The non-point paragraphs, lead first then closing."""
        return [*self.lead, *self.closing]

    def content_dict(self) -> dict:
        """Everything that makes up the case's content (not where it came from), JSON-ready."""
        return {
            "series": self.series,
            "chapter": self.chapter,
            "number": self.number,
            "title": self.title,
            "unit": self.unit,
            "contact": dict(sorted(self.contact.items())),
            "lead": list(self.lead),
            "points": [{"lead": p.lead, "rest": p.rest} for p in self.points],
            "closing": list(self.closing),
            "images": [
                {"name": i.name, "sha256": i.sha256, "content_type": i.content_type,
                 "caption": i.caption, "after": i.after}
                for i in self.images
            ],
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of ``content_dict()``: equal content, equal hash."""
        canonical = json.dumps(self.content_dict(), ensure_ascii=False, sort_keys=True,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChapterInfo:
    """A chapter as found in a source: its name, its introduction and its order in the series."""

    series: str
    name: str
    intro: tuple[str, ...] = ()
    order: int | None = None


@dataclass(frozen=True)
class SourceWarning:
    """Something of a source that was left out (the import goes on): staff must see it.

    Same shape as ``importers.SourceError``: ``file``, ``location`` inside it, a Chinese ``message``.
    """

    file: str
    location: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}（{self.location}）" if self.location else self.file
        return f"{where}：{self.message}"


@dataclass(frozen=True)
class ImportResult:
    """What one importer found in one source file (and what it had to leave out, ``warnings``)."""

    cases: tuple[CaseContent, ...] = ()
    chapters: tuple[ChapterInfo, ...] = ()
    series_title: str = ""
    warnings: tuple[SourceWarning, ...] = ()
    # A series folder (``series.yaml``) defines its series and chapters: importing it may create them.
    defines_series: bool = False


@dataclass(frozen=True)
class ChapterContent:
    """A chapter ready to render: the renderer's input."""

    series: str
    name: str
    intro: tuple[str, ...]
    cases: tuple[CaseContent, ...]

    def to_dict(self) -> dict:
        """JSON-ready form (images by hash)."""
        return {"series": self.series, "name": self.name, "intro": list(self.intro),
                "cases": [c.content_dict() for c in self.cases]}


# Contact details are stored under these keys (the importers map every label they know to one);
# staff see and type the Chinese names.
CONTACT_NAMES = {"name": "联系人", "phone": "电话", "mobile": "手机", "email": "邮箱", "fax": "传真"}
_CONTACT_SYNONYMS = {"联系人姓名": "name", "姓名": "name", "联系电话": "phone", "办公电话": "phone",
                     "座机": "phone", "手机号": "mobile", "手机号码": "mobile", "电子邮箱": "email",
                     "电子邮件": "email", "邮件": "email", "e-mail": "email"}


def contact_name(key: str) -> str:
    """The Chinese name staff see for a contact key ("phone" → "电话"; others as they are)."""
    return CONTACT_NAMES.get(key, key)


def contact_key(name: str) -> str:
    """The stored key for a contact name staff typed ("电话", "联系电话" → "phone")."""
    name = name.strip()
    for key, shown in CONTACT_NAMES.items():
        if name in (key, shown):
            return key
    return _CONTACT_SYNONYMS.get(name.lower() if name.isascii() else name, name)


# The four chapters of the office's business-environment series, in their usual order.
STANDARD_CHAPTERS = ("市场环境", "政务环境", "法治环境", "人文环境")

__all__ = ["Point", "Image", "Source", "CaseContent", "ChapterInfo", "SourceWarning", "ImportResult",
           "ChapterContent", "STANDARD_CHAPTERS", "POINT_LEAD_SEPARATORS", "CONTACT_NAMES",
           "contact_name", "contact_key", "asdict"]
