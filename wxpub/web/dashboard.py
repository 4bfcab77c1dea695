"""Staff dashboard (behind login): readership by series, chapter and article, the release
calendar, data freshness, the library summary, exports and the monthly report.

Routes (all under ``/dashboard``):

* ``/`` overview — ``/overview.json`` the same figures as JSON;
* ``/article/<msgid>`` one article; ``/chapters`` chapter comparison;
* ``/calendar?month=YYYY-MM`` releases with states; ``/report?month=YYYY-MM`` printable report;
* ``/export/<table>.<csv|xlsx>?month=&msgid=`` any table (names in ``wxpub.stats.tables``).
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, Flask, Response, abort, jsonify, render_template, request
from flask_login import login_required

from wxpub.infra.clock import format_local
from wxpub.core.errors import ValidationError
from wxpub.stats import charts, exports, queries, tables
from wxpub.stats.dates import beijing_today
from wxpub.web import db_session, runtime

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
TREND_DAYS = 60


@bp.app_template_filter("bj")
def _beijing_time(value) -> str:
    """``YYYY-MM-DD HH:MM`` in the office's timezone."""
    return format_local(value, runtime().settings.tz)


def _today():
    return beijing_today(runtime().clock.now())


FIRST_YEAR, LAST_YEAR = 2014, 2100  # WeChat's statistics start in 2014; nothing is planned past 2100


def _month() -> str:
    """``?month=YYYY-MM`` (this month by default); HTTP 400 in Chinese when malformed or out of
    range (the calendar's previous/next links and the UTC conversions cannot leave 1–9999)."""
    month = request.args.get("month") or _today().strftime("%Y-%m")
    year = re.match(r"\s*(\d+)-", month)
    if year and not FIRST_YEAR <= int(year.group(1)[:6]) <= LAST_YEAR:  # before any date arithmetic
        raise ValidationError(f"月份超出范围：{month[:20]!r}，只能查看 {FIRST_YEAR}-01 至 {LAST_YEAR}-12 之间的月份")
    try:
        first, _following = queries.month_bounds(month)
    except (ValueError, OverflowError) as error:
        raise ValidationError(str(error)) from None
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        raise ValidationError(f"月份超出范围：{month[:20]!r}，只能查看 {FIRST_YEAR}-01 至 {LAST_YEAR}-12 之间的月份")
    return first.strftime("%Y-%m")


def _trend(first, last):
    days = queries.account_days(db_session(), first, last)
    labels = [d["date"].strftime("%m-%d") for d in days]
    return days, charts.line_chart(labels, [("阅读人数", [d["read_user"] for d in days]),
                                            ("分享人数", [d["share_user"] for d in days])],
                                   title="账号每日阅读与分享")


def _overview_data() -> dict:
    session = db_session()
    last = _today() - timedelta(days=1)
    return {"totals": queries.totals(session), "freshness": queries.freshness(session),
            "chapters": tables.chapters(session), "top": tables.articles(session, limit=20),
            "library": tables.library(session),
            "trend": queries.account_days(session, last - timedelta(days=TREND_DAYS - 1), last)}


@bp.get("/")
@login_required
def overview():
    """Series overview: totals, freshness, account trend, chapters, top articles, library."""
    data = _overview_data()
    labels = [d["date"].strftime("%m-%d") for d in data["trend"]]
    trend_chart = charts.line_chart(labels, [("阅读人数", [d["read_user"] for d in data["trend"]]),
                                             ("分享人数", [d["share_user"] for d in data["trend"]])],
                                    title=f"最近 {TREND_DAYS} 天账号每日阅读与分享")
    chapter_chart = charts.bar_chart(
        [(f"{r['chapter']}", r["read_user"]) for r in data["chapters"].rows], title="各篇章阅读人数")
    return render_template("dashboard/overview.html", **data, trend_chart=trend_chart,
                           chapter_chart=chapter_chart)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@bp.get("/overview.json")
