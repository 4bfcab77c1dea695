"""The manual fallback pack: everything staff need to publish a failed release from the MP web UI.

Written to ``<instance>/fallback/release-<id>/``: ``index.html`` (each article's final HTML with
uploaded image URLs where WeChat already has the images, local copies otherwise), ``images/`` (every
image and the cover), ``articles.json`` (titles, authors, digests) and ``步骤.txt`` (the steps in
plain Chinese). Written atomically (a temporary folder renamed into place).
"""

from __future__ import annotations

import html as _html
import json
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict
from wxpub.models import MediaFile, MessageVersion, Release, UploadedMedia
from wxpub.core.render import substitute_images
from wxpub.core.render.credits import append_credits
from wxpub.editorial.sheet import draft_credits

STEPS = """手工发布步骤（微信接口无法完成发布时使用）

1. 用管理员微信扫码登录 https://mp.weixin.qq.com 。
2. 进入“内容与互动 → 草稿箱 → 新的创作 → 写新图文”。
3. 打开本文件夹中的 index.html，按篇复制标题、作者、摘要和正文（正文请在浏览器中全选复制后粘贴，
   保留排版）；正文中的图片若显示为本地图片，请在编辑器中用 images/ 文件夹里的同名图片重新上传。
4. 封面：上传 images/ 中以 cover 开头的图片。
5. 核对内容与审批版本一致（哈希见 articles.json），按计划选择“发表”（不通知粉丝）或“群发”（通知粉丝）。
6. 发布后复制每篇文章的链接（文章页面右上角“复制链接”，含 __biz、mid、idx、sn 的完整链接），在本系统中
   记录：打开这次发布的发布页面，点“记录人工发布”并粘贴链接；或在服务器上运行
       wxpub release manual {release_id} "链接1" "链接2" … --as 你的用户名
   记录后这次发布显示为“人工发布”，系统不会再发送它，统计数据也会关联到它。
7. 告知管理员失败原因：{reason}
"""


def write_pack(session: Session, settings, release: Release) -> Path:
    """Write the pack for ``release`` and return its folder."""
    version_id = release.sent_version_id or release.approved_version_id
    version = session.get(MessageVersion, version_id) if version_id else None
    if version is None:
        raise ValueError("release has no content version")
    target = Path(settings.instance_path) / "fallback" / f"release-{release.id}"
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".release-{release.id}-"))
    (work / "images").mkdir()
    uploaded = {row.sha256: row.url for row in session.scalars(select(UploadedMedia).where(
        UploadedMedia.account_id == release.account_id, UploadedMedia.kind == "uploadimg"))}
    sections, meta = [], []
    try:
        credits = draft_credits(session, version)  # the reviewers' line, as the draft would end
    except Conflict:
        credits = ""  # never signed off: the pack is for a person to check and publish by hand
    for article in version.articles:
        urls = {}
        for sha in article.image_sha256s:
            blob = session.get(MediaFile, sha)
            name = f"{sha[:16]}.{'png' if blob and blob.content_type == 'image/png' else 'jpg'}"
            if blob is not None:
                (work / "images" / name).write_bytes(blob.data)
            urls[sha] = uploaded.get(sha) or f"images/{name}"
        if article.cover_sha256:
            cover = session.get(MediaFile, article.cover_sha256)
            if cover is not None:
                (work / "images" / f"cover-{article.idx}.jpg").write_bytes(cover.data)
        body = append_credits(substitute_images(article.html, urls), credits)
        sections.append(f"<article><h1>{_html.escape(article.title)}</h1>"
                        f"<p><b>作者：</b>{_html.escape(article.author or '（空）')}</p>"
                        f"<p><b>摘要：</b>{_html.escape(article.digest)}</p><hr>{body}</article><hr>")
        meta.append({"idx": article.idx, "title": article.title, "author": article.author,
                     "digest": article.digest, "sha256": article.sha256})
    page = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>手工发布材料：发布 {release.id}</title></head>"
            '<body style="max-width:680px;margin:auto">' + "".join(sections) + "</body></html>")
    (work / "index.html").write_text(page, encoding="utf-8")
    (work / "articles.json").write_text(json.dumps({"release": release.id, "message_sha256": version.sha256,
                                                    "articles": meta}, ensure_ascii=False, indent=2),
                                        encoding="utf-8")
    (work / "步骤.txt").write_text(STEPS.format(release_id=release.id,
                                                  reason=release.error_message or "见系统告警"), encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.replace(work, target)
    return target
