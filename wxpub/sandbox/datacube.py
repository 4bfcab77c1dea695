"""The sandbox's statistics endpoints: ``POST /datacube/<name>`` (reference §6).

The app routes every datacube call here after its token check, fault injection and call log:
``handle_datacube(state, name, body)`` returns the JSON body to send (HTTP 200 either way).

New family (``{"list": [...], "is_delay": bool}``): getarticleread, getarticleshare,
getarticletotaldetail, getbizsummary. Legacy family (``{"list": [...]}``): getarticlesummary,
getarticletotal, getuserread, getusershare. Figures come from ``wxpub.sandbox.readership``.

Request rules, checked in this order (errors are ``{"errcode", "errmsg": "... rid: ..."}``):

* unknown ``name`` -> 48001 (api unauthorized; the sandbox does not emulate it);
* body not a JSON object -> 47001; begin_date / end_date missing or not ``YYYY-MM-DD`` -> 61500;
* end_date after yesterday (sandbox clock, Asia/Shanghai), begin_date after end_date, or a span
  (end - begin + 1 days) above the endpoint's ``MAX_SPAN`` -> 61501.

``is_delay`` is true when a day the answer covers is not final yet: yesterday before 08:00
Beijing time (absent) and between 08:00 and 10:00 (provisional, growing). From 10:00 the same
request returns final figures that never change again.

Legacy article endpoints (getarticlesummary, getarticletotal) cover mass-sent (notified)
articles only, as the official text says ("仅包括群发的文章"); the account-level legacy endpoints
(getuserread, getusershare) and the whole new family cover freepublish articles too.
"""
from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any, Callable

from wxpub.sandbox import readership as rs

MAX_SPAN = {
    "getarticleread": 1, "getarticleshare": 1, "getarticletotaldetail": 1, "getbizsummary": 30,
    "getarticlesummary": 1, "getarticletotal": 1, "getuserread": 3, "getusershare": 7,
}
TOTAL_DETAIL_DAYS = 30   # getarticletotaldetail: days of detail_list from the publish day
LEGACY_TOTAL_DAYS = 7    # getarticletotal: days of details from the send day
SUMMARY_THRESHOLD = 3    # getarticlesummary: rows only when reads + shares + favs reach this
SHARE_SCENE_DESC = {1: "聊天会话", 2: "朋友圈", 255: "其他"}
# Where readers who leave early jump out (position = fifth of the article), sums to 1.
_JUMP_WEIGHTS = (0.35, 0.25, 0.18, 0.12, 0.10)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DatacubeError(Exception):
    """A request the platform would refuse; becomes ``{"errcode", "errmsg"}``."""

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


def _rid() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))


def error_body(errcode: int, errmsg: str) -> dict:
    """A WeChat-style error body; errmsg ends with `` rid: ...`` like the real platform's."""
    return {"errcode": errcode, "errmsg": f"{errmsg} rid: {_rid()}"}


class _Query:
    """One validated request: the date range plus what the handlers need from the state."""

    def __init__(self, state: Any, now: datetime, begin: date, end: date):
        self.seed = state.seed
        self.now = now
        self.begin = begin
        self.end = end
        self.articles = sorted(state.published_articles(),
                               key=lambda a: (a.published_at, a.msg_data_id, a.idx))

    def days(self) -> list[date]:
        """Every day of the range, oldest first."""
        return [self.begin + timedelta(days=i) for i in range((self.end - self.begin).days + 1)]

    def available_days(self) -> list[date]:
        """Days of the range whose figures exist at the sandbox's now."""
        return [d for d in self.days() if rs.day_fraction(d, self.now) is not None]

    def is_delay(self, days: list[date]) -> bool:
        """True if any of ``days`` is absent or provisional."""
        return any(rs.day_fraction(d, self.now) != 1.0 for d in days)

    def day_figures(self, day: date, notified_only: bool = False):
        """(article, figures) for every article with figures on ``day``."""
        for article in self.articles:
            if notified_only and not article.notified:
                continue
            if rs.publish_day(article) > day:
                continue
            figures = rs.visible_figures(article, self.seed, day, self.now)
            if figures is not None:
                yield article, figures


def _parse_date(body: dict, field: str) -> date:
    value = body.get(field)
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise DatacubeError(61500, f"date format error: {field} must be YYYY-MM-DD, got {value!r}")


def _parse_range(name: str, body: Any, now: datetime) -> tuple[date, date]:
    if not isinstance(body, dict):
        raise DatacubeError(47001, "data format error: body must be a JSON object")
    begin = _parse_date(body, "begin_date")
    end = _parse_date(body, "end_date")
    yesterday = now.astimezone(rs.BEIJING).date() - timedelta(days=1)
    if end > yesterday:
        raise DatacubeError(61501, f"date range error: end_date {end} must not be later than "
                                   f"yesterday ({yesterday})")
    if begin > end:
        raise DatacubeError(61501, f"date range error: begin_date {begin} is after end_date {end}")
    span = (end - begin).days + 1
    if span > MAX_SPAN[name]:
        raise DatacubeError(61501, f"date range error: {span} days requested, {name} allows at "
                                   f"most {MAX_SPAN[name]}")
    return begin, end