@login_required
def overview_json():
    """The overview's figures as JSON (totals, freshness, chapters, top articles, trend)."""
    data = _overview_data()
    return jsonify(_jsonable({
        "totals": data["totals"], "freshness": data["freshness"],
        "chapters": data["chapters"].rows, "top_articles": data["top"].rows,
        "library": data["library"].rows, "account_trend": data["trend"]}))


@bp.get("/article/<msgid>")
@login_required
def article(msgid: str):
    """One article: figures, cases, daily trend and read sources."""
    session = db_session()
    detail = queries.article_detail(session, msgid)
    if detail is None:
        abort(404)
    days = detail["daily"]
    trend = charts.line_chart([d["stat_date"].strftime("%m-%d") for d in days],
                              [("阅读人数", [d["read_user"] for d in days]),
                               ("分享人数", [d["share_user"] for d in days])], title="每日阅读与分享")
    source_table = tables.sources(session, msgid=msgid)
    source_chart = charts.bar_chart([(r["source"], r["read_user"]) for r in source_table.rows],
                                    title="阅读来源")
    return render_template("dashboard/article.html", d=detail, s=detail["stat"], trend=trend,
                           daily=tables.daily(session, msgid=msgid), sources=source_table,
                           source_chart=source_chart)


@bp.get("/chapters")
@login_required
def chapters():
    """Chapter comparison: totals and per-article averages side by side."""
    table = tables.chapters(db_session())
    names = [f"{r['chapter']}" for r in table.rows]
    metrics = [("篇均阅读", "avg_read", ""), ("分享人数", "share_user", ""),
               ("收藏人数", "collection_user", ""), ("在看人数", "zaikan_user", "")]
    bars = [(title, charts.bar_chart(list(zip(names, [r[key] for r in table.rows])), title=title))
            for title, key, _ in metrics]
    rates = charts.bar_chart([(n, round((r["read_finish_rate"] or 0) * 100, 1))
                              for n, r in zip(names, table.rows)], title="完读率", unit="%")
    return render_template("dashboard/chapters.html", table=table, bars=bars + [("完读率", rates)])


@bp.get("/calendar")
@login_required
def calendar():
    """Releases of a month with their states, times in Beijing time."""
    month = _month()
    table = tables.calendar(db_session(), month=month)
    first, _ = queries.month_bounds(month)
    previous = (first - timedelta(days=1)).strftime("%Y-%m") if first.year > FIRST_YEAR or first.month > 1 else None
    following = (first + timedelta(days=32)).strftime("%Y-%m") if first.year < LAST_YEAR or first.month < 12 else None
    return render_template("dashboard/calendar.html", table=table, month=month,
                           previous=previous, following=following)


@bp.get("/report")
@login_required
def report():
    """Monthly report for print / PDF: account trend, chapters, the month's articles."""
    month = _month()
    session = db_session()
    first, following = queries.month_bounds(month)
    days, trend = _trend(first, following - timedelta(days=1))
    month_articles = tables.articles(session, month=month)
    account = tables.account(session, month=month)
    sums = {k: sum(d[k] for d in days) for k in ("read_user", "share_user", "zaikan_user",
                                                  "collection_user")}
    return render_template("dashboard/report.html", month=month, trend=trend, sums=sums,
                           articles=month_articles, account=account,
                           chapters=tables.chapters(session),
                           freshness=queries.freshness(session), today=_today())


@bp.get("/export/<name>.<fmt>")
@login_required
def export(name: str, fmt: str):
    """Download a table as CSV or XLSX."""
    builder = tables.TABLES.get(name)
    if builder is None or fmt not in exports.CONTENT_TYPES:
        abort(404)
    month = _month() if name in ("calendar", "account") or request.args.get("month") else None
    table = builder(db_session(), month=month, msgid=request.args.get("msgid"))
    filename = f"{table.name}-{month or _today().isoformat()}.{fmt}"
    return Response(exports.export(table, fmt), content_type=exports.CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def init_app(app: Flask) -> None:
    """Register the dashboard."""
    app.register_blueprint(bp)
