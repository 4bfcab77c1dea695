"""Shared last step of every importer: raw paragraphs of one case to a ``Case``.

Importers differ in how they find cases; once they have a case's title and its paragraphs in order
(with images anchored after a paragraph), this module pulls out label lines (unit, contact), builds
the body structure and places the images. Every image passes through here, so this is where its bytes
are checked (``images.verified_content_type``): whatever an importer was told about an image, the
content type kept is the one its bytes prove, and anything but PNG/JPEG/GIF is refused.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from wxpub.core.content import CaseContent, Image, Source

from wxpub.core.importers import errors
from wxpub.core.importers.body import Para, structure
from wxpub.core.importers.decoding import clean_line
from wxpub.core.importers.errors import SourceError
from wxpub.core.importers.headings import normalize_chapter, numbered_title
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
    # Used only where the case itself says nothing: what a skipped cover letter said.
    fallback_unit: str = ""
    fallback_labels: list[Para] = field(default_factory=list)


def build_case(raw: RawCase, *, series: str, chapter: str, filename: str) -> CaseContent:
    """Turn ``raw`` into a ``Case``; ``SourceError`` if it has no title or no body text, or if a
    second, different unit turns up after body text (most likely a second case without a title).

    Label lines give the unit, the contact and the chapter ("所属篇章：…", checked against
    ``chapter`` like a chapter named in the file); a title label ("案例名称：") and dates are dropped
    here (the importer has used the title)."""
    title = clean_line(raw.title)
    if not title:
        raise SourceError(filename, raw.position, "案例缺少标题。", errors.STRUCTURE)
    unit, contact = raw.unit, dict(raw.contact)
    kept: list[Para] = []
    new_index: list[int] = []  # raw paragraph index -> index in ``kept`` of it or its predecessor
    for para in raw.paras:
        text = clean_line(para.text)
        labels = parse_label_line(text) if text else None
        if text and not kept and _same_title(text, title):
            new_index.append(-1)
            continue  # the title repeated above the body (a form table, then the title again)
        if labels is not None:
            found_unit = labels.pop("unit", "")
            if found_unit and unit and kept and not _same_unit(unit, found_unit):
                raise SourceError(
                    filename, para.location or raw.position,
                    f"案例“{title}”的正文之后又出现了报送单位“{found_unit}”（前面是“{unit}”）。如果从这里开始是另一个案例，"
                    "请在它前面加上案例标题（如“02……”或“案例名称：……”）后再导入。", errors.STRUCTURE)
            unit = unit or found_unit
            for key in ("title", "date"):
                labels.pop(key, None)
            if labels.get("chapter"):
                chapter = resolve_chapter(labels.pop("chapter"), chapter or None, filename,
                                          para.location or raw.position)
            labels.pop("chapter", None)
            for key, value in labels.items():
                contact.setdefault(key, value)
        elif text:
            kept.append(Para(text, clean_line(para.bold_prefix), para.location))
        new_index.append(len(kept) - 1)
    if not kept:
        raise SourceError(filename, raw.position, f"案例“{title}”没有正文。", errors.STRUCTURE)
    unit = unit or raw.fallback_unit
    for para in raw.fallback_labels:
        labels = parse_label_line(para.text) or {}
        unit = unit or labels.get("unit", "")
        if not any(key in contact for key in ("name", "phone", "mobile", "email")):
            for key in ("name", "phone", "mobile", "email", "fax"):
                if labels.get(key):
                    contact.setdefault(key, labels[key])
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


def _same_title(text: str, title: str) -> bool:
    shape = numbered_title(text)
    candidates = {text, shape[1]} if shape else {text}
    return any(re.sub(r"\s|——", "", c) == re.sub(r"\s|——", "", title) for c in candidates)


def _same_unit(a: str, b: str) -> bool:
    """"区市场监管局" and "天津市滨海新区区市场监管局（盖章）" are the same unit."""
    def bare(name: str) -> str:
        name = re.sub(r"[（(][^）)]*[）)]|\s", "", name)
        return re.sub(r"^(天津市)?(滨海新区)?", "", name)
    a, b = bare(a), bare(b)
    return a in b or b in a


def resolve_chapter(found: str, given: str | None, filename: str, location: str) -> str:
    """The chapter a source names, checked against the one the caller passed (if both exist)."""
    found_name = normalize_chapter(found) if found else ""
    given_name = normalize_chapter(given) if given else ""
    if found_name and given_name and found_name != given_name:
        raise SourceError(
            filename, location,
            f"篇章不一致：文件中写的是“{found_name}”，导入时指定的是“{given_name}”。",
            errors.CONFLICT)
    return found_name or given_name
