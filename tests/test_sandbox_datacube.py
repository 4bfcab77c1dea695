"""The sandbox's statistics: synthetic readership (pure) and the datacube endpoints (§6).

Uses the real SandboxState (wxpub/sandbox/state.py); its clock is real time plus an offset that
only moves forward, so every test places "now" on a day ~400 days ahead and at a fixed Beijing
time (hh:mm:30, so the few seconds a test takes never cross a rule boundary).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from wxpub.sandbox import readership as rs
from wxpub.sandbox.config import SandboxConfig
from wxpub.sandbox.datacube import MAX_SPAN, handle_datacube
from wxpub.sandbox.state import PublishedArticle, SandboxState

BJ = rs.BEIJING
TODAY = (datetime.now(BJ) + timedelta(days=400)).date()  # the sandbox's "today" in these tests
YESTERDAY = TODAY - timedelta(days=1)
NEW_FAMILY = ("getarticleread", "getarticleshare", "getarticletotaldetail", "getbizsummary")
LEGACY = ("getarticlesummary", "getarticletotal", "getuserread", "getuserreadhour", "getusershare",
          "getusersharehour")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware instant: ``day`` at hh:mm:30 Beijing time."""
    return datetime(day.year, day.month, day.day, hour, minute, 30, tzinfo=BJ)


def article(msg_data_id: str, published: datetime, notified: bool, idx: int = 1) -> PublishedArticle:
    return PublishedArticle(msg_data_id=msg_data_id, idx=idx, title=f"人文环境篇{msg_data_id}_{idx}",
                            url=f"https://mp.weixin.qq.com/s/sandbox{msg_data_id}{idx}",
                            published_at=published.astimezone(timezone.utc), notified=notified)


def move_to(state: SandboxState, when: datetime) -> None:
    state.advance((when - state.now()).total_seconds())


def make_state(when: datetime, articles: list[PublishedArticle], seed: int = 20231) -> SandboxState:
    """A real sandbox state at ``when`` holding ``articles`` as already published."""
    state = SandboxState(SandboxConfig(seed=seed))
    with state.lock:  # test data: what the publishing endpoints would have recorded
        state.published.extend(articles)
    move_to(state, when)
    return state


def q(day_from: date, day_to: date | None = None) -> dict:
    return {"begin_date": day_from.isoformat(), "end_date": (day_to or day_from).isoformat()}


MASS = article("2247481001", at(TODAY - timedelta(days=40), 8), notified=True)
MASS_2 = article("2247481001", at(TODAY - timedelta(days=40), 8), notified=True, idx=2)
FREE = article("2247481010", at(TODAY - timedelta(days=12), 21), notified=False)
RECENT = article("2247481020", at(YESTERDAY, 12), notified=True)


@pytest.fixture
def state() -> SandboxState:
    return make_state(at(TODAY, 11), [MASS, MASS_2, FREE, RECENT])


# --- readership (pure) ---------------------------------------------------------------------

def test_same_seed_same_figures_even_across_processes_with_other_hash_salts():
    now = at(TODAY, 11)
    here = [f.read_users for f in rs.daily_series(FREE, 5, now)]
    code = ("import json,sys; from datetime import datetime; from wxpub.sandbox import readership as rs;"
            "from wxpub.sandbox.state import PublishedArticle as P;"
            f"a=P('2247481010',1,'t','u',datetime.fromisoformat('{FREE.published_at.isoformat()}'),False);"
            f"now=datetime.fromisoformat('{now.isoformat()}');"
            "print(json.dumps([list(f.read_users) for f in rs.daily_series(a,5,now)]))")
    for salt in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": salt}).stdout
        assert json.loads(out) == [list(r) for r in here]


def test_figures_differ_by_seed_and_by_article():
    day = rs.publish_day(MASS)
    assert rs.figures_for_day(MASS, 1, day) != rs.figures_for_day(MASS, 2, day)
    assert rs.figures_for_day(MASS, 1, day).read_users != rs.figures_for_day(MASS_2, 1, day).read_users


