"""The sandbox's statistics endpoints: ``POST /datacube/<name>`` (reference §6).

The app routes every datacube call here after its token check, fault injection and call log:
``handle_datacube(state, name, body)`` returns the JSON body to send (HTTP 200 either way).

New family (``{"list": [...], "is_delay": bool}``): getarticleread, getarticleshare,
getarticletotaldetail, getbizsummary. Figures come from ``wxpub.sandbox.readership``. The legacy
endpoints (getarticlesummary, getarticletotal, getuserread, getuserreadhour, getusershare,
getusersharehour) are offline (§0a.1) and answer 47009.

Request rules, checked in this order (errors are ``{"errcode", "errmsg": "... rid: ..."}``):

* a legacy name -> 47009 ``this api is offline, please use the new api``;
* unknown ``name`` -> 48001 (api unauthorized; the sandbox does not emulate it);
* body not a JSON object -> 47001; begin_date / end_date missing or not ``YYYY-MM-DD`` -> 61500;
* end_date after yesterday (sandbox clock, Asia/Shanghai), begin_date after end_date, begin_date
  before 2025-11-01 (``DATA_START``, errmsg ``begin_date before 2025-11-01``), or a span
  (end - begin + 1 days) above the endpoint's ``MAX_SPAN`` -> 61501.

``is_delay`` is true when a day the answer covers is not final yet: yesterday before 08:00
Beijing time (absent) and between 08:00 and 10:00 (provisional, growing). From 10:00 the same
request returns final figures that never change again.

The new family covers freepublish and mass-sent articles alike.
"""
from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any, Callable

from wxpub.sandbox import readership as rs

MAX_SPAN = {"getarticleread": 1, "getarticleshare": 1, "getarticletotaldetail": 1, "getbizsummary": 30}
TOTAL_DETAIL_DAYS = 30   # getarticletotaldetail: days of detail_list from the publish day
DATA_START = date(2025, 11, 1)  # the new family stores data from this day on (§0a.2)
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

    def day_figures(self, day: date):
        """(article, figures) for every article with figures on ``day``."""
        for article in self.articles:
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
    if begin < DATA_START:
        raise DatacubeError(61501, f"date range error: begin_date before {DATA_START} "
                                   f"(got {begin}; data is kept from {DATA_START} on)")
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


_HANDLERS: dict[str, Callable[[_Query], dict]] = {
    "getarticleread": _getarticleread, "getarticleshare": _getarticleshare,
    "getarticletotaldetail": _getarticletotaldetail, "getbizsummary": _getbizsummary,
}
#: Offline since 2026 (§0a.1): answered 47009 before anything else is looked at.
LEGACY = ("getarticlesummary", "getarticletotal", "getuserread", "getuserreadhour", "getusershare",
          "getusersharehour")
KNOWN_NAMES = frozenset(_HANDLERS) | frozenset(LEGACY)


def handle_datacube(state: Any, name: str, body: Any) -> dict:
    """Answer ``POST /datacube/<name>`` with ``body`` against the sandbox ``state``.

    ``state`` provides ``seed``, ``now()`` and ``published_articles()``. Returns the success body
    of §6.1/§6.2 or a WeChat error body (see the module docstring for the rules).
    """
    if name in LEGACY:
        return error_body(47009, "this api is offline, please use the new api")
    handler = _HANDLERS.get(name)
    if handler is None:
        return error_body(48001, f"api unauthorized: datacube/{name} is not emulated by the sandbox")
    now = state.now()  # read once so validation and figures see the same instant
    try:
        begin, end = _parse_range(name, body, now)
    except DatacubeError as exc:
        return error_body(exc.errcode, exc.errmsg)
    return handler(_Query(state, now, begin, end))
