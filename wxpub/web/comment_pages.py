"""Readers' comments (留言) in the browser: the inbox, one comment, one article's comments.

* ``GET  /comments?state=unanswered|all&article=<id>``  the inbox: unanswered first with their age
  (``?release=<id>``: the first article of that release, for the release page's link)
* ``POST /comments/pull``                               拉取留言 now (all articles, or ``article_id``)
* ``GET  /comments/<id>``                               one comment, its actions and their history
* ``GET  /comments/article/<id>``                       one article's comments, 打开 / 关闭留言
* ``POST /comments/<id>/<kind>``                        reply, delete_reply, elect, unelect, delete
* ``POST /comments/article/<id>/<kind>``                open, close

Everyone logged in may look; the service (``wxpub.comments.service.act``) enforces the roles and
the page shows only what the person may do (a POST by anyone else gets the 403 page). Every action
is requested and delivered at once: POST → redirect → a flash saying what WeChat answered.
删除留言, 删除回复 and 关闭留言 need the confirm tick box (alerts.js asks in a dialog instead).
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from wxpub.comments import actions, page_queries, queries, service
from wxpub.comments.pull import pull
from wxpub.core.errors import ValidationError, WxpubError
from wxpub.web import db_session, runtime
from wxpub.web.api_common import flag
from wxpub.web.desk import actor, done, failed, login_only, now, tz

bp = Blueprint("comment_pages", __name__)
PER_PAGE = 50  # cards on one page of the inbox
MAX_PAGE = 200

ON_COMMENT = ("reply", "delete_reply", "elect", "unelect", "delete")
ON_ARTICLE = ("open", "close")
DESTRUCTIVE = {"delete": "确认删除这条留言（读者和其他人都将看不到）",
               "delete_reply": "确认删除这条回复", "close": "确认关闭这篇文章的留言"}
SENT = {"reply": "已回复：读者在文章留言区可以看到这条回复", "delete_reply": "已删除回复",
        "elect": "已设为精选：这条留言会显示在文章下方", "unelect": "已取消精选",
        "delete": "已删除留言", "open": "已打开留言：读者可以在文章下留言",
        "close": "已关闭留言：读者不能再留言，已有留言也不再显示"}
STATE_CHOICES = (("unanswered", "未回复"), ("all", "全部"))


def _answer_hours() -> float:
    return float(getattr(runtime().settings, "comment_answer_hours", queries.DEFAULT_ANSWER_HOURS))


def _may(kind: str) -> bool:
    return current_user.is_authenticated and actions.may(current_user, kind)


def _back(default: str):
    """Back where the form was (a path under /comments only), else ``default``."""
    target = request.form.get("back", "")
    return redirect(target if target.startswith("/comments") and "//" not in target else default)


def _page_context(rows=(), history=()) -> dict:
    names = page_queries.display_names(db_session(), [r["reply"]["by"] for r in rows if r["reply"]]
                                       + [(r["pending_action"] or r["failed_action"] or {}).get("requested_by")
                                          for r in rows] + [a.requested_by for a in history])
    return {"may": _may, "who": lambda name: names.get(name, name), "kind_names": queries.KIND_NAMES, "status_names": actions.STATUS_NAMES,
            "destructive": DESTRUCTIVE, "max_reply": actions.MAX_REPLY, "answer_hours": _answer_hours()}


@bp.get("/comments")
@login_only
def index():
    """The inbox: unanswered comments first (oldest first, with their age), then the rest."""
    session, error = db_session(), None
    state = request.args.get("state") or "unanswered"
    raw_article = (request.args.get("article") or "").strip()
    article_id = int(raw_article) if raw_article.isdigit() and len(raw_article) < 10 else None
    if raw_article and article_id is None:
        error = f"文章编号应为数字，而不是“{raw_article[:20]}”"
    raw_release = (request.args.get("release") or "").strip()
    if raw_release and article_id is None and not error:  # the release page's link: its article
        found = page_queries.release_articles(session, int(raw_release)) if raw_release.isdigit() \
            and len(raw_release) < 10 else []
        if found:
            article_id, raw_article = found[0], str(found[0])
        else:
            error = f"发布 {raw_release[:20]} 还没有可以留言的文章（发布成功后才有留言）"
    if article_id is not None and raw_article:
        state = request.args.get("state") or "all"  # an article's link (the audit log) shows all of it
    raw_page = (request.args.get("page") or "1").strip()
    page = min(int(raw_page), MAX_PAGE) if raw_page.isdigit() and int(raw_page) > 0 else 1
    # One page of cards (a long inbox is read a page at a time, and renders in time); one row more
    # tells whether there is a next page.
    wanted = dict(article_id=article_id, limit=page * PER_PAGE + 1, now=now(), tz=tz(),
                  answer_hours=_answer_hours())
    try:
        found = queries.inbox(session, state, **wanted)
    except ValidationError as refused:
        error, state = refused.message, "unanswered"
        found = queries.inbox(session, "unanswered", **wanted)
    rows, has_next = found[(page - 1) * PER_PAGE:page * PER_PAGE], len(found) > page * PER_PAGE
    followed = queries.articles(session)
    chosen = next((a for a in followed if a["id"] == article_id), None)
    if article_id is not None and chosen is None and not error:
        error = f"没有编号为 {article_id} 的留言文章"
    counts = queries.counts(session, now=now(), answer_hours=_answer_hours())
    return render_template("comments/index.html", rows=rows, shown=state, states=STATE_CHOICES,
                           article_id=article_id, chosen=chosen, followed=followed, counts=counts,
                           page=page, has_next=has_next, per_page=PER_PAGE,
                           error=error, can_pull=_may("reply"), **_page_context(rows)), 400 if error else 200


@bp.post("/comments/pull")
@login_only
def pull_now():
    """拉取留言: ask WeChat for new comments now (every open article, or one)."""
    if not _may("reply"):
        abort(403)
    raw = request.form.get("article_id", "")
    article_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    try:
        report = pull(runtime(), article_id=article_id)
    except WxpubError as error:
        failed(error)
        return _back(url_for("comment_pages.index"))
    if report.errors:
        failed(ValidationError(report.summary() + " " + "；".join(report.errors.values())))
    else:
        done(report.summary())
    return _back(url_for("comment_pages.index"))


@bp.get("/comments/<id:comment_id>")
@login_only
def comment(comment_id: int, *, text: str = "", error: str = "", status: int = 200):
    """One comment with what may be done with it, and what was done."""
    session = db_session()
    row = _one(session, comment_id)
    history = actions.actions_of(session, comment_id)
    return render_template("comments/comment.html", row=row, history=history, text=text,
                           reply_error=error, **_page_context([row], history)), status


def _one(session, comment_id: int) -> dict:
    from wxpub.models import ReaderComment
    found = session.get(ReaderComment, comment_id)
    if found is None:
        abort(404)
    rows = queries.article_comments(session, found.article_id, now=now(), tz=tz(), answer_hours=_answer_hours())
    return next(r for r in rows if r["id"] == comment_id)


@bp.get("/comments/article/<id:article_id>")
@login_only
def article(article_id: int):
    """Every comment of one article, in writing order; its comments open or closed."""
    session = db_session()
    try:
        followed = queries.get_article(session, article_id)
    except WxpubError:
        abort(404)
    info = next(a for a in queries.articles(session) if a["id"] == article_id)
    rows = queries.article_comments(session, article_id, now=now(), tz=tz(), answer_hours=_answer_hours())
    return render_template("comments/article.html", article=followed, info=info, rows=rows,
                           can_pull=_may("reply"), **_page_context(rows))


def _flash_outcome(kind: str, action) -> None:
    if action.status == "sent":
        done(SENT[kind])
    elif action.status == "failed":
        failed(ValidationError(f"{queries.KIND_NAMES[kind]}没有成功，微信拒绝了：{action.error_message or '原因未知'}"
                               + (f"（rid：{action.rid}）" if action.rid and action.rid not in
                                  (action.error_message or "") else "")))
    else:
        done(f"{queries.KIND_NAMES[kind]}已提交，正在发送；稍后刷新查看结果（系统会自动重试）")
    for warning in getattr(action, "warnings", []) or []:
        flash_warning(warning)


def flash_warning(text: str) -> None:
    """A non-blocking lint finding of a sent reply."""
    from flask import flash
    flash(f"审校提示：{text}", "error")


def _confirmed(kind: str, kinds) -> bool:
    """404 for an action this page does not offer, 403 for one the person may not take; False (with
    the reason flashed) when a destructive one lacks its tick box."""
    if kind not in kinds:
        abort(404)
    if not _may(kind):
        abort(403)
    if kind in DESTRUCTIVE and not flag(request.form.get("confirm")):
        failed(ValidationError(f"未{queries.KIND_NAMES[kind]}：请先勾选“{DESTRUCTIVE[kind]}”"))
        return False
    return True


@bp.post("/comments/<id:comment_id>/<kind>")
@login_only
def act_on_comment(comment_id: int, kind: str):
    """One action on one comment: requested and delivered at once."""
    here = url_for("comment_pages.comment", comment_id=comment_id)
    if not _confirmed(kind, ON_COMMENT):
        return _back(here)
    text = request.form.get("text", "")
    try:
        action = service.act(runtime(), actor=actor(), kind=kind, comment_id=comment_id, text=text)
    except ValidationError as refused:
        if kind == "reply":  # the text stays in the field, the findings next to it
            return comment(comment_id, text=text, error=refused.message, status=400)
        failed(refused)
        return _back(here)
    except WxpubError as refused:
        if refused.http_status in (403, 404):
            raise
        failed(refused)
        return _back(here)
    _flash_outcome(kind, action)
    return _back(here)


@bp.post("/comments/article/<id:article_id>/<kind>")
@login_only
def act_on_article(article_id: int, kind: str):
    """打开留言 / 关闭留言 of one article."""
    here = url_for("comment_pages.article", article_id=article_id)
    if not _confirmed(kind, ON_ARTICLE):
        return _back(here)
    try:
        action = service.act(runtime(), actor=actor(), kind=kind, article_id=article_id)
    except WxpubError as refused:
        if refused.http_status in (403, 404):
            raise
        failed(refused)
        return _back(here)
    _flash_outcome(kind, action)
    return _back(here)


def unanswered_count() -> int:
    """Comments waiting for a reply, for the menu: one query, at most once a request."""
    from sqlalchemy.exc import SQLAlchemyError
    if "comment_unanswered" not in g:
        try:
            g.comment_unanswered = queries.counts(db_session(), now=now(),
                                                  answer_hours=_answer_hours())["unanswered"]
        except SQLAlchemyError:  # the error page of a database failure must still render its menu
            g.comment_unanswered = 0
    return g.comment_unanswered


def init_app(app: Flask) -> None:
    """Register the 留言 pages and the menu's count."""
    app.register_blueprint(bp)

    @app.context_processor
    def _comment_count():
        return {"comment_count": unanswered_count} if current_user.is_authenticated else {}