@pytest.mark.parametrize("seed", [1, 20231, 99])
def test_every_day_is_internally_consistent(seed):
    for a in (MASS, MASS_2, FREE, RECENT):
        for f in rs.daily_series(a, seed, at(TODAY, 11)):
            sources = f.source_users()
            assert sources["全部"] == sum(v for k, v in sources.items() if k != "全部")
            assert f.subscribe_users <= f.read_user and f.share_user == sum(f.share_users)
            assert f.subscribe_users <= f.read_user
            assert 0 < f.finish_rate < 1 or f.read_user == 0


def test_no_day_after_yesterday_and_yesterday_only_from_eight():
    assert rs.daily_series(RECENT, 1, at(TODAY, 7, 59)) == []
    assert [f.day for f in rs.daily_series(RECENT, 1, at(TODAY, 8))] == [YESTERDAY]
    assert rs.daily_series(MASS, 1, at(TODAY, 23, 59))[-1].day == YESTERDAY


def test_readership_peaks_early_and_decays_over_a_month():
    reads = [f.read_user for f in rs.daily_series(MASS, 20231, at(TODAY, 11))]
    peak = max(reads)
    assert reads.index(peak) in (0, 1)
    assert reads[29] < peak / 20 and sum(reads[7:30]) > 0  # a long, thin tail
    # An evening freepublish peaks the day after.
    free = [f.read_user for f in rs.daily_series(FREE, 20231, at(TODAY, 11))]
    assert free.index(max(free)) == 1


def test_mass_sends_are_read_from_the_message_freepublish_from_chats_moments_search():
    mass = rs.figures_for_day(MASS, 20231, rs.publish_day(MASS)).source_users()
    assert mass["公众号消息"] > mass["全部"] / 2
    free = rs.combine(rs.daily_series(FREE, 20231, at(TODAY, 11)), YESTERDAY).source_users()
    assert free["公众号消息"] == 0
    assert free["聊天会话"] + free["朋友圈"] + free["搜一搜"] > free["全部"] * 0.6


def test_provisional_figures_grow_to_the_final_value():
    seen = [rs.visible_figures(RECENT, 3, YESTERDAY, at(TODAY, h, m)).read_user
            for h, m in ((8, 0), (8, 40), (9, 30), (9, 59), (10, 0), (18, 0))]
    final = rs.figures_for_day(RECENT, 3, YESTERDAY).read_user
    assert seen == sorted(seen) and seen[0] < final
    assert seen[-2:] == [final, final]


def test_apportion_keeps_the_total():
    assert rs.apportion(10, [1, 1, 1]) == [3, 4, 3]
    assert sum(rs.apportion(997, [0.1, 0.0, 0.33, 0.57])) == 997
    assert rs.apportion(5, [0, 0]) == [5, 0]


# --- handle_datacube: errors ----------------------------------------------------------------

def assert_error(body: dict, errcode: int, *words: str) -> None:
    assert body["errcode"] == errcode, body
    assert re.search(r" rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$", body["errmsg"]), body
    for word in words:
        assert word in body["errmsg"]


@pytest.mark.parametrize("bad", ["2027/01/01", "2027-1-1", "2027-02-30", "", None, 20270101, "昨天"])
def test_bad_date_format_is_61500_naming_the_field(state, bad):
    assert_error(handle_datacube(state, "getarticleread", {"begin_date": bad, "end_date": "2027-01-01"}),
                 61500, "begin_date")
    assert_error(handle_datacube(state, "getbizsummary", {"begin_date": YESTERDAY.isoformat(),
                                                          "end_date": bad}), 61500, "end_date")


def test_missing_dates_and_non_object_body(state):
    assert_error(handle_datacube(state, "getbizsummary", {}), 61500, "begin_date")
    assert_error(handle_datacube(state, "getbizsummary", ["2027-01-01"]), 47001)


