"""The case library in the browser (``/library``): per series and chapter, every case with its state,
score, order, unit and latest version; bulk 入选 / 淘汰 / 恢复待定; order by up/down buttons (plain
forms) and by drag and drop (``static/library.js``); filter by state and search; counts per chapter.

The page is filtered, counted and paged in SQL (``wxpub.library.catalog``); changes go through
``wxpub.library.curation`` (one transaction each). Everyone logged in may look; editors change.

* ``GET  /library?series=&chapter=&status=&q=&page=``   the library (50 cases a page)
* ``POST /library/status``   ``case_id`` (repeated), ``status`` → bulk state
* ``POST /library/move``     ``move=<case id>:up|down`` → one place in its chapter
* ``POST /library/scores``   ``score-<id>`` (and ``was-<id>``, what the page showed) → changed scores
* ``POST /library/order``    ``chapter``, ``case_ids`` (repeated) → the dragged order (JSON to fetch)

Every POST takes ``back``: the library view to return to (only ``/library?…`` is followed).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, jsonify, redirect, render_template, request, url_for

from wxpub.core.errors import ValidationError, WxpubError
from wxpub.library import catalog, curation, series as series_service, service
from wxpub.web import MAX_ID, db_session
from wxpub.web.desk import actor, done, editor_only, failed, login_only, now

bp = Blueprint("library_pages", __name__)
STATUS_NAMES = catalog.STATUS_NAMES
SHOWN_TITLES = 5


def _id(value, what: str) -> int | None:
    """An id from the query or a form: None when absent, else a positive integer ≤ MAX_ID."""
    if value is None or value == "":
        return None
    value = str(value).strip()
    if not value.isdigit() or len(value) > 10 or not 0 < int(value) <= MAX_ID:
        raise ValidationError(f"{what}应为编号（正整数），而不是“{value[:20]}”")
    return int(value)


@bp.get("/library")
@login_only
def index():
    """The library view chosen by the query: series, chapter (or all), state, search, page."""
    session = db_session()
    args = request.args
    series_id, chapter_id = _id(args.get("series"), "系列"), _id(args.get("chapter"), "篇章")
    if series_id is not None:
        series = series_service.get_series(session, series_id)
    elif chapter_id is not None:  # a link to a chapter names its series through it
        series = series_service.get_chapter(session, chapter_id).series
    else:
        series = catalog.default_series(session)
    if series is None:
        return render_template("library/index.html", series=None,
                               all_series=[], chapters=[]), 200
    chapter = catalog.chapter_in_series(session, series, chapter_id) if chapter_id else None
    page_no = _id(args.get("page"), "页码") or 1
    filters = catalog.clean_filters(series.id, chapter_id=chapter_id, status=args.get("status"),
                                    q=args.get("q"), page=page_no)
    page = catalog.library_page(session, filters)
    counts = catalog.counts_by_chapter(session, [series.id])
    chapters = sorted(series.chapters, key=lambda c: (c.position, c.id))
    view = {"series": series.id, "chapter": chapter_id, "status": filters.status,
            "q": filters.q or None}
    return render_template(
        "library/index.html", series=series, all_series=series_service.list_series(session),
        chapters=chapters, chapter=chapter, counts=counts, empty=catalog.empty_counts(),
        totals=catalog.series_totals(chapters, counts), filters=filters, page=page, view=view,
        back=_view_url(view, page.page), prev_url=_view_url(view, page.page - 1),
        next_url=_view_url(view, page.page + 1),
        reorderable=chapter is not None and not filters.status and not filters.q,
        status_names=STATUS_NAMES)


def _view_url(view: dict, page: int) -> str:
    """The address of a library view's page ``page`` (no ``page`` argument for the first)."""
    return url_for("library_pages.index", **view, page=page if page > 1 else None)


def _back(anchor: str | None = None):
    """Redirect to the library view the form came from (``back``), or the library's start."""
    target = urlsplit(request.form.get("back", ""))
    url = url_for("library_pages.index")
    if not target.scheme and not target.netloc and target.path == url:
        url = url + (f"?{target.query}" if target.query else "")
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _titles(rows) -> str:
    names = [(f"{r.number:02d} " if r.number is not None else "") + r.title for r in rows]
    shown = "、".join(f"“{n}”" for n in names[:SHOWN_TITLES])
    return shown + (f"等 {len(names)} 个案例" if len(names) > SHOWN_TITLES else "")


