"""评选 pages of the office: the rounds (``/ratings``), a new round, one round (its cases and panel:
add a 评审专家 user, invite an outside expert, close), its results (commend, sign off, XLSX) and
the printable 评选结果. The experts' own pages are ``wxpub.web.rating_sheet_pages``.

Plain forms: POST → one service function (``wxpub.rating``) → redirect → a flashed message. An
invitation link is shown once, on the answer to the POST (it is never flashed: a flash travels in
the session cookie). Office roles only (editors, approvers, admins); others get 403.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import Blueprint, Flask, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wxpub.core.errors import WxpubError
from wxpub.core.rating import DEFAULT_CRITERIA
from wxpub.infra.clock import local
from wxpub.models import Series, User
from wxpub.models.rating import LEVELS
from wxpub.rating import export, results as rating_results, rounds, sheets
from wxpub.staff.users import has_role
from wxpub.stats.exports import content_disposition
from wxpub.web import db_session
from wxpub.web.desk import actor, done, failed, login_only, now, tz

bp = Blueprint("rating_pages", __name__)
OFFICE_ROLES = ("editor", "approver")  # and admins (has_role)
EXTRA_CRITERIA_ROWS = 2  # empty rows under the defaults on the new-round form
DEFAULT_DAYS = 14  # the deadline the form proposes
SHEET_STATE_NAMES = {"draft": "填写中", "submitted": "已提交", "superseded": "已被更正"}


def office_only(view):
    """The view is the office's (editors, approvers, admins); anyone else gets the 403 page."""
    @wraps(view)
    @login_only
    def wrapped(*args, **kwargs):
        if not has_role(current_user, *OFFICE_ROLES):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def is_office(user) -> bool:
    """True when ``user`` may see the office's 评选 pages (the menu shows 评选 then)."""
    return user.is_authenticated and has_role(user, *OFFICE_ROLES)


def _round_or_404(round_id: int):
    try:
        return rounds.get(db_session(), round_id)
    except WxpubError:
        abort(404)




def _panel(round_id: int) -> list[dict]:
    """The round's experts with the state of their current sheet."""
    session = db_session()
    out = []
    for expert in rounds.experts_of(session, round_id):
        sheet = sheets.current_sheet(session, expert.id)
        out.append({"expert": expert, "sheet": sheet,
                    "state": SHEET_STATE_NAMES.get(sheet.state, sheet.state) if sheet else "未开始",
                    "invited": expert.user_id is None})
    return out


