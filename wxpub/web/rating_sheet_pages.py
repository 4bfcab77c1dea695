"""评选 pages of the experts: ``/rate`` (the rounds of the logged-in 评审专家), ``/rate/<round>``
(their sheet) and ``/rate/i/<token>`` (an invited outside expert, no login: the token in the
address is the credential; it is never logged by us and never leaves in a Referer, the app's
``Referrer-Policy: same-origin``).

Each case is shown as it was published (the sent version's article HTML, already sanitised when it
was rendered; its images from this blueprint, for the panel only), then a score per criterion,
a comment and the 回避 declaration, saved per case (POST → redirect to ``#case-N``). 提交评分表
freezes the sheet; 更正 (with a reason) opens a correction. Others' scores are never shown here.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wxpub.core.errors import WxpubError
from wxpub.core.importers import images
from wxpub.core.render.preview import with_images
from wxpub.infra.clock import as_utc
from wxpub.models import Article, MediaFile
from wxpub.models.rating import RatingCase, RatingExpert
from wxpub.rating import rounds, sheets
from wxpub.web import db_session
from wxpub.web.desk import done, failed, login_only, now
from wxpub.web.preview import MEDIA_HEADERS

bp = Blueprint("rating_sheet_pages", __name__)
PRIVATE = {"Cache-Control": "no-store"}  # a sheet (and the invite link in its address) is not cached


@bp.before_request
def _hide_token() -> None:
    """An invitation's token is a credential: from here on the request's path (which our own logs
    show, ``wxpub.web.errors``) carries only its first characters."""
    token = (request.view_args or {}).get("token")
    if token:
        request.path = request.path.replace(token, token[:8] + "…")


def _of_user(round_id: int) -> RatingExpert:
    try:
        return rounds.expert_of_user(db_session(), round_id, current_user.username)
    except WxpubError:
        abort(404)


def _of_token(token: str) -> RatingExpert:
    expert = rounds.expert_by_invite(db_session(), token, now())
    if expert is None:
        abort(Response(render_template("rating/invalid.html"), status=404, headers=PRIVATE))
    return expert


def _urls(expert: RatingExpert, token: str | None) -> dict:
    """Where this expert's forms go (the login way or the invitation way)."""
    if token:
        args, prefix = {"token": token}, "rating_sheet_pages.invited_"
    else:
        args, prefix = {"round_id": expert.round_id}, "rating_sheet_pages.user_"
    return {"sheet": url_for(prefix + "sheet", **args), "submit": url_for(prefix + "submit", **args),
            "correct": url_for(prefix + "correct", **args),
            "save": lambda rc_id: url_for(prefix + "save", rating_case_id=rc_id, **args),
            "media": lambda sha: url_for(prefix + "media", sha256=sha, **args)}


def _article_html(article: Article | None, media) -> str:
    if article is None:
        return ""
    return with_images(article.html, {sha: media(sha) for sha in article.image_sha256s or []})


def _sheet(expert: RatingExpert, token: str | None):
    session = db_session()
    row = rounds.get(session, expert.round_id)
    urls = _urls(expert, token)
    sheet = sheets.current_sheet(session, expert.id)
    entries = sheets.entries(session, sheet.id) if sheet is not None else {}
    cases = []
    for number, rc in enumerate(session.scalars(select(RatingCase).where(RatingCase.round_id == row.id)
                                                .order_by(RatingCase.position, RatingCase.id)), start=1):
        article = session.get(Article, rc.article_id) if rc.article_id else None
        entry = entries.get(rc.id)
        same_unit = bool(expert.unit.strip()) and expert.unit.strip() == (rc.unit or "").strip()
        cases.append({"n": number, "case": rc, "entry": entry, "title": article.title if article else rc.title,
                      "html": _article_html(article, urls["media"]),
                      "conflict": entry.conflict if entry is not None else same_unit,
                      "done": entry is not None and (entry.conflict or len(entry.scores or {}) == len(row.criteria))})
    frozen = sheet is not None and sheet.state == "submitted"
    writable = row.state == "open" and as_utc(now()) < as_utc(row.deadline)
    body = render_template("rating/sheet.html", round=row, expert=expert, sheet=sheet, cases=cases, urls=urls,
                           frozen=frozen, writable=writable, invited=token is not None,
                           filled=sum(1 for c in cases if c["done"]))
    return Response(body, headers=PRIVATE)


def _scores(form, criteria: list[dict]) -> dict:
    """The filled score fields (empty ones left out: a draft may be partial)."""
    out = {}
    for i, criterion in enumerate(criteria, start=1):
        text = form.get(f"score-{i}", "").strip()
        if not text:
            continue
        try:
            out[criterion["name"]] = float(text)
        except ValueError:
            raise ValueError(f"“{criterion['name']}”的分数应为数字，而不是“{text}”") from None
    return out


