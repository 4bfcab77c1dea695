"""Staff dashboard (behind login): the library at a glance; readership views join it later."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import login_required
from sqlalchemy import func, select

from ..models import Case, Chapter, Series
from . import db_session

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@login_required
def overview():
    """Series → chapters with case counts by curation status."""
    session = db_session()
    rows = session.execute(
        select(Series.name, Chapter.id, Chapter.name, Case.status, func.count(Case.id))
        .join(Chapter, Chapter.series_id == Series.id)
        .outerjoin(Case, Case.chapter_id == Chapter.id)
        .group_by(Series.name, Chapter.id, Chapter.name, Chapter.position, Case.status)
        .order_by(Series.name, Chapter.position)).all()
    series: dict[str, dict] = {}
    for series_name, chapter_id, chapter_name, status, count in rows:
        chapters = series.setdefault(series_name, {})
        entry = chapters.setdefault(chapter_id, {"name": chapter_name, "pending": 0,
                                                 "selected": 0, "rejected": 0})
        if status:
            entry[status] += count
    return render_template("dashboard/overview.html", series=series)


def init_app(app: Flask) -> None:
    """Register the dashboard."""
    app.register_blueprint(bp)
