"""Images taken from sources: PNG, JPEG and GIF only, recognised by their bytes.

The content type a package declares (``[Content_Types].xml``) and a file's name are the author's
claims, not facts: an SVG or HTML file declared "image/png", or named ``image1.png``, would be stored
and later served from our origin. So every image an importer takes is opened with Pillow restricted
to those three formats, and the type stored with it is the one Pillow recognised.

An image that is not one of them is an error naming the file, the place and the image (not a silent
or warned drop): a picture is part of what a case says, and a refused file can be fixed and imported
again (``--keep-going`` still imports the rest of a batch).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image as PILImage

from wxpub.core.importers import errors
from wxpub.core.importers.errors import SourceError

#: Pillow format name → content type, the only images we keep or serve (WeChat takes the same).
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
ALLOWED_CONTENT_TYPES = frozenset(CONTENT_TYPES.values())
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}
ALLOWED_NAMES = "PNG、JPEG 或 GIF"

_TEXT_KINDS = ((b"<svg", " SVG 矢量图（可能含有脚本）"), (b"<!doctype html", "网页（HTML）"),
               (b"<html", "网页（HTML）"), (b"<script", "脚本"))
_OTHER_FORMATS = {"BMP": "BMP 位图", "TIFF": "TIFF 图片", "WEBP": "WebP 图片", "WMF": "WMF 图元文件",
                  "EMF": "EMF 图元文件", "ICO": "ICO 图标", "PSD": "Photoshop 文件"}


class _TooManyPixels(Exception):
    pass


def _open(data: bytes, formats) -> str:
    """Pillow's format name for ``data`` (restricted to ``formats``); raises when it is not one."""
    with warnings.catch_warnings():
        # Above Pillow's MAX_IMAGE_PIXELS (about 89 megapixels) a picture is a decompression bomb
        # rather than a photo of a service hall: refuse it instead of only warning.
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            with PILImage.open(io.BytesIO(data), formats=formats) as image:
                kind = image.format
                image.verify()
        except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError):
            raise _TooManyPixels() from None
    return kind


def sniff(data: bytes) -> str | None:
    """The content type of ``data`` when it is a readable PNG, JPEG or GIF image, else None."""
    if not data:
        return None
    try:
        kind = _open(data, tuple(CONTENT_TYPES))
    except Exception:  # noqa: BLE001 - whatever Pillow raises on hostile bytes means "not an image"
        return None
    return CONTENT_TYPES.get(kind)


def describe(data: bytes) -> str:
    """What ``data`` seems to be, in Chinese, for an error message (never trusted for anything)."""
    if not data:
        return "空文件"
    head = data[:1024].lower()
    for marker, name in _TEXT_KINDS:
        if marker in head:
            return name
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return " XML 或网页文本"
    try:
        kind = _open(data, None)
    except _TooManyPixels:
        return "像素过多的图片（疑似恶意文件）"
    except Exception:  # noqa: BLE001
        return "无法识别或已损坏的内容"
    if kind in CONTENT_TYPES:
        return f"已损坏的 {kind} 图片"
    return " " + _OTHER_FORMATS.get(kind, f"{kind} 格式的文件")


def verified_content_type(data: bytes, filename: str, location: str, image: str, *,
                          hint: str = "") -> str:
    """The content type ``data`` really has; ``SourceError`` naming ``image`` when it is not PNG/JPEG/GIF.

    ``hint`` is appended to the message (how to fix it in the author's program).
    """
    content_type = sniff(data)
    if content_type is not None:
        return content_type
    what = describe(data)
    code = errors.CORRUPT if what.startswith(("已损坏", "无法识别", "空文件")) else errors.UNSUPPORTED
    raise SourceError(filename, location,
                      f"图片“{image}”不是 {ALLOWED_NAMES} 图片，而是{what}，已拒绝导入。{hint}",
                      code)