def parse_beijing(text: str, field: str) -> datetime:
    """``YYYY-MM-DD HH:MM`` (or the ``T`` of a datetime-local field) in Beijing time → UTC-aware."""
    text = (text or "").strip().replace("T", " ")
    try:
        local = datetime.strptime(text[:16], "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(f"{field}应为“年-月-日 时:分”（北京时间），例如 2026-12-31 17:00") from None
    return local.replace(tzinfo=tz()).astimezone(timezone.utc)


def _criteria_from_form(form) -> list[dict]:
    """The criteria rows of the form (empty rows skipped); numbers checked by the service."""
    out = []
    for n in range(1, len(DEFAULT_CRITERIA) + EXTRA_CRITERIA_ROWS + 1):
        name = form.get(f"crit-name-{n}", "").strip()
        weight, top = form.get(f"crit-weight-{n}", "").strip(), form.get(f"crit-max-{n}", "").strip()
        if not (name or weight or top):
            continue
        try:
            out.append({"name": name, "weight": float(weight), "max": float(top)})
        except ValueError:
            raise ValueError(f"第 {n} 项评分标准（{name or '未命名'}）：权重和满分应为数字") from None
    return out


@bp.get("/ratings")
@office_only
def listing():
    """Every round, newest first, with its state and deadline."""
    session = db_session()
    rows = rounds.listing(session)
    series = {s.id: s.name for s in session.scalars(select(Series))}
    return render_template("rating/list.html", rows=rows, series=series)


def _new_form(values: dict | None = None, error: str = "", status: int = 200):
    session = db_session()
    rows = [{"name": n, "weight": w, "max": m} for n, w, m in DEFAULT_CRITERIA]
    rows += [{"name": "", "weight": "", "max": ""}] * EXTRA_CRITERIA_ROWS
    if values is not None:
        rows = [{"name": values.get(f"crit-name-{i}", ""), "weight": values.get(f"crit-weight-{i}", ""),
                 "max": values.get(f"crit-max-{i}", "")} for i in range(1, len(rows) + 1)]
    return render_template("rating/new.html", series=list(session.scalars(select(Series).order_by(Series.name))),
                           rows=rows, values=values or {}, error=error, default_deadline=_default_deadline()), status


def _default_deadline() -> str:
    """Two weeks from today, 17:00 Beijing time (what an office would announce)."""
    day = local(now(), tz()) + timedelta(days=DEFAULT_DAYS)
    return day.strftime("%Y-%m-%d") + " 17:00"


@bp.get("/ratings/new")
@office_only
def new():
    """The new-round form: series, name, deadline, criteria (the four defaults, editable)."""
    return _new_form()


@bp.post("/ratings/new")
@office_only
def create():
    """Create the round (its cases: the series' published ones) and open it."""
    form = request.form
    try:
        deadline = parse_beijing(form.get("deadline", ""), "截止时间")
        criteria = _criteria_from_form(form)
        made = rounds.create_round(db_session(), series=form.get("series", ""), name=form.get("name", ""),
                                   deadline=deadline, criteria=criteria or None,
                                   show_others=bool(form.get("show_others")), actor=actor(), now=now())
    except (ValueError, WxpubError) as error:
        return _new_form(form.to_dict(), str(error), 400)
    done(f"已创建评选“{made.name}”。请添加评审专家或发出邀请链接。")
    return redirect(url_for("rating_pages.detail", round_id=made.id))


@bp.get("/ratings/<id:round_id>")
@office_only
def detail(round_id: int):
    """One round: its cases, its panel (who submitted), add / invite an expert, close."""
    return _detail(round_id)


def _detail(round_id: int, invited: dict | None = None):
    session = db_session()
    row = _round_or_404(round_id)
    panel = _panel(round_id)
    on_panel = {p["expert"].user_id for p in panel}
    experts = [u for u in session.scalars(select(User).where(User.role == "expert").order_by(User.username))
               if u.id not in on_panel]
    return render_template("rating/detail.html", round=row, series=session.get(Series, row.series_id),
                           cases=rounds.cases_of(session, round_id), panel=panel, experts=experts, invited=invited,
                           is_open=row.state == "open")


def _act(round_id: int, action, message: str, *, to: str = "rating_pages.detail", anchor: str = ""):
    """Run ``action``, flash its outcome, go back to the round's page (or ``to``)."""
    try:
        action()
    except (ValueError, WxpubError) as error:
        failed(error)
    else:
        done(message)
    return redirect(url_for(to, round_id=round_id) + anchor)


@bp.post("/ratings/<id:round_id>/experts")
@office_only
def add_expert(round_id: int):
    """Put a 评审专家 user on the panel."""
    username = request.form.get("username", "").strip()
    return _act(round_id, lambda: rounds.add_expert(db_session(), round_id, username=username,
                                                    unit=request.form.get("unit", "").strip(),
                                                    actor=actor(), now=now()),
                f"已将 {username} 加入评审专家组。")


@bp.post("/ratings/<id:round_id>/invite")
@office_only
def invite(round_id: int):
    """Invite an outside expert: the link is shown once, on this answer."""
    form = request.form
    try:
        days = int(form.get("days", "14") or 14)
        expert, token = rounds.invite_expert(db_session(), round_id, name=form.get("name", "").strip(),
                                             unit=form.get("unit", "").strip(), days=days,
                                             actor=actor(), now=now())
    except ValueError:
        failed(ValueError("有效天数应为整数"))
        return redirect(url_for("rating_pages.detail", round_id=round_id))
    except WxpubError as error:
        failed(error)
        return redirect(url_for("rating_pages.detail", round_id=round_id))
    link = url_for("rating_sheet_pages.invited_sheet", token=token, _external=True)
    response = Response(_detail(round_id, invited={"expert": expert, "link": link}))
    response.headers["Cache-Control"] = "no-store"  # the link is a credential
    return response


@bp.post("/ratings/<id:round_id>/close")
@office_only
def close(round_id: int):
    """Close the round (confirmed by a tick box): no sheet changes any more, results are final."""
    if not request.form.get("confirm"):
        failed(ValueError("请先勾选“确认结束评选”"))
        return redirect(url_for("rating_pages.detail", round_id=round_id))
    return _act(round_id, lambda: rounds.close_round(db_session(), round_id, actor=actor(), now=now()),
                "评选已结束，不能再提交或更正评分表。")


@bp.get("/ratings/<id:round_id>/results")
@office_only
def results_page(round_id: int):
    """Ranks and figures per case, the experts' agreement, commend and sign-off forms."""
    row = _round_or_404(round_id)
    data = rating_results.results(db_session(), round_id, tz=tz())
    return render_template("rating/results.html", round=row, data=data, levels=LEVELS,
                           panel=_panel(round_id), signed_at=_signed_at(row))


def _signed_at(row):
    """When the sign-off was recorded (stored as ISO 8601 text), for the Beijing-time filter."""
    text = (row.signoff or {}).get("at")
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _back_to_results(round_id: int, action, message: str):
    return _act(round_id, action, message, to="rating_pages.results_page", anchor="#results")


@bp.post("/ratings/<id:round_id>/commend")
@office_only
def commend(round_id: int):
    """Mark a case 优秀案例 with a level, or (``remove``) take the mark away."""
    form = request.form
    try:
        case_id = int(form.get("case_id", ""))
    except ValueError:
        abort(400)
    if form.get("remove"):
        return _back_to_results(round_id, lambda: rating_results.uncommend(
            db_session(), round_id, case_id, actor=actor(), now=now()), "已取消表彰。")
    level = form.get("level", "")
    return _back_to_results(round_id, lambda: rating_results.commend(
        db_session(), round_id, case_id, level, actor=actor(), now=now()), f"已表彰为优秀案例·{level}。")


@bp.post("/ratings/<id:round_id>/honours")
@office_only
def honours(round_id: int):
    """Compose the 表彰 chapter from the commended cases, then go to its compose page."""
    from wxpub.rating.honours import honours_chapter
    session = db_session()
    ranks = {c["case_id"]: c["rank"] for c in rating_results.results(session, round_id, tz=tz())["cases"]}
    try:
        chapter = honours_chapter(session, round_id, name=request.form.get("name", ""), actor=actor(),
                                  now=now(), ranks=ranks)
    except WxpubError as error:
        failed(error)
        return redirect(url_for("rating_pages.results_page", round_id=round_id) + "#h-honours")
    done(f"已生成篇章“{chapter.name}”（{len(chapter.cases)} 个案例），请排版后送审。")
    return redirect(url_for("composer.page", chapter_id=chapter.id))


@bp.post("/ratings/<id:round_id>/signoff")
@office_only
def signoff(round_id: int):
    """Record the panel's sign-off (one name a line) shown on the printed result."""
    names = [n.strip() for n in request.form.get("names", "").splitlines() if n.strip()]
    return _back_to_results(round_id, lambda: rating_results.sign_off(
        db_session(), round_id, names=names, actor=actor(), now=now()), "已记录评审组签字名单。")


@bp.get("/ratings/<id:round_id>/results.xlsx")
@office_only
def results_xlsx(round_id: int):
    """The scores and results as an Excel workbook, named after the round."""
    row = _round_or_404(round_id)
    data = export.xlsx(db_session(), round_id)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": content_disposition(
                        f"{row.name}-评选结果", "xlsx", ascii_stem=f"rating-{row.id}-results")})


@bp.get("/ratings/<id:round_id>/results/print")
@office_only
def results_print(round_id: int):
    """The printable 评选结果 with the panel's sign-off lines."""
    row = _round_or_404(round_id)
    session = db_session()
    return render_template("rating/print.html", round=row, data=rating_results.results(session, round_id, tz=tz()),
                           series=session.get(Series, row.series_id), panel=_panel(round_id),
                           printed_at=now(), signed_at=_signed_at(row))


def init_app(app: Flask) -> None:
    """Register the office's and the experts' 评选 pages, and ``is_rating_office`` for the menu."""
    from wxpub.web import rating_sheet_pages
    app.register_blueprint(bp)
    rating_sheet_pages.init_app(app)

    @app.context_processor
    def _rating_menu():
        return {"is_rating_office": lambda: is_office(current_user)}
