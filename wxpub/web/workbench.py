"""工作台 (``GET /workbench``): a member of staff's start page after logging in.

* 需要我处理 — the reviews waiting for me (``wxpub.editorial.todo``), failed or held releases
  (each links to ``/releases/<id>``), the open alerts (``wxpub.notify.inbox``);
* 接下来的发布 — the next releases still to go out, in Beijing time, with chapter, 发布/群发, state;
* 账号状态 — per account, days since it last published against the silence rule (warning and
  alarm days from the settings, ``wxpub.releases.liveness``) and the date of that publication.

Reads only, a handful of queries (two per account for the liveness; offices have one or two).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, redirect, render_template
from flask_login import current_user
from sqlalchemy import or_, select

from wxpub.core.release_states import State, mode_name, state_name
from wxpub.editorial import todo
from wxpub.models import Account, Chapter, Release
from wxpub.notify import inbox
from wxpub.releases import liveness
from wxpub.staff.users import has_role
from wxpub.web import db_session, runtime
from wxpub.web.desk import login_only, now

bp = Blueprint("workbench", __name__)
SHOWN_REVIEWS = 6
SHOWN_ALERTS = 3
SHOWN_TROUBLE = 10
NEXT_RELEASES = 5
TROUBLE = (State.FAILED.value, State.HELD.value)
UPCOMING = (State.PLANNED.value, State.APPROVED.value, State.PUBLISHING.value)


@dataclass
class Row:
    """One release as the workbench lists it."""

    id: int
    chapter: str
    account: str
    mode: str
    state: str
    state_name: str
    scheduled_at: object
    reason: str


@dataclass
class AccountStatus:
    """One account against the silence rule."""

    name: str
    appid: str
    status: liveness.Liveness
    sentence: str


def _rows(session, condition, order, limit: int) -> list[Row]:
    query = (select(Release, Chapter.name, Account.name).join(Chapter, Release.chapter_id == Chapter.id)
             .join(Account, Release.account_id == Account.id).where(*condition).order_by(*order).limit(limit))
    return [Row(r.id, chapter, account, mode_name(r.mode), r.state, state_name(r.state), r.scheduled_at,
                (r.error_message or "").strip()) for r, chapter, account in session.execute(query)]


def summary(session, user, settings, at) -> dict:
    """Everything the workbench shows for ``user`` at ``at``."""
    waiting = todo.waiting_for(session, user, settings.review_policy)
    trouble = _rows(session, [Release.state.in_(TROUBLE)], [Release.scheduled_at, Release.id], SHOWN_TROUBLE + 1)
    upcoming = _rows(session, [Release.state.in_(UPCOMING),  # one going out right now included
                               or_(Release.scheduled_at >= at, Release.state == State.PUBLISHING.value)],
                     [Release.scheduled_at, Release.id], NEXT_RELEASES)
    alert_counts = inbox.counts(session)
    unresolved = [a for a in inbox.listing(session, limit=SHOWN_ALERTS * 2) if a.resolved_at is None]
    accounts = []
    for account in session.scalars(select(Account).order_by(Account.id)):
        state = liveness.status(session, now=at, warn_days=settings.silence_warn_days,
                                alarm_days=settings.silence_alarm_days, account_id=account.id)
        accounts.append(AccountStatus(account.name, account.appid, state, state.describe(settings.tz)))
    return {"waiting": waiting[:SHOWN_REVIEWS], "waiting_count": len(waiting),
            "trouble": trouble[:SHOWN_TROUBLE], "trouble_more": len(trouble) > SHOWN_TROUBLE,
            "upcoming": upcoming, "alert_counts": alert_counts,
            "alerts": unresolved[:SHOWN_ALERTS], "accounts": accounts,
            "warn_days": settings.silence_warn_days, "alarm_days": settings.silence_alarm_days}


@bp.get("/workbench")
@login_only
def index():
    """The logged-in person's workbench (a 评审专家 has none: their start page is 评选)."""
    if current_user.role == "expert":
        return redirect("/rate")
    settings = runtime().settings
    data = summary(db_session(), current_user, settings, now())
    nothing = not (data["waiting_count"] or data["trouble"] or data["alert_counts"]["open"]
                   or data["alert_counts"]["acknowledged"])
    return render_template("workbench/index.html", nothing=nothing,
                           can_act=has_role(current_user, *inbox.ACT_ROLES),
                           severity_names=inbox.SEVERITY_NAMES, **data)


def init_app(app: Flask) -> None:
    """Register the workbench page."""
    app.register_blueprint(bp)
