"""Images to WeChat through a content-hash cache, and the exact ``draft/add`` payload of a version.

An image is uploaded once per account and kind (``uploadimg`` for body images; a permanent ``thumb`` or
``image`` material for covers) and the result committed at once, so neither a retry nor a crash uploads
it twice. Used by the publisher and by the pre-flight dry run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wxpub.core.errors import WxpubError
from wxpub.core.render.credits import append_credits
from wxpub.editorial.sheet import draft_credits
from wxpub.models import COMMENT_POLICIES, MediaFile, MessageVersion, Series, UploadedMedia
from wxpub.core.render import substitute_images

THUMB_LIMIT = 64 * 1024


def ensure_uploaded(session: Session, wx, account_id: int, sha: str, kind: str, *, now: datetime,
                    commit: Callable[[], None], before_store: Callable[[str], None] = lambda kind: None
                    ) -> UploadedMedia:
    """The cached upload of image ``sha`` (``kind``: "uploadimg" or "cover"), uploading if needed."""
    blob = session.get(MediaFile, sha)
    if blob is None:
        raise WxpubError(f"图片 {sha[:12]} 不在媒体库中，无法上传")
    if kind == "cover":
        kind = "thumb" if blob.content_type == "image/jpeg" and blob.size <= THUMB_LIMIT else "image"
    cached = session.scalar(select(UploadedMedia).where(
        UploadedMedia.account_id == account_id, UploadedMedia.sha256 == sha, UploadedMedia.kind == kind))
    if cached is not None:
        return cached
    name = f"{sha[:16]}.{'png' if blob.content_type == 'image/png' else 'jpg'}"
    if kind == "uploadimg":
        url, media_id = wx.media.upload_image((name, blob.data)), None
    else:
        add = wx.material.add_thumb if kind == "thumb" else wx.material.add_image
        result = add((name, blob.data))
        url, media_id = result.get("url", ""), result["media_id"]
    before_store(kind)
    row = UploadedMedia(account_id=account_id, sha256=sha, kind=kind, url=url, media_id=media_id,
                        created_at=now)
    session.add(row)
    try:
        commit()
    except IntegrityError:
        # Another release uploaded the same image at the same moment: use the row that won.
        session.rollback()
        return session.scalar(select(UploadedMedia).where(
            UploadedMedia.account_id == account_id, UploadedMedia.sha256 == sha,
            UploadedMedia.kind == kind))
    return row


def draft_payload(session: Session, wx, account_id: int, version: MessageVersion, *, now: datetime,
                  commit: Callable[[], None], before_store=lambda kind: None) -> list[dict]:
    """The ``draft/add`` articles for ``version``: approved HTML with uploaded image URLs (and,
    for a theme with credits, the reviewers' line from the archived 审核表 at the end)."""
    multi = len(version.articles) > 1
    credits = draft_credits(session, version)
    # Comments (留言) as the series chooses: everyone, followers only, or closed.
    series = session.get(Series, version.message.series_id) if version.message is not None else None
    policy = getattr(series, "comment_policy", None) or "everyone"
    comments = dict(COMMENT_POLICIES.get(policy, COMMENT_POLICIES["everyone"])[1])
    out = []
    for article in version.articles:
        urls = {sha: ensure_uploaded(session, wx, account_id, sha, "uploadimg", now=now, commit=commit,
                                     before_store=before_store).url
                for sha in article.image_sha256s}
        cover = ensure_uploaded(session, wx, account_id, article.cover_sha256, "cover", now=now,
                                commit=commit, before_store=before_store)
        out.append({"title": article.title, "author": article.author,
                    "digest": "" if multi else article.digest,
                    "content": append_credits(substitute_images(article.html, urls), credits),
                    "content_source_url": article.content_source_url,
                    "thumb_media_id": cover.media_id, **comments})
    return out