def _msgid(article: Any) -> str:
    return f"{article.msg_data_id}_{article.idx}"


def _source_list(figures: rs.DayFigures) -> list[dict]:
    return [{"scene_desc": name, "user_count": count}
            for name, count in figures.source_users().items()]


# --- new family ------------------------------------------------------------------------------

def _getarticleread(q: _Query) -> dict:
    rows = [{"ref_date": day.isoformat(), "msgid": _msgid(a),
             "detail": {"read_user": f.read_user, "read_user_source": _source_list(f)}}
            for day in q.available_days() for a, f in q.day_figures(day) if f.read_user > 0]
    return {"list": rows, "is_delay": q.is_delay(q.days())}


def _getarticleshare(q: _Query) -> dict:
    rows = []
    for day in q.available_days():
        for a, f in q.day_figures(day):
            if f.share_user <= 0:
                continue
            sources = [{"scene_desc": rs.ALL_SOURCES, "user_count": f.share_user}]
            sources += [{"scene_desc": SHARE_SCENE_DESC[scene], "user_count": users}
                        for scene, users in zip(rs.SHARE_SCENES, f.share_users)]
            rows.append({"ref_date": day.isoformat(), "msgid": _msgid(a),
                         "detail": {"share_user": f.share_user, "share_user_source": sources}})
    return {"list": rows, "is_delay": q.is_delay(q.days())}


def _getbizsummary(q: _Query) -> dict:
    rows = []
    for day in q.available_days():
        f = rs.combine((fig for _, fig in q.day_figures(day)), day)
        rows.append({"ref_date": day.isoformat(), "detail": {
            "read_user": f.read_user, "read_user_source": _source_list(f),
            "share_user": f.share_user, "zaikan_user": f.zaikan_users, "like_user": f.like_users,
            "comment_count": f.comment_count, "collection_user": f.fav_users}})
    return {"list": rows, "is_delay": q.is_delay(q.days())}


def _cumulative(series: list[rs.DayFigures]) -> list[rs.DayFigures]:
    """Running totals: entry i sums days 0..i."""
    return [rs.combine(series[:i + 1], f.day) for i, f in enumerate(series)]


def _total_detail_entry(c: rs.DayFigures, delivered: int) -> dict:
    message_readers = c.read_users[rs.SOURCES.index("公众号消息")]
    return {
        "stat_date": c.day.isoformat(), "read_user": c.read_user, "read_user_source": _source_list(c),
        "share_user": c.share_user, "zaikan_user": c.zaikan_users, "like_user": c.like_users,
        "comment_count": c.comment_count, "collection_user": c.fav_users, "praise_money": 0,
        "read_subscribe_user": c.subscribe_users,
        "read_delivery_rate": round(message_readers / delivered, 4) if delivered else 0.0,
        "read_finish_rate": c.finish_rate, "read_avg_activetime": c.avg_activetime,
        "read_jump_position": [{"position": i + 1, "rate": round((1 - c.finish_rate) * w, 4)}
                               for i, w in enumerate(_JUMP_WEIGHTS)],
    }


def _getarticletotaldetail(q: _Query) -> dict:
    rows, covered = [], set(q.days())
    for a in q.articles:
        first = rs.publish_day(a)
        if not q.begin <= first <= q.end:
            continue
        covered.update(first + timedelta(days=i) for i in range(TOTAL_DETAIL_DAYS))
        series = rs.daily_series(a, q.seed, q.now, days=TOTAL_DETAIL_DAYS)
        if not series:
            continue
        delivered = rs.target_user(a, q.seed)
        rows.append({"ref_date": first.isoformat(), "msgid": _msgid(a),
                     "publish_type": 0 if a.notified else 1, "title": a.title, "content_url": a.url,
                     "detail_list": [_total_detail_entry(c, delivered) for c in _cumulative(series)]})
    yesterday = q.now.astimezone(rs.BEIJING).date() - timedelta(days=1)
    return {"list": rows, "is_delay": q.is_delay([d for d in covered if d <= yesterday])}


# --- legacy family ---------------------------------------------------------------------------

def _read_pairs(f: rs.DayFigures) -> dict:
    return {"int_page_read_user": f.read_user, "int_page_read_count": f.read_count,
            "ori_page_read_user": f.ori_users, "ori_page_read_count": f.ori_count,
            "share_user": f.share_user, "share_count": f.share_count,
            "add_to_fav_user": f.fav_users, "add_to_fav_count": f.fav_count}


def _getarticlesummary(q: _Query) -> dict:
    rows = []
    for day in q.available_days():
        for a, f in q.day_figures(day, notified_only=True):
            if f.read_user + f.ori_users + f.share_user + f.fav_users < SUMMARY_THRESHOLD:
                continue
            rows.append({"ref_date": day.isoformat(), "msgid": _msgid(a), "title": a.title,
                         **_read_pairs(f)})
    return {"list": rows}


