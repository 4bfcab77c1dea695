"""Images, permanent material and temporary media (reference §2).

File formats are recognised by their magic bytes, never by the file name. Error codes follow the
global table: 40004 bad `type=`, 40005 bad file format, 40009/40010/40011/40012 image/voice/video/
thumb too large, 41005 no `media` field, 44001 empty file, 40007 unknown media_id.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, request

from wxpub.sandbox.state import Material, SandboxState
from wxpub.sandbox.wire import WeChatError, as_int, json_body, wechat_endpoint

bp = Blueprint("sandbox_material", __name__)

KB, MB = 1024, 1024 * 1024
UPLOADIMG_LIMIT = 1 * MB
# type -> (accepted formats, size limit, errcode when too large)
PERMANENT_RULES = {
    "image": ({"jpeg", "png", "gif", "bmp"}, 10 * MB, 40009),
    "thumb": ({"jpeg"}, 64 * KB, 40012),
    "voice": ({"mp3", "wma", "wav", "amr"}, 2 * MB, 40010),
    "video": ({"mp4"}, 10 * MB, 40011),
}


def sniff(data: bytes) -> str | None:
    """Name the file format from magic bytes (jpeg, png, gif, bmp, mp3, wav, amr, wma, mp4)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data.startswith(b"#!AMR"):
        return "amr"
    if data.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "wma"
    if data[4:8] == b"ftyp":
        return "mp4"
    return None


def _read_media() -> tuple[bytes, str]:
    storage = request.files.get("media")
    if storage is None:
        raise WeChatError(41005)
    data = storage.read()
    if not data:
        raise WeChatError(44001)
    return data, storage.filename or "media"