@pytest.mark.parametrize("name", NEW_FAMILY)
def test_end_date_today_or_later_is_61501(state, name):
    assert_error(handle_datacube(state, name, q(TODAY)), 61501, "end_date")
    assert_error(handle_datacube(state, name, q(YESTERDAY, TODAY + timedelta(days=3))), 61501)


@pytest.mark.parametrize("name", NEW_FAMILY)
def test_span_rule(state, name):
    span = MAX_SPAN[name]
    ok = handle_datacube(state, name, q(YESTERDAY - timedelta(days=span - 1), YESTERDAY))
    assert "errcode" not in ok and isinstance(ok["list"], list)
    assert_error(handle_datacube(state, name, q(YESTERDAY - timedelta(days=span), YESTERDAY)), 61501)
    assert_error(handle_datacube(state, name, q(YESTERDAY, YESTERDAY - timedelta(days=1))), 61501)


def test_spans_are_the_documented_ones():
    assert MAX_SPAN == {"getarticleread": 1, "getarticleshare": 1, "getarticletotaldetail": 1,
                        "getbizsummary": 30}


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_endpoints_are_offline_47009_whatever_the_body(state, name):
    assert_error(handle_datacube(state, name, q(YESTERDAY)), 47009, "this api is offline",
                 "please use the new api")
    assert_error(handle_datacube(state, name, {}), 47009)


@pytest.mark.parametrize("name", NEW_FAMILY)
def test_no_data_before_2025_11_01_is_61501(state, name):
    assert_error(handle_datacube(state, name, q(date(2025, 10, 31))), 61501, "begin_date before 2025-11-01")
    ok = handle_datacube(state, name, q(date(2025, 11, 1)))
    assert ok == {"list": ok["list"], "is_delay": False} and "errcode" not in ok


def test_unknown_endpoint(state):
    assert_error(handle_datacube(state, "getuserreadhourly", q(YESTERDAY)), 48001, "getuserreadhourly")


# --- handle_datacube: shapes and consistency -----------------------------------------------

def read_rows(state: SandboxState, day: date) -> dict[str, dict]:
    body = handle_datacube(state, "getarticleread", q(day))
    return {row["msgid"]: row for row in body["list"]}


def test_new_family_shapes(state):
    read = handle_datacube(state, "getarticleread", q(YESTERDAY))
    assert set(read) == {"list", "is_delay"} and read["is_delay"] is False
    row = read["list"][0]
    assert set(row) == {"ref_date", "msgid", "detail"} and row["ref_date"] == YESTERDAY.isoformat()
    assert [s["scene_desc"] for s in row["detail"]["read_user_source"]] == ["全部", *rs.SOURCES]
    assert row["detail"]["read_user_source"][0]["user_count"] == row["detail"]["read_user"]
    share = handle_datacube(state, "getarticleshare", q(YESTERDAY))["list"][0]["detail"]
    assert share["share_user_source"][0] == {"scene_desc": "全部", "user_count": share["share_user"]}
    assert sum(s["user_count"] for s in share["share_user_source"][1:]) == share["share_user"]
    biz = handle_datacube(state, "getbizsummary", q(YESTERDAY - timedelta(days=29), YESTERDAY))
    assert [r["ref_date"] for r in biz["list"]] == [(YESTERDAY - timedelta(days=i)).isoformat()
                                                   for i in range(29, -1, -1)]
    assert set(biz["list"][-1]["detail"]) == {"read_user", "read_user_source", "share_user", "zaikan_user",
                                              "like_user", "comment_count", "collection_user"}


def test_msgid_is_msg_data_id_and_index(state):
    assert set(read_rows(state, YESTERDAY)) == {"2247481010_1", "2247481020_1"}
    assert set(read_rows(state, rs.publish_day(MASS))) == {"2247481001_1", "2247481001_2"}