@bp.post("/library/status")
@editor_only
def bulk_status():
    """入选 / 淘汰 / 恢复待定 for every ticked case, in one transaction."""
    status = request.form.get("status", "")
    try:
        ids = [i for i in (_id(v, "案例") for v in request.form.getlist("case_id")) if i]
        if status not in STATUS_NAMES:
            raise ValidationError("请用“入选”“淘汰”或“恢复待定”按钮提交")
        if not ids:
            raise ValidationError("没有勾选案例：请先在列表左侧勾选要处理的案例，再点按钮")
        rows = curation.set_statuses(db_session(), ids, status, actor=actor(), now=now())
    except WxpubError as refused:
        failed(refused)
        return _back()
    done(f"已将 {len(rows)} 个案例设为“{STATUS_NAMES[status]}”：{_titles(rows)}。")
    return _back()


@bp.post("/library/move")
@editor_only
def move():
    """↑ / ↓: move one case a place up or down in its chapter."""
    case_value, _, direction = request.form.get("move", "").partition(":")
    try:
        case_id = _id(case_value, "案例")
        if case_id is None or direction not in ("up", "down"):
            raise ValidationError("请用案例行里的“上移”“下移”按钮调整顺序")
        session = db_session()
        before = service.get_case(session, case_id).position
        row = curation.move_case(session, case_id, -1 if direction == "up" else 1,
                                 actor=actor(), now=now())
    except WxpubError as refused:
        failed(refused)
        return _back()
    if row.position == before:
        done(f"“{row.title}”已经在篇章“{row.chapter.name}”的{'最前' if direction == 'up' else '最后'}。")
    else:
        done(f"已把“{row.title}”{'上移' if direction == 'up' else '下移'}到第 {row.position} 位。")
    return _back(f"case-{case_id}")


@bp.post("/library/scores")
@editor_only
def scores():
    """Save the scores changed on the page (every ``score-<id>`` that differs from ``was-<id>``)."""
    changed = {}
    try:
        for key, value in request.form.items():
            if key.startswith("score-"):
                case_id = _id(key[len("score-"):], "案例")
                if value.strip() != request.form.get(f"was-{case_id}", "").strip():
                    changed[case_id] = value
        if not changed:
            done("评分没有变化。")
            return _back()
        rows = curation.set_scores(db_session(), changed, actor=actor(), now=now())
    except WxpubError as refused:
        failed(refused)
        return _back()
    if rows:
        done("已保存评分：" + "、".join(
            f"“{r.title}” {'%g' % r.score if r.score is not None else '（清除）'}" for r in rows) + "。")
    else:
        done("评分没有变化。")
    return _back(f"case-{next(iter(changed))}" if len(changed) == 1 else None)


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or \
        request.accept_mimetypes.best == "application/json"


@bp.post("/library/order")
@editor_only
def order():
    """The order of a chapter's rows after a drag and drop: the posted cases take the places they
    held, in the posted order. Answers JSON to ``fetch`` (the script), a redirect to a form."""
    try:
        chapter_id = _id(request.form.get("chapter"), "篇章")
        ids = [i for i in (_id(v, "案例") for v in request.form.getlist("case_ids")) if i]
        if chapter_id is None or not ids:
            raise ValidationError("排序请求不完整：缺少篇章或案例")
        ordered = curation.arrange(db_session(), chapter_id, ids, actor=actor(), now=now())
    except WxpubError as refused:
        if _wants_json():
            return jsonify({"ok": False, "message": refused.message}), \
                refused.http_status if refused.http_status < 500 else 400
        failed(refused)
        return _back()
    message = f"已保存新的顺序（篇章“{ordered[0].chapter.name}”）。"
    if _wants_json():
        return jsonify({"ok": True, "message": message,
                        "positions": {str(r.id): r.position for r in ordered}})
    done(message)
    return _back()


def init_app(app: Flask) -> None:
    """Register the library pages."""
    app.register_blueprint(bp)
