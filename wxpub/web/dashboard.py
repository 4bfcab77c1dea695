"""Staff dashboard (behind login): readership by series, chapter and article, the release
calendar, data freshness, the library summary, exports and the monthly report.

Routes (all under ``/dashboard``):

* ``/`` overview — ``/overview.json`` the same figures as JSON;
* ``/article/<msgid>`` one article; ``/chapters`` chapter comparison;
* ``/calendar?month=YYYY-MM`` releases with states; ``/report?month=YYYY-MM`` printable report;
* ``/export/<table>.<csv|xlsx>?month=&msgid=`` any table (names in ``wxpub.stats.tables``).

The figures change only with a statistics pull or an audited change (``wxpub.stats.cache``): the
overview, its JSON, the chapter comparison, the report and the article pages are computed and
rendered once per generation and process; each request then reads one marker and renders only the
per-person frame (menu, counts, logout form) around the cached blocks of the page (``_page``).
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

from flask import (Blueprint, Flask, Response, abort, current_app, g, jsonify, render_template, request,
                   session)
from flask_login import current_user, login_required

from wxpub.infra.clock import format_local
from wxpub.core.errors import ValidationError
from wxpub.stats import cache as figure_cache
from wxpub.stats import charts, exports, queries, tables
from wxpub.stats.dates import beijing_today
from wxpub.web import db_session, page_marks, runtime

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
TREND_DAYS = 60


class _Accounts:
    """The accounts visible to the request, read on first use."""

    def __init__(self):
        self._rows = None

    def _load(self) -> list:
        if self._rows is None:
            from wxpub.accounts import registry, scope
            # every account the user may see, not only the one ?account= narrowed the page to
            with scope.limited(g.get("visible_accounts")):
                self._rows = registry.listing(db_session())
        return self._rows

    def __len__(self) -> int:
        return len(self._load())

    def __iter__(self):
        return iter(self._load())


@bp.before_request
def _one_account():
    """``?account=<code>``: every figure, table and export of the page counts that account alone
    (the accounts visible to the user are offered in the page's account chooser)."""
    from flask import abort, g
    from flask_login import current_user

    from wxpub.web import account_scope
    g.dashboard_accounts, g.dashboard_account = [], None
    if not current_user.is_authenticated:
        return  # the view's login_required answers
    wanted = (request.args.get("account") or "").strip()
    # What this user may choose from: read only when a page renders the chooser (a cached page
    # does not), so the figure cache keeps the dashboard at its few queries a request.
    g.dashboard_accounts = _Accounts()
    if wanted:
        g.dashboard_account = account_scope.narrow_to(wanted[:100])
        if g.dashboard_account is None:
            abort(404)


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


ARTICLE_PAGES = 24  # an article's page holds a year of daily rows (~200 kB): the most-read are kept


def _cached(key, compute):
    """``compute()`` cached for this statistics generation (the marker is read once per request)."""
    if "stats_generation" not in g:
        g.stats_generation = (page_marks.statistics(), _today())
    figures = (figure_cache.for_runtime(runtime(), "article pages", ARTICLE_PAGES) if key[0] == "article"
               else figure_cache.for_runtime(runtime()))
    return figures.get(g.stats_generation, key, compute)


PER_SESSION = 'name="csrf_token"'  # a block with a form is not the same for everyone: never cached


def _wrapper(name: str):
    """A template extending ``name`` whose own blocks either print cached HTML or render the page's
    block and hand it to ``keep`` (compiled once per app and page)."""
    env = current_app.jinja_env
    blocks = tuple(env.get_template(name).blocks)
    wrappers = current_app.extensions.setdefault("dashboard_page_wrappers", {})
    found = wrappers.get((name, blocks))
    if found is None:
        found = wrappers[(name, blocks)] = env.from_string("{% extends page %}" + "".join(
            f"{{% block {b} %}}{{% if cached %}}{{{{ cached[{b!r}] }}}}"
            f"{{% else %}}{{{{ keep({b!r}, super()) }}}}{{% endif %}}{{% endblock %}}" for b in blocks))
    return found


def _page(key, name: str, context):
    """Render template ``name``: the blocks it defines itself (title, content, …) come from the
    cache; the frame it extends (``base.html``: menu, counts, logout form) is rendered for the
    person asking. ``context()`` gives the template's variables, called only on a miss."""
    wrapper, fresh = _wrapper(name), {}

    def render_and_keep():
        kept = {}
        fresh["html"] = render_template(wrapper, page=name, cached=None,
                                        keep=lambda block, html: kept.setdefault(block, html),
                                        **context())
        return None if any(PER_SESSION in html for html in kept.values()) else kept

    def framed():
        blocks = _cached(key, render_and_keep)
        if "html" in fresh:
            return fresh["html"]
        if blocks is None:  # the page has a per-person block: render it whole every time
            return render_template(name, **context())
        return render_template(wrapper, page=name, cached=blocks)

    own = _own_key(key)
    if own is None:
        return framed()
    return figure_cache.for_runtime(runtime(), "own pages", OWN_PAGES).get(
        (page_marks.statistics(), page_marks.reviews(), _today(), int(time.time() // OWN_PAGE_SECONDS)),
        own, framed)


# A person's whole page (frame included) is kept for them alone, under their session's token, for at
# most OWN_PAGE_SECONDS: its logout form's CSRF token stays valid far longer (an hour). Not kept: a
# page with a message to flash, and an article's page (large; its figures are cached anyway).
OWN_PAGES, OWN_PAGE_SECONDS = 128, 600


def _own_key(key):
    if key[0] == "article" or session.get("_flashes") or not current_user.is_authenticated:
        return None
    return (key, current_user.token, current_user.role, current_user.display_name,
            page_marks.unread_notices(), request.path)


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
    return _page(("overview", _comment_marker()), "dashboard/overview.html", _overview_context)


def _comment_marker() -> tuple:
    """What the 留言 block depends on (one query): a pull, a reply or the answer time passing
    changes the overview's key, so the block shows the change on the next request."""
    from wxpub.comments import page_queries
    return page_queries.marker(db_session(), now=runtime().clock.now(),
                               answer_hours=runtime().settings.comment_answer_hours)


def _overview_context() -> dict:
    data = _overview_data()
    labels = [d["date"].strftime("%m-%d") for d in data["trend"]]
    trend_chart = charts.line_chart(labels, [("阅读人数", [d["read_user"] for d in data["trend"]]),
                                             ("分享人数", [d["share_user"] for d in data["trend"]])],
                                    title=f"最近 {TREND_DAYS} 天账号每日阅读与分享")
    chapter_chart = charts.bar_chart(
        [(f"{r['chapter']}", r["read_user"]) for r in data["chapters"].rows], title="各篇章阅读人数")
    from wxpub.comments import queries as comment_queries
    settings = runtime().settings
    comments = dict(comment_queries.counts(db_session(), now=runtime().clock.now(),
                                           answer_hours=settings.comment_answer_hours),
                    times=comment_queries.reply_times(db_session(), settings.tz),
                    answer_hours=settings.comment_answer_hours)
    return dict(data, trend_chart=trend_chart, chapter_chart=chapter_chart, comments=comments,
                badges=commended_articles(db_session(), [r["msgid"] for r in data["top"].rows]))


def commended_articles(session, msgids) -> dict[str, str]:
    """``{msgid: "一等"}`` for the articles carrying a commended case (优秀案例, ``wxpub.rating``);
    a commendation is audited, so the cached pages show it at once (``page_marks.statistics``)."""
    from sqlalchemy import select
    from wxpub.models import Article, StatArticle
    from wxpub.rating.results import commendations_of_cases
    pairs = session.execute(select(StatArticle.msgid, Article.case_ids)
                            .join(Article, Article.id == StatArticle.article_id)
                            .where(StatArticle.msgid.in_(list(msgids)))).all() if msgids else []
    found = commendations_of_cases(session, {int(c) for _, ids in pairs for c in ids or ()})
    levels = {m: [found[int(c)][0] for c in ids or () if int(c) in found] for m, ids in pairs}
    return {m: "、".join(dict.fromkeys(v)) for m, v in levels.items() if v}


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
    def body() -> str:
        data = _overview_data()
        return jsonify(_jsonable({
            "totals": data["totals"], "freshness": data["freshness"],
            "chapters": data["chapters"].rows, "top_articles": data["top"].rows,
            "library": data["library"].rows, "account_trend": data["trend"]})).get_data(as_text=True)
    return Response(_cached(("overview.json",), body), mimetype="application/json")


@bp.get("/article/<msgid>")
@login_required
def article(msgid: str):
    """One article: figures, cases, daily trend and read sources."""
    return _page(("article", msgid), "dashboard/article.html", lambda: _article_context(msgid))


def _article_context(msgid: str) -> dict:
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
    return dict(d=detail, s=detail["stat"], trend=trend, daily=tables.daily(session, msgid=msgid),
                sources=source_table, source_chart=source_chart,
                commended=commended_articles(session, [msgid]).get(msgid))


@bp.get("/chapters")
@login_required
def chapters():
    """Chapter comparison: totals and per-article averages side by side."""
    return _page(("chapters",), "dashboard/chapters.html", _chapters_context)


def _chapters_context() -> dict:
    table = tables.chapters(db_session())
    names = [f"{r['chapter']}" for r in table.rows]
    metrics = [("篇均阅读", "avg_read", ""), ("分享人数", "share_user", ""),
               ("收藏人数", "collection_user", ""), ("在看人数", "zaikan_user", "")]
    bars = [(title, charts.bar_chart(list(zip(names, [r[key] for r in table.rows])), title=title))
            for title, key, _ in metrics]
    rates = charts.bar_chart([(n, round((r["read_finish_rate"] or 0) * 100, 1))
                              for n, r in zip(names, table.rows)], title="完读率", unit="%")
    return dict(table=table, bars=bars + [("完读率", rates)])


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
    return _page(("report", month), "dashboard/report.html", lambda: _report_context(month))


def _report_context(month: str) -> dict:
    session = db_session()
    first, following = queries.month_bounds(month)
    days, trend = _trend(first, following - timedelta(days=1))
    month_articles = tables.articles(session, month=month)
    account = tables.account(session, month=month)
    sums = {k: sum(d[k] for d in days) for k in ("read_user", "share_user", "zaikan_user",
                                                  "collection_user")}
    return dict(month=month, trend=trend, sums=sums, articles=month_articles, account=account,
                badges=commended_articles(session, [r["msgid"] for r in month_articles.rows]),
                chapters=tables.chapters(session), freshness=queries.freshness(session), today=_today())


@bp.get("/export/<name>.<fmt>")
@login_required
def export(name: str, fmt: str):
    """Download a table as CSV or XLSX, named in Chinese (``文章数据-2026-11.xlsx``, an article's
    ``每日数据-<its title>-<date>.csv``) with an ASCII fallback name for old clients."""
    builder = tables.TABLES.get(name)
    if builder is None or fmt not in exports.CONTENT_TYPES:
        abort(404)
    month = _month() if name in ("calendar", "account") or request.args.get("month") else None
    msgid = request.args.get("msgid")
    table = builder(db_session(), month=month, msgid=msgid)
    when = month or _today().isoformat()
    stem = exports.file_stem(table.file_label or table.title, when)
    ascii_stem = "-".join([table.name, *([msgid] if name in ("daily", "sources") else []), when])
    return Response(exports.export(table, fmt), content_type=exports.CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": exports.content_disposition(
                        stem, fmt, ascii_stem=ascii_stem)})


def init_app(app: Flask) -> None:
    """Register the dashboard."""
    app.register_blueprint(bp)
