"""Shared last step of every importer: raw paragraphs of one case to a ``Case``.

Importers differ in how they find cases; once they have a case's title and its paragraphs in order
(with images anchored after a paragraph), this module pulls out label lines (unit, contact), builds
the body structure and places the images. Every image passes through here, so this is where its bytes
are checked (``images.verified_content_type``): whatever an importer was told about an image, the
content type kept is the one its bytes prove, and anything but PNG/JPEG/GIF is refused.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from wxpub.core.content import CaseContent, Image, Source

from wxpub.core.importers import errors
from wxpub.core.importers.body import Para, structure
from wxpub.core.importers.decoding import clean_line
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.images import verified_content_type
from wxpub.core.importers.labels import parse_label_line


@dataclass
class RawImage:
    """An image found in a source, anchored after raw paragraph ``after`` (-1: before all of them).

    ``name`` names it in messages (the part or file name); ``location`` is where it sits in the source.
    """

    after: int
    name: str
    data: bytes
    caption: str = ""
    location: str = ""
    hint: str = ""  # how to fix a refused image in the author's program


@dataclass
class RawCase:
    """What an importer found for one case before structuring."""

    title: str
    position: str
    number: int | None = None
    paras: list[Para] = field(default_factory=list)
    images: list[RawImage] = field(default_factory=list)
    unit: str = ""
    contact: dict[str, str] = field(default_factory=dict)


def build_case(raw: RawCase, *, series: str, chapter: str, filename: str) -> CaseContent:
    """Turn ``raw`` into a ``Case``; ``SourceError`` if it has no title or no body text."""
    title = clean_line(raw.title)
    if not title:
        raise SourceError(filename, raw.position, "案例缺少标题。", errors.STRUCTURE)
    unit, contact = raw.unit, dict(raw.contact)
    kept: list[Para] = []
    new_index: list[int] = []  # raw paragraph index -> index in ``kept`` of it or its predecessor
    for para in raw.paras:
        text = clean_line(para.text)
        labels = parse_label_line(text) if text else None
        if labels is not None:
            unit = unit or labels.pop("unit", "")
            labels.pop("unit", None)
            for key, value in labels.items():
                contact.setdefault(key, value)
        elif text:
            kept.append(Para(text, clean_line(para.bold_prefix)))
        new_index.append(len(kept) - 1)
    if not kept:
        raise SourceError(filename, raw.position, f"案例“{title}”没有正文。", errors.STRUCTURE)
    body = structure(kept)
    images = []
    for image in raw.images:
        content_type = verified_content_type(image.data, filename, image.location or raw.position,
                                             image.name, hint=image.hint)
        anchor = new_index[image.after] if 0 <= image.after < len(new_index) else -1
        # ``Image.after`` cannot say "before the first block"; such an image goes to the end.
        after = body.block_of[anchor] if anchor >= 0 else None
        images.append(Image(name=posixpath.basename(image.name), data=image.data, content_type=content_type,
                            caption=image.caption, after=after))
    return CaseContent(series=series, chapter=chapter, number=raw.number, title=title, unit=clean_line(unit),
                contact=contact, lead=body.lead, points=body.points, closing=body.closing,
                images=tuple(images), source=Source(filename, raw.position))


def resolve_chapter(found: str, given: str | None, filename: str, location: str) -> str:
    """The chapter a source names, checked against the one the caller passed (if both exist)."""
    from wxpub.core.importers.headings import normalize_chapter

    found_name = normalize_chapter(found) if found else ""
    given_name = normalize_chapter(given) if given else ""
    if found_name and given_name and found_name != given_name:
        raise SourceError(
            filename, location,
            f"篇章不一致：文件中写的是“{found_name}”，导入时指定的是“{given_name}”。",
            errors.CONFLICT)
    return found_name or given_name
