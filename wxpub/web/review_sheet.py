"""The 信息发布审核表 in the browser and as Word, for the file and for the paper archive.

* ``GET /review/messages/<id>/sheet``            the sheet of the message's current version
                                                 (a redirect to the version's own address)
* ``GET /review/versions/<id>/sheet``            one exact version: the archived sheet when its
                                                 chain completed, else the live draft, marked
                                                 "审核未完成（草稿，不可作为存档）"
* ``GET /review/versions/<id>/sheet.docx``       the same rows as a Word document

Everyone logged in may look (the sheet holds nothing the review page does not show). The page
is an A4 form (``static/sheet.css``: one page for a typical chapter article); its 打印 button is
``static/sheet.js``. Both the page and the .docx print ``wxpub.editorial.sheet.view`` of the
same data, so paper, Word and archive never differ.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Flask, Response, redirect, render_template, url_for
from sqlalchemy import select

from wxpub.core.errors import NotFound
from wxpub.editorial import chain, sheet, sheet_docx
from wxpub.models import Message, MessageVersion, Signoff
from wxpub.web import db_session, runtime
from wxpub.web.desk import login_only, tz

bp = Blueprint("review_sheet", __name__)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _version(session, version_id: int) -> MessageVersion:
    version = session.get(MessageVersion, version_id)
    if version is None:
        raise NotFound(f"没有编号为 {version_id} 的消息版本")
    return version


def _sheet(session, version: MessageVersion) -> tuple[dict, object]:
    """The sheet's data and its archive row (None for a live draft)."""
    archived = sheet.frozen(session, version.id)
    if archived is not None:
        return archived.data, archived
    data = sheet.build(session, version.message, version, policy=runtime().settings.review_policy,
                       tz=tz())
    return data, None


def _notes(session, version: MessageVersion, archived) -> list[str]:
    """What a reader of this sheet must know beside it (voided sign-offs, a newer version)."""
    notes = []
    message = version.message
    if message.current_version_id != version.id and message.current_version is not None:
        notes.append(f"这是 v{version.version} 的审核表；本消息的当前版本是 v{message.current_version.version}。")
    if archived is not None and not chain.sealed(session, version.id):
        voided = session.scalar(select(Signoff).where(Signoff.message_version_id == version.id,
                                                      Signoff.voided_at.is_not(None))
                                .order_by(Signoff.voided_at.desc()))
        reason = voided.void_reason if voided is not None and voided.void_reason else "内容已修改"
        notes.append(f"此表存档后，本版本的审核签署已作废（{reason}）：存档保留作记录，不能据此发布。")
    return notes


def _others(session, version: MessageVersion) -> list[dict]:
    """The message's other versions, each with whether its sheet is archived (for links)."""
    rows = session.scalars(select(MessageVersion).where(MessageVersion.message_id == version.message_id)
                           .order_by(MessageVersion.version)).all()
    return [{"id": v.id, "version": v.version, "archived": sheet.frozen(session, v.id) is not None}
            for v in rows if v.id != version.id]


@bp.get("/review/messages/<id:message_id>/sheet")
@login_only
def current(message_id: int):
    """The sheet of the message's current version."""
    message = db_session().get(Message, message_id)
    if message is None:
        raise NotFound(f"没有编号为 {message_id} 的消息")
    if message.current_version_id is None:
        raise NotFound(f"消息 {message_id} 还没有排版好的内容，没有审核表")
    return redirect(url_for("review_sheet.page", version_id=message.current_version_id))


@bp.get("/review/versions/<id:version_id>/sheet")
@login_only
def page(version_id: int):
    """One version's sheet as an A4 form."""
    session = db_session()
    version = _version(session, version_id)
    data, archived = _sheet(session, version)
    return render_template("review/sheet.html", v=sheet.view(data, archived), version=version,
                           message_id=version.message_id, notes=_notes(session, version, archived),
                           others=_others(session, version))


def download_name(data: dict, draft: bool) -> str:
    """"信息发布审核表-消息12-v3.docx" ("…-草稿.docx" before the chain completes)."""
    return f"{sheet.FORM}-消息{data.get('message_id', '')}-v{data.get('version', '')}" \
           f"{'-草稿' if draft else ''}.docx"


@bp.get("/review/versions/<id:version_id>/sheet.docx")
@login_only
def docx(version_id: int):
    """The same sheet as a Word document (an attachment with a Chinese file name)."""
    session = db_session()
    version = _version(session, version_id)
    data, archived = _sheet(session, version)
    name = download_name(data, archived is None)
    fallback = f"review-sheet-{data.get('message_id', '')}-v{data.get('version', '')}.docx"
    response = Response(sheet_docx.document(sheet.view(data, archived)), mimetype=DOCX_TYPE)
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{fallback}\"; "
                                               f"filename*=UTF-8''{quote(name, safe='')}")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
