"""A person's notices in the browser (``/notices``), newest first; mark one or all read.

* ``GET  /notices``                  the logged-in person's notices (unread ones first marked)
* ``POST /notices/<id>/read``        mark one read (``next``: a page of this site to go to after,
                                     e.g. the case the notice is about)
* ``POST /notices/read-all``         mark every unread one read

A person sees and marks only their own notices (someone else's id is a 404).
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for

from wxpub.core.errors import NotFound
from wxpub.staff import notices
from wxpub.web import db_session
from wxpub.web.desk import actor, done, failed, login_only, now

bp = Blueprint("notices", __name__, url_prefix="/notices")
KIND_NAMES = {"content_changed": "内容已修改"}


def _local(target: str) -> str | None:
    """``target`` when it is a path of this site ("/library/cases/3"), else None."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


@bp.get("")
@login_only
def index():
    """The current person's notices, newest first."""
    rows = notices.list_notices(db_session(), actor())
    unread = sum(row.read_at is None for row in rows)
    return render_template("notices/index.html", rows=rows, unread=unread, kinds=KIND_NAMES,
                           local=_local)


@bp.post("/<id:notice_id>/read")
@login_only
def read(notice_id: int):
    """Mark one notice read; then go to ``next`` (a page of this site) or back to the list."""
    try:
        row = notices.mark_read(db_session(), actor(), notice_id, now=now())
    except NotFound as error:
        failed(error)
        return redirect(url_for("notices.index"))
    target = _local(request.form.get("next", ""))
    if target:
        return redirect(target)
    done("已标为已读")
    return redirect(url_for("notices.index") + f"#notice-{row.id}")


@bp.post("/read-all")
@login_only
def read_all():
    """Mark every unread notice of the current person read."""
    count = notices.mark_all_read(db_session(), actor(), now=now())
    done(f"已把 {count} 条通知标为已读" if count else "没有未读的通知")
    return redirect(url_for("notices.index"))


def init_app(app: Flask) -> None:
    """Register the notice pages."""
    app.register_blueprint(bp)