# getarticletotal's int_page_from_* groups, as SOURCES indexes.
_LEGACY_FROM = {"session": ("公众号消息",), "hist_msg": ("公众号主页",), "feed": ("朋友圈",),
                "friends": ("聊天会话",), "other": ("推荐", "搜一搜", "其他")}
_FEED_SHARE_FROM = {"session": ("公众号消息",), "feed": ("朋友圈",),
                    "other": ("聊天会话", "公众号主页", "推荐", "搜一搜", "其他")}


def _group(values: tuple[int, ...], names: tuple[str, ...]) -> int:
    return sum(values[rs.SOURCES.index(n)] for n in names)


def _legacy_total_entry(c: rs.DayFigures, delivered: int) -> dict:
    entry = {"stat_date": c.day.isoformat(), "target_user": delivered, **_read_pairs(c)}
    for key, names in _LEGACY_FROM.items():
        entry[f"int_page_from_{key}_read_user"] = _group(c.read_users, names)
        entry[f"int_page_from_{key}_read_count"] = _group(c.read_counts, names)
    # Moments shares (scene 2), split by where the sharing readers came from.
    moments = rs.SHARE_SCENES.index(2)
    weights = [_group(c.read_users, names) for names in _FEED_SHARE_FROM.values()]
    users = rs.apportion(c.share_users[moments], weights)
    extra = rs.apportion(c.share_counts[moments] - c.share_users[moments], weights)
    for key, u, e in zip(_FEED_SHARE_FROM, users, extra):
        entry[f"feed_share_from_{key}_user"] = u
        entry[f"feed_share_from_{key}_cnt"] = u + e
    return entry


def _getarticletotal(q: _Query) -> dict:
    rows = []
    for a in q.articles:
        first = rs.publish_day(a)
        if not a.notified or not q.begin <= first <= q.end:
            continue
        series = rs.daily_series(a, q.seed, q.now, days=LEGACY_TOTAL_DAYS)
        if not series:
            continue
        delivered = rs.target_user(a, q.seed)
        rows.append({"ref_date": first.isoformat(), "msgid": _msgid(a), "title": a.title,
                     "url": a.url,
                     "details": [_legacy_total_entry(c, delivered) for c in _cumulative(series)]})
    return {"list": rows}


def _getuserread(q: _Query) -> dict:
    rows = []
    for day in q.available_days():
        f = rs.combine((fig for _, fig in q.day_figures(day)), day)
        if f.read_user <= 0:
            continue
        ref = day.isoformat()
        rows.append({"ref_date": ref, "user_source": rs.OLD_ALL_CODE, **_read_pairs(f)})
        weights = list(f.read_users)
        share_users = rs.apportion(f.share_user, weights)
        share_extra = rs.apportion(f.share_count - f.share_user, weights)
        by_code = sorted(zip(rs.SOURCES, f.read_users, f.read_counts, share_users, share_extra),
                         key=lambda item: rs.OLD_SOURCE_CODES[item[0]])
        for name, users, counts, s_users, s_extra in by_code:
            rows.append({"ref_date": ref, "user_source": rs.OLD_SOURCE_CODES[name],
                         "int_page_read_user": users, "int_page_read_count": counts,
                         "ori_page_read_user": 0, "ori_page_read_count": 0,
                         "share_user": s_users, "share_count": s_users + s_extra,
                         "add_to_fav_user": 0, "add_to_fav_count": 0})
    return {"list": rows}


def _getusershare(q: _Query) -> dict:
    rows = []
    for day in q.available_days():
        f = rs.combine((fig for _, fig in q.day_figures(day)), day)
        for scene, users, count in zip(rs.SHARE_SCENES, f.share_users, f.share_counts):
            if users > 0:
                rows.append({"ref_date": day.isoformat(), "share_scene": scene,
                             "share_count": count, "share_user": users})
    return {"list": rows}


_HANDLERS: dict[str, Callable[[_Query], dict]] = {
    "getarticleread": _getarticleread, "getarticleshare": _getarticleshare,
    "getarticletotaldetail": _getarticletotaldetail, "getbizsummary": _getbizsummary,
    "getarticlesummary": _getarticlesummary, "getarticletotal": _getarticletotal,
    "getuserread": _getuserread, "getusershare": _getusershare,
}


def handle_datacube(state: Any, name: str, body: Any) -> dict:
    """Answer ``POST /datacube/<name>`` with ``body`` against the sandbox ``state``.

    ``state`` provides ``seed``, ``now()`` and ``published_articles()``. Returns the success body
    of §6.1/§6.2 or a WeChat error body (see the module docstring for the rules).
    """
    handler = _HANDLERS.get(name)
    if handler is None:
        return error_body(48001, f"api unauthorized: datacube/{name} is not emulated by the sandbox")
    now = state.now()  # read once so validation and figures see the same instant
    try:
        begin, end = _parse_range(name, body, now)
    except DatacubeError as exc:
        return error_body(exc.errcode, exc.errmsg)
    return handler(_Query(state, now, begin, end))