def test_bizsummary_is_the_sum_of_the_articles(state):
    day = FREE.published_at.astimezone(BJ).date() + timedelta(days=1)
    biz = handle_datacube(state, "getbizsummary", q(day))["list"][0]["detail"]
    rows = read_rows(state, day).values()
    assert biz["read_user"] == sum(r["detail"]["read_user"] for r in rows)


def test_totaldetail_lists_articles_published_that_day_with_30_cumulative_days(state):
    day = rs.publish_day(MASS)
    body = handle_datacube(state, "getarticletotaldetail", q(day))
    assert body["is_delay"] is False
    assert [r["msgid"] for r in body["list"]] == ["2247481001_1", "2247481001_2"]
    row = body["list"][0]
    assert (row["ref_date"], row["publish_type"], row["title"], row["content_url"]) == (
        day.isoformat(), 0, MASS.title, MASS.url)
    details = row["detail_list"]
    assert [d["stat_date"] for d in details] == [(day + timedelta(days=i)).isoformat() for i in range(30)]
    # getarticleread lists an article only on days it was read: absent means 0.
    daily = [read_rows(state, day + timedelta(days=i)).get("2247481001_1", {"detail": {"read_user": 0}})
             ["detail"]["read_user"] for i in range(30)]
    assert [d["read_user"] for d in details] == [sum(daily[:i + 1]) for i in range(30)]
    last = details[-1]
    assert last["read_user_source"][0]["user_count"] == last["read_user"] == sum(
        s["user_count"] for s in last["read_user_source"][1:])
    assert last["read_subscribe_user"] <= last["read_user"]
    assert 0 < last["read_delivery_rate"] < 1 and 0 < last["read_finish_rate"] < 1
    assert {"praise_money", "zaikan_user", "like_user", "comment_count", "collection_user",
            "read_avg_activetime", "read_jump_position"} <= set(last)


def test_totaldetail_stops_at_yesterday_and_marks_freepublish(state):
    body = handle_datacube(state, "getarticletotaldetail", q(rs.publish_day(FREE)))
    row = body["list"][0]
    assert row["publish_type"] == 1 and row["detail_list"][-1]["stat_date"] == YESTERDAY.isoformat()
    assert row["detail_list"][-1]["read_delivery_rate"] == 0
    assert handle_datacube(state, "getarticletotaldetail", q(YESTERDAY - timedelta(days=2)))["list"] == []


def test_yesterday_is_absent_then_provisional_then_final_and_stable():
    state = make_state(at(TODAY, 7, 30), [RECENT, MASS])
    early = handle_datacube(state, "getarticleread", q(YESTERDAY))
    assert early == {"list": [], "is_delay": True}
    assert handle_datacube(state, "getarticletotaldetail", q(YESTERDAY)) == {"list": [], "is_delay": True}

    move_to(state, at(TODAY, 9))
    provisional = read_rows(state, YESTERDAY)
    assert handle_datacube(state, "getarticleread", q(YESTERDAY))["is_delay"] is True
    older = YESTERDAY - timedelta(days=1)
    assert handle_datacube(state, "getarticleread", q(older))["is_delay"] is False

    move_to(state, at(TODAY, 10, 5))
    final = handle_datacube(state, "getarticleread", q(YESTERDAY))
    assert final["is_delay"] is False
    final_rows = {r["msgid"]: r for r in final["list"]}
    for msgid, row in provisional.items():
        assert row["detail"]["read_user"] < final_rows[msgid]["detail"]["read_user"]

    move_to(state, at(TODAY + timedelta(days=3), 15))
    assert handle_datacube(state, "getarticleread", q(YESTERDAY))["list"] == final["list"]


def test_totaldetail_is_delayed_while_its_last_day_is_provisional():
    state = make_state(at(TODAY, 9), [MASS, FREE])
    assert handle_datacube(state, "getarticletotaldetail", q(rs.publish_day(FREE)))["is_delay"] is True
    # MASS's 30 days ended long ago: its answer is final even at 09:00.
    assert handle_datacube(state, "getarticletotaldetail", q(rs.publish_day(MASS)))["is_delay"] is False


