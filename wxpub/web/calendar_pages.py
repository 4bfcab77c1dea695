"""发布日历 in the browser (``/calendar``): one account's releases as a month or week grid, with
statutory holidays and 调休, blackout days, the 群发 quota and silent runs (``wxpub.releases.calendar``).

* ``GET /calendar?account=<name|appid>&month=YYYY-MM``          the month (default: this month)
* ``GET /calendar?account=…&view=week&week=YYYY-MM-DD``         the week of that Monday
* ``GET /calendar?…&year=YYYY&mon=M``                           the month chooser (works without JS)

Every member of staff who is logged in may look; a bad parameter is the 400 page naming it.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request

from wxpub.releases import calendar
from wxpub.web import db_session, runtime
from wxpub.web.desk import login_only, now

bp = Blueprint("calendar_pages", __name__)


@bp.get("/calendar")
@login_only
def index():
    """The month or week grid of one account."""
    shown = calendar.page(db_session(), request.args, settings=runtime().settings, now=now())
    return render_template("calendar/index.html", page=shown, months=range(1, 13))


def init_app(app: Flask) -> None:
    """Register the calendar's blueprint."""
    app.register_blueprint(bp)
