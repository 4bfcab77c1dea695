"""Series and chapters in the browser (``/series``): list, create, edit, open/close, cover, and the
chapters of a series in order (rename, intro, up/down, 新建篇章).

Plain forms that work without JavaScript: POST → one service call (``wxpub.library.series``,
``service.set_series_cover``) → redirect → a flashed message. A refused form is shown again with
what was typed and the reason beside it. Everyone logged in may look; only editors may change.

* ``GET  /series``                          the series, and 新建系列 (editors)
* ``POST /series``                          create a series with its chapters
* ``GET  /series/<id>``                     one series: its forms and its chapters in order
* ``POST /series/<id>``                     name and intro
* ``POST /series/<id>/state``               open (``open=1``) or close (ticked ``confirm``) for imports
* ``POST /series/<id>/cover``               upload the cover image
* ``POST /series/<id>/comments``            留言设置: ``policy=everyone|followers|closed``
* ``POST /series/<id>/chapters``            新建篇章
* ``POST /series/chapters/<id>``            rename a chapter, change its intro
* ``POST /series/chapters/<id>/move``       ``direction=up|down``
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for

from wxpub.core.content import STANDARD_CHAPTERS
from wxpub.core.errors import WxpubError
from wxpub.library import catalog, series as series_service, service
from wxpub.models.comments import COMMENT_POLICIES
from wxpub.web import db_session, upload_limit
from wxpub.web.desk import actor, done, editor_only, failed, login_only, now

bp = Blueprint("series_pages", __name__)
MAX_COVER_UPLOAD = service.MAX_COVER_BYTES + 512 * 1024  # the form's own bytes on top of the image
CONFIRM = "请勾选确认框"
# The 留言设置 choices, each with what it means for readers (the series page's radio buttons).
POLICIES = [(key, COMMENT_POLICIES[key][0], meaning) for key, meaning in (
    ("everyone", "文章打开留言，任何读者都可以留言"),
    ("followers", "文章打开留言，只有关注了公众号的读者可以留言"),
    ("closed", "文章不打开留言，读者无法在文章下互动"))]


def _text(name: str) -> str:
    return request.form.get(name, "")


def _status(error: WxpubError) -> int:
    return error.http_status if 400 <= error.http_status < 500 else 400


@bp.get("/series")
@login_only
def series_list():
    """Every series with its state and numbers of chapters and cases; 新建系列 for editors."""
    return _list_page()


def _list_page(*, error: str | None = None, values: dict | None = None, status: int = 200):
    session = db_session()
    rows = series_service.list_series(session)
    counts = catalog.counts_by_chapter(session)
    listing = [{"series": s, "chapters": len(s.chapters),
                "totals": catalog.series_totals(s.chapters, counts)} for s in rows]
    values = values or {"name": "", "intro": "", "chapters": "\n".join(STANDARD_CHAPTERS)}
    return render_template("series/list.html", listing=listing, error=error, values=values,
                           policy_name=series_service.policy_name), status


@bp.post("/series")
@editor_only
def series_create():
    """Create a series: name, intro (a paragraph per line), the chapters in order (one per line)."""
    values = {"name": _text("name"), "intro": _text("intro"), "chapters": _text("chapters")}
    try:
        row = series_service.create_series(db_session(), values["name"], chapters=values["chapters"],
                                           intro=values["intro"], actor=actor(), now=now())
    except WxpubError as refused:
        return _list_page(error=refused.message, values=values, status=_status(refused))
    names = "、".join(c.name for c in row.chapters) or "还没有篇章"
    done(f"已新建系列“{row.name}”（篇章：{names}），现在可以向它导入案例。")
    return redirect(url_for("series_pages.series_detail", series_id=row.id))


@bp.get("/series/<id:series_id>")
@login_only
def series_detail(series_id: int):
    """One series: name, intro, open/closed, cover, and its chapters in order with their counts."""
    return _detail_page(series_id)


def _detail_page(series_id: int, *, form: str | None = None, error: str | None = None,
                 values: dict | None = None, status: int = 200):
    """The series page; a refused ``form`` is shown with its ``values`` and the ``error``."""
    session = db_session()
    row = series_service.get_series(session, series_id)
    chapters = sorted(row.chapters, key=lambda c: (c.position, c.id))
    counts = catalog.counts_by_chapter(session, [row.id])
    return render_template(
        "series/detail.html", series=row, chapters=chapters, counts=counts, policies=POLICIES,
        policy_name=series_service.policy_name,
        empty=catalog.empty_counts(), totals=catalog.series_totals(chapters, counts),
        form=form, error=error, values=values or {}), status


def _act(series_id: int, form: str, action, message, values: dict | None = None):
    """Run ``action`` (one service call); redirect to the series page with ``message(result)``
    flashed, or show the page again with the refusal beside ``form``."""
    try:
        result = action()
    except WxpubError as refused:
        if values is None:  # nothing typed that would be lost: a flashed message is enough
            failed(refused)
            return redirect(url_for("series_pages.series_detail", series_id=series_id))
        return _detail_page(series_id, form=form, error=refused.message, values=values,
                            status=_status(refused))
    done(message(result))
    anchor = form if form.startswith("chapter-") else None
    return redirect(url_for("series_pages.series_detail", series_id=series_id, _anchor=anchor))


@bp.post("/series/<id:series_id>")
@editor_only
def series_update(series_id: int):
    """Change the series' name and intro."""
    values = {"name": _text("name"), "intro": _text("intro")}
    return _act(series_id, "edit", lambda: series_service.update_series(
        db_session(), series_id, name=values["name"], intro=values["intro"], actor=actor(), now=now()),
        lambda row: f"已保存系列“{row.name}”的名称和简介。", values)