# --- over real HTTP ----------------------------------------------------------------------------

def test_published_article_shows_up_in_statistics_over_http():
    from wxpub.sandbox import testing

    from servers import start_sandbox

    with start_sandbox(seed=4242) as sb:
        from servers import away_from_midnight
        away_from_midnight(sb)  # the article's day must have reading hours after it went out
        client = testing.SandboxClient(sb)
        thumb = client.json("/cgi-bin/material/add_material", params={"type": "thumb"},
                            files={"media": ("cover.jpg", testing.jpeg_bytes(), "image/jpeg")})
        draft = client.json("/cgi-bin/draft/add", {"articles": [{
            "title": "人文环境篇丨创新实践案例展示", "content": "<p>一是……二是……</p>",
            "thumb_media_id": thumb["media_id"]}]})
        submitted = client.json("/cgi-bin/freepublish/submit", {"media_id": draft["media_id"]})
        assert submitted["errcode"] == 0, submitted
        sb.control("clock", {"advance_days": 2})
        client.forget_token()  # two days later the token has expired, as on the real platform
        job = client.json("/cgi-bin/freepublish/get", {"publish_id": submitted["publish_id"]})
        assert job["publish_status"] == 0, job

        published = datetime.fromisoformat(sb.control("published")[0]["published_at"])
        day = published.astimezone(BJ).date().isoformat()
        body = client.json("/datacube/getarticletotaldetail", {"begin_date": day, "end_date": day})
        assert set(body) == {"list", "is_delay"}
        [row] = body["list"]
        assert row["msgid"] == f"{submitted['msg_data_id']}_1"
        assert row["publish_type"] == 1 and row["title"] == "人文环境篇丨创新实践案例展示"
        assert row["content_url"] == job["article_detail"]["item"][0]["article_url"]
        assert row["detail_list"][0]["stat_date"] == day and row["detail_list"][0]["read_user"] > 0

        today = datetime.fromisoformat(sb.control("clock")["now_shanghai"]).date().isoformat()
        refused = client.json("/datacube/getarticleread", {"begin_date": today, "end_date": today})
        assert refused["errcode"] == 61501


def test_legacy_and_new_family_over_http_count_towards_the_quota():
    from wxpub.sandbox import testing

    from servers import start_sandbox

    with start_sandbox() as sb:
        from servers import away_from_midnight
        away_from_midnight(sb)
        client = testing.SandboxClient(sb)
        yesterday = (datetime.fromisoformat(sb.control("clock")["now_shanghai"]).date()
                     - timedelta(days=1)).isoformat()
        legacy = client.json("/datacube/getuserread", {"begin_date": yesterday, "end_date": yesterday})
        assert legacy["errcode"] == 47009 and "this api is offline, please use the new api rid: " in legacy["errmsg"]
        early = client.json("/datacube/getarticleread", {"begin_date": "2025-10-31", "end_date": "2025-10-31"})
        assert early["errcode"] == 61501 and "begin_date before 2025-11-01" in early["errmsg"]
        path = "/datacube/getarticleread"
        for _ in range(2):
            assert client.json(path, {"begin_date": yesterday, "end_date": yesterday})["is_delay"] in (True, False)
        quota = client.json("/cgi-bin/openapi/quota/get", {"cgi_path": path})
        assert quota["quota"] == {"daily_limit": 1000, "used": 3, "remain": 997}
        sb.control("quota", {"cgi_path": path, "daily_limit": 4})
        assert "list" in client.json(path, {"begin_date": yesterday, "end_date": yesterday})
        refused = client.json(path, {"begin_date": yesterday, "end_date": yesterday})
        assert refused["errcode"] == 45009 and "reach max api daily quota limit" in refused["errmsg"]
        assert client.json("/cgi-bin/openapi/quota/get", {"cgi_path": path})["quota"]["remain"] == 0