def _image_url(state: SandboxState, fmt: str) -> str:
    folder = {"jpeg": "mmbiz_jpg", "png": "mmbiz_png", "gif": "mmbiz_gif"}.get(fmt, "mmbiz")
    ident = state.random_id(60, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return f"http://mmbiz.qpic.cn/{folder}/{ident}/0?wx_fmt={fmt}"


def _store(state: SandboxState, kind: str, data: bytes, filename: str, fmt: str,
           permanent: bool, description: dict | None = None) -> Material:
    with state.lock:
        media_id = state.random_id(64 if permanent else 54)
        url = _image_url(state, fmt) if kind in ("image", "thumb", "uploadimg") else ""
        item = Material(media_id=media_id, kind=kind, data=data, filename=filename, fmt=fmt,
                        url=url, created_at=state.now(), permanent=permanent,
                        description=description or {})
        state.materials[media_id] = item
        return item


def _validate(kind: str, data: bytes) -> str:
    if kind not in PERMANENT_RULES:
        raise WeChatError(40004, f"invalid media type hint: [{kind}]")
    formats, limit, size_code = PERMANENT_RULES[kind]
    fmt = sniff(data)
    if fmt not in formats:
        raise WeChatError(40005, f"invalid file type hint: [{kind} accepts {'/'.join(sorted(formats))}]")
    if len(data) > limit:
        raise WeChatError(size_code)
    return fmt


def find_permanent(state: SandboxState, media_id: object, kinds: tuple[str, ...]) -> Material | None:
    """The permanent material with this id if its type is one of `kinds`, else None."""
    with state.lock:
        item = state.materials.get(media_id) if isinstance(media_id, str) else None
        if item is None or not item.permanent or item.kind not in kinds:
            return None
        return item


@wechat_endpoint(bp, "/cgi-bin/media/uploadimg")
def uploadimg(state: SandboxState) -> dict:
    """Image for an article body: jpg/png, < 1 MB; answers only a mmbiz.qpic.cn URL."""
    data, filename = _read_media()
    fmt = sniff(data)
    if fmt not in ("jpeg", "png"):
        raise WeChatError(40005, "invalid file type hint: [uploadimg accepts jpg/png only]")
    if len(data) >= UPLOADIMG_LIMIT:
        raise WeChatError(40009, "invalid image size hint: [must be smaller than 1MB]")
    item = _store(state, "uploadimg", data, filename, fmt, permanent=False)
    return {"url": item.url, "errcode": 0, "errmsg": "ok"}


@wechat_endpoint(bp, "/cgi-bin/material/add_material")
def add_material(state: SandboxState) -> dict:
    """Permanent material; images answer media_id and url, other types only media_id."""
    kind = request.args.get("type", "")
    data, filename = _read_media()
    fmt = _validate(kind, data)
    description = {}
    if kind == "video":
        raw = request.form.get("description", "")
        try:
            description = json.loads(raw) if raw else {}
        except ValueError as exc:
            raise WeChatError(47001, "data format error hint: [description is not JSON]") from exc
        if not isinstance(description, dict) or not description.get("title"):
            raise WeChatError(40002, "invalid args hint: [video needs description.title]")
    item = _store(state, kind, data, filename, fmt, permanent=True, description=description)
    result: dict = {"media_id": item.media_id, "item": []}
    if kind == "image":
        result["url"] = item.url
    return result


@wechat_endpoint(bp, "/cgi-bin/media/upload")
def upload_temporary(state: SandboxState) -> dict:
    """Temporary media valid 3 days; its media_id is NOT accepted as a draft cover."""
    kind = request.args.get("type", "")
    data, filename = _read_media()
    fmt = _validate(kind, data)
    item = _store(state, kind, data, filename, fmt, permanent=False)
    return {"type": kind, "media_id": item.media_id, "created_at": int(item.created_at.timestamp())}


@wechat_endpoint(bp, "/cgi-bin/material/get_material")
def get_material(state: SandboxState):
    """Raw bytes for image/thumb/voice; JSON title/description/down_url for video."""
    media_id = json_body().get("media_id")
    item = find_permanent(state, media_id, ("image", "thumb", "voice", "video"))
    if item is None:
        raise WeChatError(40007)
    if item.kind == "video":
        return {"title": item.description.get("title", ""),
                "description": item.description.get("introduction", ""),
                "down_url": f"http://mpvideo.qpic.cn/sandbox/{item.media_id}.mp4"}
    mime = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp",
            "mp3": "audio/mpeg", "wav": "audio/wav", "amr": "audio/amr", "wma": "audio/x-ms-wma"}
    return Response(item.data, content_type=mime.get(item.fmt, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{item.filename}"'})


@wechat_endpoint(bp, "/cgi-bin/material/del_material")
def del_material(state: SandboxState) -> dict:
    """Delete permanent material (40007 if unknown)."""
    media_id = json_body().get("media_id")
    with state.lock:
        if find_permanent(state, media_id, ("image", "thumb", "voice", "video")) is None:
            raise WeChatError(40007)
        del state.materials[media_id]
    return {"errcode": 0, "errmsg": "ok"}


@wechat_endpoint(bp, "/cgi-bin/material/get_materialcount", methods=("GET",))
def get_materialcount(state: SandboxState) -> dict:
    """Counts of permanent material per type (thumbs count as images; news is always 0)."""
    counts = {"voice_count": 0, "video_count": 0, "image_count": 0, "news_count": 0}
    with state.lock:
        for item in state.materials.values():
            if item.permanent:
                key = "image_count" if item.kind in ("image", "thumb") else f"{item.kind}_count"
                counts[key] += 1
    return counts


@wechat_endpoint(bp, "/cgi-bin/material/batchget_material")
def batchget_material(state: SandboxState) -> dict:
    """Page through permanent material of one type, newest first."""
    body = json_body()
    kind = body.get("type")
    if kind not in ("image", "video", "voice", "news"):
        raise WeChatError(40004, f"invalid media type hint: [{kind}]")
    offset = as_int(body.get("offset", 0), name="offset")
    count = as_int(body.get("count", 20), name="count")
    if offset < 0 or not 1 <= count <= 20:
        raise WeChatError(40002, "invalid args hint: [offset >= 0, count 1..20]")
    kinds = ("image", "thumb") if kind == "image" else (kind,)
    with state.lock:
        items = [m for m in state.materials.values() if m.permanent and m.kind in kinds]
    items.sort(key=lambda m: m.created_at, reverse=True)
    page = items[offset:offset + count]
    return {"total_count": len(items), "item_count": len(page),
            "item": [{"media_id": m.media_id, "name": m.filename,
                      "update_time": int(m.created_at.timestamp()), "url": m.url} for m in page]}
