"""Phone preview of stored message versions (behind login), exactly as they will be sent.

``/preview/messages/<id>`` shows what was sent once the message was published (a later version
never replaces it; a banner links to the newer one); ``/preview/versions/<id>`` one exact version."""

from __future__ import annotations

import html as _html

from flask import Blueprint, Flask, Response, abort, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from wxpub.core.importers import images
from wxpub.editorial import compose, history
from wxpub.models import Chapter, MediaFile, Message, MessageVersion, Series
from wxpub.core.render import preview_page
from wxpub.web import db_session, runtime

bp = Blueprint("preview", __name__, url_prefix="/preview")


@bp.get("/")
@login_required
def index():
    """Every composed message with its current version."""
    session = db_session()
    rows = session.execute(
        select(Message, Chapter, Series).join(Chapter, Message.chapter_id == Chapter.id)
        .join(Series, Chapter.series_id == Series.id)
        .order_by(Series.name, Chapter.position, Message.part)).all()
    return render_template("preview/index.html", rows=rows)


@bp.get("/messages/<id:message_id>")
@login_required
def message(message_id: int):
    """A message as it went out when it was published (what was sent is never replaced by a
    later version), else its current version."""
    session = db_session()
    row = session.get(Message, message_id)
    if row is None or row.current_version is None:
        abort(404)
    release = history.sent(session, row.id)
    if release is None:
        return _page(row.current_version)
    sent = session.get(MessageVersion, release.sent_version_id)
    return _page(sent, banner=_sent_banner(release, sent, row.current_version))


@bp.get("/versions/<id:version_id>")
@login_required
def version(version_id: int):
    """One exact stored version (what an approval refers to)."""
    session = db_session()
    row = session.get(MessageVersion, version_id)
    if row is None:
        abort(404)
    release = history.sent(session, row.message_id)
    banner = ""
    if release is not None:
        sent = session.get(MessageVersion, release.sent_version_id)
        if sent.id == row.id:
            banner = _sent_banner(release, sent, row.message.current_version)
        else:
            banner = (f'<p class="banner" role="status">这是 v{row.version}，未发布；此消息已于 '
                      f'{_html.escape(_when(release))} 发布的是 v{sent.version} → '
                      f'<a href="{url_for("preview.message", message_id=row.message_id)}">查看已发布的 '
                      f'v{sent.version}</a></p>')
    return _page(row, banner=banner)


def _when(release) -> str:
    from wxpub.infra.clock import format_local
    return format_local(release.published_at, runtime().settings.tz) if release.published_at else "（时间未记录）"


def _sent_banner(release, sent: MessageVersion, current: MessageVersion | None) -> str:
    """"此消息已于 … 发布（v1）；之后生成的新版本 v2 尚未发布 → 查看 v2" (Beijing time)."""
    text = f"此消息已于 {_html.escape(_when(release))}（北京时间）发布（v{sent.version}），这里显示的是发出的内容"
    if current is not None and current.id != sent.id:
        link = url_for("preview.version", version_id=current.id)
        return (f'<p class="banner" role="status">{text}；之后生成的新版本 v{current.version} 尚未发布 → '
                f'<a href="{link}">查看 v{current.version}</a></p>')
    return f'<p class="banner sent" role="status">{text}。</p>'


#: Headers of every stored image we serve: the browser must not guess another type, run anything in
#: it (an SVG or HTML blob opened directly would run script on our origin), or treat it as a page.
MEDIA_HEADERS = {"X-Content-Type-Options": "nosniff",
                 "Content-Security-Policy": "default-src 'none'; sandbox",
                 "Cache-Control": "private, max-age=86400"}


@bp.get("/media/<sha256>")
@login_required
def media(sha256: str):
    """An image of the library, by content hash (local: previews work offline).

    Only PNG, JPEG and GIF are served, with the type their bytes prove (checked again here, since a
    blob stored by an older version was taken on the source's word); anything else is a 404: nothing
    in the preview needs it, and serving it even as a download would hand out a hostile file.
    """
    blob = db_session().get(MediaFile, sha256)
    content_type = images.sniff(blob.data) if blob is not None else None
    if content_type is None:
        abort(404)
    filename = f"{blob.sha256}.{images.EXTENSIONS[content_type]}"
    return Response(blob.data, mimetype=content_type,
                    headers={**MEDIA_HEADERS, "Content-Disposition": f'inline; filename="{filename}"'})


def _back_links(version: MessageVersion) -> str:
    """The way back from a standalone preview: the chapter's composer, the preview list, the library."""
    chapter_id = version.message.chapter_id
    return (f'<p class="banner" style="background:#fff"><a href="/chapters/{chapter_id}/compose">'
            '← 返回排版与预览</a> · <a href="/preview/">全部预览</a> · <a href="/library">案例库</a></p>')


def _page(version: MessageVersion, *, banner: str = "") -> Response:
    banner = _back_links(version) + banner
    rendered, findings = compose.stored_message(db_session(), version, image_data=False)
    urls = {ref.sha256: url_for("preview.media", sha256=ref.sha256)
            for article in rendered.articles for ref in article.image_refs}
    covers = {row.idx - 1: url_for("preview.media", sha256=row.cover_sha256)
              for row in version.articles if row.cover_sha256}
    return Response(preview_page(rendered, findings, image_urls=urls, banner=banner,
                                 cover_urls=covers, message_sha256=version.sha256),
                    mimetype="text/html")


def init_app(app: Flask) -> None:
    """Register the preview pages."""
    app.register_blueprint(bp)