@bp.post("/series/<id:series_id>/state")
@editor_only
def series_state(series_id: int):
    """Open the series for imports, or close it (closing needs the ticked box)."""
    opening = request.form.get("open") == "1"
    if not opening and request.form.get("confirm") != "y":
        return _detail_page(series_id, form="state", error=f"关闭系列：{CONFIRM}", status=400)
    return _act(series_id, "state", lambda: series_service.update_series(
        db_session(), series_id, is_open=opening, actor=actor(), now=now()),
        lambda row: f"系列“{row.name}”" + ("已开放，可以向它导入案例。" if opening else
                                          "已关闭：不再接受导入，已有案例不受影响。"))


@bp.post("/series/<id:series_id>/comments")
@editor_only
def series_comments(series_id: int):
    """留言设置: who may comment on the series' articles (everyone, followers only, nobody)."""
    policy = request.form.get("policy", "")
    return _act(series_id, "comments", lambda: series_service.set_comment_policy(
        db_session(), series_id, policy, actor=actor(), now=now()),
        lambda row: f"已保存系列“{row.name}”的留言设置：{series_service.policy_name(row.comment_policy)}。"
                    "之后发布的文章按此设置打开或关闭留言，已发布的文章不变。", {"policy": policy})


@bp.post("/series/<id:series_id>/cover")
@editor_only
@upload_limit(MAX_COVER_UPLOAD)
def series_cover(series_id: int):
    """Use the uploaded JPG or PNG as the series' cover."""
    session = db_session()
    row = series_service.get_series(session, series_id)
    upload = request.files.get("cover")
    if upload is None or not upload.filename:
        return _detail_page(series_id, form="cover", error="封面图片：请选择一个 JPG 或 PNG 文件",
                            status=400)
    data = upload.read()
    return _act(series_id, "cover", lambda: service.set_series_cover(
        session, row.name, data, upload.filename, actor=actor(), now=now()),
        lambda _row: f"已更换系列封面（{upload.filename}）。", {})


@bp.post("/series/<id:series_id>/chapters")
@editor_only
def chapter_create(series_id: int):
    """新建篇章: a chapter added at the end of the series."""
    values = {"name": _text("name"), "intro": _text("intro")}
    return _act(series_id, "new-chapter", lambda: series_service.add_chapter(
        db_session(), series_id, values["name"], intro=values["intro"], actor=actor(), now=now()),
        lambda chapter: f"已新建篇章“{chapter.name}”（排在第 {chapter.position} 位）。", values)


@bp.post("/series/chapters/<id:chapter_id>")
@editor_only
def chapter_update(chapter_id: int):
    """Rename a chapter and change its intro."""
    chapter = series_service.get_chapter(db_session(), chapter_id)
    values = {"name": _text("name"), "intro": _text("intro"), "chapter_id": chapter_id}
    return _act(chapter.series_id, f"chapter-{chapter_id}", lambda: series_service.update_chapter(
        db_session(), chapter_id, name=values["name"], intro=values["intro"], actor=actor(), now=now()),
        lambda row: f"已保存篇章“{row.name}”。", values)


@bp.post("/series/chapters/<id:chapter_id>/move")
@editor_only
def chapter_move(chapter_id: int):
    """Move a chapter one place up or down in its series."""
    direction = request.form.get("direction")
    chapter = series_service.get_chapter(db_session(), chapter_id)
    if direction not in ("up", "down"):
        failed(WxpubError("移动篇章：方向只能是上移或下移"))
        return redirect(url_for("series_pages.series_detail", series_id=chapter.series_id))
    return _act(chapter.series_id, f"chapter-{chapter_id}", lambda: series_service.move_chapter(
        db_session(), chapter_id, -1 if direction == "up" else 1, actor=actor(), now=now()),
        lambda row: f"已把篇章“{row.name}”{'上移' if direction == 'up' else '下移'}，"
                    f"现在排第 {row.position} 位。")


def init_app(app: Flask) -> None:
    """Register the series pages."""
    app.register_blueprint(bp)
