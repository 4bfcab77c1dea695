"""Phone preview of stored message versions (behind login), exactly as they will be sent."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from wxpub.core.importers import images
from wxpub.editorial import compose
from wxpub.models import Chapter, MediaFile, Message, MessageVersion, Series
from wxpub.core.render import preview_page
from wxpub.web import db_session

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
    """The current version of a message."""
    row = db_session().get(Message, message_id)
    if row is None or row.current_version is None:
        abort(404)
    return _page(row.current_version)


@bp.get("/versions/<id:version_id>")
@login_required
def version(version_id: int):
    """One exact stored version (what an approval refers to)."""
    row = db_session().get(MessageVersion, version_id)
    if row is None:
        abort(404)
    return _page(row)


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


def _page(version: MessageVersion) -> Response:
    rendered, findings = compose.stored_message(db_session(), version)
    urls = {sha: url_for("preview.media", sha256=sha) for sha in rendered.images}
    return Response(preview_page(rendered, findings, image_urls=urls), mimetype="text/html")


def init_app(app: Flask) -> None:
    """Register the preview pages."""
    app.register_blueprint(bp)
