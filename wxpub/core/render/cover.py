"""Covers: the series' own image when given, else a generated one (Pillow, deterministic).

Generated covers are JPEG, 900×383 (WeChat's 2.35:1 crop), at most 64 KB: that is the ``thumb``
material limit (JPG ≤ 64 KB), and a JPEG that small is also a valid ``image`` material, so the
publisher may use either upload. Same inputs, same Pillow build → same bytes (no timestamps, no
EXIF, fixed quality ladder).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from PIL import Image as PILImage, ImageDraw, ImageFont

from wxpub.core.content import Image
from wxpub.core.render.model import Cover

WIDTH, HEIGHT = 900, 383
MAX_THUMB_BYTES = 64 * 1024
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
_QUALITIES = (88, 80, 70, 60, 50, 40)


@functools.lru_cache(maxsize=8)
def _font(path: str, size: int):
    """Load a font once per process; None when it is missing or unreadable (never crash)."""
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return None


def _rgb(value: str, default: tuple[int, int, int]) -> tuple[int, int, int]:
    try:
        value = value.lstrip("#")
        return tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    except (ValueError, AttributeError):
        return default


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (CJK text breaks between any chars)."""
    lines, line = [], ""
    for char in text:
        if line and draw.textlength(line + char, font=font) > width:
            lines.append(line)
            line = char
        else:
            line += char
    return lines + ([line] if line else [])


def generate_cover(headline: str, subtitle: str, colours: dict[str, str] | None = None,
                   font_path: Path | str | None = CJK_FONT) -> Cover:
    """A JPEG cover: ``headline`` large, ``subtitle`` smaller, on the theme's colours.

    Without a usable CJK font the cover is a plain geometric design with no text.
    """
    colours = colours or {}
    background = _rgb(colours.get("background", ""), (183, 28, 28))
    band = _rgb(colours.get("band", ""), (142, 0, 0))
    ink = _rgb(colours.get("text", ""), (255, 255, 255))
    canvas = PILImage.new("RGB", (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, HEIGHT - 64, WIDTH, HEIGHT), fill=band)
    draw.ellipse((WIDTH - 260, -120, WIDTH + 120, 260), outline=band, width=28)
    draw.rectangle((60, 70, 72, 200), fill=ink)

    big = _font(str(font_path), 64) if font_path else None
    small = _font(str(font_path), 28) if font_path else None
    if big is not None and small is not None:
        y = 70
        for line in _wrap(draw, headline, big, WIDTH - 200)[:2]:
            draw.text((100, y), line, font=big, fill=ink)
            y += 80
        for line in _wrap(draw, subtitle, small, WIDTH - 200)[:2]:
            draw.text((100, y + 10), line, font=small, fill=ink)
            y += 40
    else:
        for i in range(5):
            draw.rectangle((100, 90 + i * 26, 100 + 520 - i * 70, 102 + i * 26), fill=ink)

    for quality in _QUALITIES:
        buf = io.BytesIO()
        canvas.save(buf, format="JPEG", quality=quality, optimize=False, progressive=False,
                    subsampling=2)
        if buf.tell() <= MAX_THUMB_BYTES:
            break
    return Cover(buf.getvalue(), "image/jpeg", generated=True, width=WIDTH, height=HEIGHT)


def cover_from_image(image: Image) -> Cover:
    """Wrap a supplied series image as the cover (bytes untouched, so its hash is stable)."""
    width = height = 0
    try:
        with PILImage.open(io.BytesIO(image.data)) as img:
            width, height = img.size
    except OSError:
        pass  # not decodable here; the publisher's upload will report it
    return Cover(image.data, image.content_type, generated=False, width=width, height=height)