def _save(expert: RatingExpert, token: str | None, rating_case_id: int):
    session = db_session()
    row = rounds.get(session, expert.round_id)
    rc = session.get(RatingCase, rating_case_id)
    if rc is None or rc.round_id != row.id:
        abort(404)
    form = request.form
    conflict = bool(form.get("conflict"))
    try:
        sheets.save_entry(session, expert.id, rating_case_id, scores={} if conflict else _scores(form, row.criteria),
                          comment=form.get("comment", ""), conflict=conflict, actor=_actor(expert), now=now())
    except (ValueError, WxpubError) as error:
        failed(error)
    else:
        done(f"已保存“{rc.title}”的{'回避声明' if conflict else '评分'}。")
    return redirect(_urls(expert, token)["sheet"] + f"#case-{rating_case_id}")


def _submit(expert: RatingExpert, token: str | None):
    if not request.form.get("confirm"):
        failed(ValueError("请先勾选“确认提交”：提交后评分表不能再修改"))
    else:
        try:
            sheets.submit_sheet(db_session(), expert.id, actor=_actor(expert), now=now())
        except WxpubError as error:
            failed(error)
        else:
            done("评分表已提交。谢谢！如发现错误，可以在下方申请更正。")
    return redirect(_urls(expert, token)["sheet"] + "#submit")


def _correct(expert: RatingExpert, token: str | None):
    try:
        sheets.correct_sheet(db_session(), expert.id, reason=request.form.get("reason", "").strip(),
                             actor=_actor(expert), now=now())
    except WxpubError as error:
        failed(error)
    else:
        done("已开始更正：修改后请再次提交评分表；原评分表在新表提交前仍然有效。")
    return redirect(_urls(expert, token)["sheet"])


def _actor(expert: RatingExpert) -> str:
    """Who acts in the audit trail: the staff user, or the invited expert by name."""
    if expert.user_id is not None and current_user.is_authenticated:
        return current_user.username
    return f"外部专家:{expert.name}"


def _media(expert: RatingExpert, sha256: str):
    """An image of one of the round's articles (nothing else), with the preview's headers."""
    session = db_session()
    article_ids = [rc.article_id for rc in session.scalars(select(RatingCase).where(
        RatingCase.round_id == expert.round_id)) if rc.article_id]
    shown = any(sha256 in (a.image_sha256s or []) for a in
                session.scalars(select(Article).where(Article.id.in_(article_ids))))
    blob = session.get(MediaFile, sha256) if shown else None
    content_type = images.sniff(blob.data) if blob is not None else None
    if content_type is None:
        abort(404)
    return Response(blob.data, mimetype=content_type, headers=MEDIA_HEADERS)


@bp.get("/rate")
@login_only
def my_rounds():
    """The rounds the logged-in person is on the panel of."""
    session = db_session()
    mine = []
    for row in rounds.listing(session):
        try:
            expert = rounds.expert_of_user(session, row.id, current_user.username)
        except WxpubError:
            continue
        mine.append({"round": row, "sheet": sheets.current_sheet(session, expert.id)})
    return render_template("rating/mine.html", rows=mine)


@bp.get("/rate/<id:round_id>")
@login_only
def user_sheet(round_id: int):
    """The logged-in expert's sheet of the round."""
    return _sheet(_of_user(round_id), None)


@bp.post("/rate/<id:round_id>/cases/<id:rating_case_id>")
@login_only
def user_save(round_id: int, rating_case_id: int):
    """Save one case of the logged-in expert's sheet."""
    return _save(_of_user(round_id), None, rating_case_id)


@bp.post("/rate/<id:round_id>/submit")
@login_only
def user_submit(round_id: int):
    """Submit the logged-in expert's sheet."""
    return _submit(_of_user(round_id), None)


@bp.post("/rate/<id:round_id>/correct")
@login_only
def user_correct(round_id: int):
    """Start a correction of the logged-in expert's submitted sheet."""
    return _correct(_of_user(round_id), None)


@bp.get("/rate/<id:round_id>/media/<sha256>")
@login_only
def user_media(round_id: int, sha256: str):
    """An image of the round's articles, for a panel member."""
    return _media(_of_user(round_id), sha256)


@bp.get("/rate/i/<token>")
def invited_sheet(token: str):
    """An invited expert's sheet (the link is the credential)."""
    return _sheet(_of_token(token), token)


@bp.post("/rate/i/<token>/cases/<id:rating_case_id>")
def invited_save(token: str, rating_case_id: int):
    """Save one case of an invited expert's sheet."""
    return _save(_of_token(token), token, rating_case_id)


@bp.post("/rate/i/<token>/submit")
def invited_submit(token: str):
    """Submit an invited expert's sheet."""
    return _submit(_of_token(token), token)


@bp.post("/rate/i/<token>/correct")
def invited_correct(token: str):
    """Start a correction of an invited expert's submitted sheet."""
    return _correct(_of_token(token), token)


@bp.get("/rate/i/<token>/media/<sha256>")
def invited_media(token: str, sha256: str):
    """An image of the round's articles, for an invited expert."""
    return _media(_of_token(token), sha256)


def init_app(app: Flask) -> None:
    """Register the experts' pages (called by ``wxpub.web.rating_pages``)."""
    app.register_blueprint(bp)
