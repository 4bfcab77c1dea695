"""Statistics pulls against a live sandbox: stored figures equal WeChat's answers, re-pulls are
idempotent, provisional figures are re-pulled, spans are respected, and a failed pull stores
nothing (the next one stores everything). 48001 / 47009 / quotas: tests/test_stats_quota.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from wxpub.infra import migrate
from wxpub.infra.clock import FrozenClock
from wxpub.models import Account, Release, StatArticle, StatArticleDaily, StatBizDaily, StatPull
from wxpub.infra.runtime import Runtime
from wxpub.sandbox.testing import SandboxServer
from wxpub.stats import ingest, pull, queries
from wxpub.stats.dates import BEIJING, MAX_SPAN
from wxpub.stats.parse import sources
from wxpub.stats.testing import follow_sandbox, move_sandbox_to, publish, record_release, sandbox_now
from wxpub.wechat.testing import SANDBOX_ACCOUNT, sandbox_settings

SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"


@pytest.fixture
def sandbox():
    with SandboxServer(**SANDBOX_ACCOUNT, publish_delay=1.0) as server:
        yield server


@pytest.fixture
def world(sandbox, database_url, tmp_path):
    """A runtime on the sandbox, its clock following WeChat's, and its WeChat facade."""
    move_sandbox_to(sandbox, 9, 30)  # publish in the morning (Beijing)
    clock = FrozenClock(sandbox_now(sandbox))
    settings = sandbox_settings(sandbox.url, database_url, wechat_timeout=10,
                                instance_path=str(tmp_path / "instance"))
    rt = Runtime.from_settings(settings, clock=clock)
    migrate.upgrade(rt.db)
    wx = rt.wechat  # the facade pull() uses too
    yield rt, wx, sandbox, clock
    rt.db.dispose()


def _publish_two_chapters(rt, wx, sandbox):
    """Day 0: 市场环境 (freepublish, 2 articles); day 1: 政务环境 (mass send, 1 article)."""
    first = publish(wx, sandbox, ["市场环境篇丨创新实践案例", "市场环境篇丨案例二"])
    with rt.db.session() as s:
        record_release(s, first, series=SERIES, chapter="市场环境", scheduled_at=sandbox_now(sandbox),
                       case_titles=["创新“双招双引”模式", "优化审批服务"])
        s.commit()
    sandbox.control("clock", {"advance_days": 1})
    second = publish(wx, sandbox, ["政务环境篇丨创新实践案例"], mass=True)
    with rt.db.session() as s:
        record_release(s, second, series=SERIES, chapter="政务环境", scheduled_at=sandbox_now(sandbox))
        s.commit()
    return first, second


def _final(sandbox, clock, days=3):
    """Move WeChat (and our clock) ``days`` later to 10:30 Beijing, when yesterday is final."""
    move_sandbox_to(sandbox, 10, 30, days=days - 1)
    follow_sandbox(clock, sandbox)


STORED = (Account, StatArticle, StatArticleDaily, StatBizDaily, StatPull)


def _stored(rt):
    """Every row of the statistics tables, the call log and the accounts, in key order."""
    with rt.db.session() as s:
        return {model.__tablename__: [tuple(getattr(row, c.name) for c in model.__table__.columns)
                                      for row in s.scalars(select(model).order_by(
                                          *model.__table__.primary_key.columns))]
                for model in STORED}


def _failures(rt):
    with rt.db.session() as s:
        return [(p.endpoint, p.errcode) for p in s.scalars(
            select(StatPull).where(StatPull.errcode.is_not(None)).order_by(StatPull.id))]


def _yesterday(sandbox):
    return sandbox_now(sandbox).astimezone(BEIJING).date() - timedelta(days=1)


def _datacube_calls(sandbox):
    return [c for c in sandbox.control("calls") if c["path"].startswith("/datacube/")]


def test_stored_figures_equal_the_sandbox_answers(world):
    rt, wx, sandbox, clock = world
    first, second = _publish_two_chapters(rt, wx, sandbox)
    _final(sandbox, clock, days=4)
    report = pull(rt)
    assert report.articles >= 3

    yesterday = (sandbox_now(sandbox).astimezone(BEIJING).date() - timedelta(days=1))
    published = [sandbox_now(sandbox).astimezone(BEIJING).date() - timedelta(days=d) for d in (4, 3)]
    expected = {}
    for day in published:
        for row in wx.datacube.getarticletotaldetail(day, day)["list"]:
            expected[row["msgid"]] = row
    assert set(expected) == set(first.msgids() + second.msgids())
    with rt.db.session() as s:
        for msgid, row in expected.items():
            stored = s.get(StatArticle, msgid)
            last = row["detail_list"][-1]
            assert (stored.read_user, stored.share_user, stored.collection_user, stored.zaikan_user,
                    stored.like_user, stored.comment_count) == (
                last["read_user"], last["share_user"], last["collection_user"], last["zaikan_user"],
                last["like_user"], last["comment_count"])
            assert stored.read_finish_rate == pytest.approx(last["read_finish_rate"])
            assert stored.sources == sources(last["read_user_source"])
            assert stored.title == row["title"] and stored.publish_type == row["publish_type"]
            assert stored.is_delay is False
        # Daily reads and shares equal getarticleread / getarticleshare day by day.
        day = published[0]
        while day <= yesterday:
            reads = {r["msgid"]: r["detail"] for r in wx.datacube.getarticleread(day, day)["list"]}
            shares = {r["msgid"]: r["detail"] for r in wx.datacube.getarticleshare(day, day)["list"]}
            stored = {d.msgid: d for d in s.scalars(select(StatArticleDaily)
                                                    .where(StatArticleDaily.stat_date == day))}
            for msgid, detail in reads.items():
                assert stored[msgid].read_user == detail["read_user"]
                assert stored[msgid].sources["read"] == sources(detail["read_user_source"])
            for msgid, detail in shares.items():
                assert stored[msgid].share_user == detail["share_user"]
            assert {m for m, d in stored.items() if d.read_user} == set(reads)
            day += timedelta(days=1)
        # Daily favourites add up to the cumulative figure.
        for msgid, row in expected.items():
            total = s.scalar(select(func.sum(StatArticleDaily.collection_user))
                             .where(StatArticleDaily.msgid == msgid))
            assert total == row["detail_list"][-1]["collection_user"]
        # Account overview equals getbizsummary.
        biz = wx.datacube.getbizsummary(published[0], yesterday)["list"]
        stored_biz = {b.ref_date: b.detail for b in s.scalars(select(StatBizDaily))}
        for item in biz:
            assert stored_biz[date.fromisoformat(item["ref_date"])] == item["detail"]


def test_msgids_are_mapped_to_release_article_chapter_and_cases(world):
    rt, wx, sandbox, clock = world
    first, second = _publish_two_chapters(rt, wx, sandbox)
    _final(sandbox, clock)
    assert pull(rt).linked == 3
    with rt.db.session() as s:
        row = s.get(StatArticle, first.msgids()[1])
        release = s.get(Release, row.release_id)
        assert release.msg_data_id == first.msg_data_id
        assert row.article_id is not None
        from wxpub.models import Article, Chapter
        article = s.get(Article, row.article_id)
        assert article.idx == 2 and article.title == "市场环境篇丨案例二"
        assert s.get(Chapter, release.chapter_id).name == "市场环境"
        lead = s.get(Article, s.get(StatArticle, first.msgids()[0]).article_id)
        assert len(lead.case_ids) == 2


def test_pulling_twice_changes_nothing(world):
    rt, wx, sandbox, clock = world
    _publish_two_chapters(rt, wx, sandbox)
    _final(sandbox, clock)
    pull(rt)

    def snapshot():
        with rt.db.session() as s:
            return ([tuple(getattr(a, c.name) for c in StatArticle.__table__.columns)
                     for a in s.scalars(select(StatArticle).order_by(StatArticle.msgid))],
                    [tuple(getattr(d, c.name) for c in StatArticleDaily.__table__.columns)
                     for d in s.scalars(select(StatArticleDaily).order_by(StatArticleDaily.msgid,
                                                                          StatArticleDaily.stat_date))],
                    [(b.ref_date, b.detail, b.updated_at) for b in s.scalars(select(StatBizDaily))])

    before = snapshot()
    clock.advance(minutes=5)
    again = pull(rt)
    assert snapshot() == before
    # Only what can still change was asked again: the article totals of the last 30 days.
    assert again.calls == 2 and again.daily_rows == 0 and again.biz_days == 0


def test_provisional_figures_are_flagged_and_pulled_again(world):
    rt, wx, sandbox, clock = world
    first, _ = _publish_two_chapters(rt, wx, sandbox)
    move_sandbox_to(sandbox, 8, 30, days=1)  # yesterday is provisional until 10:00
    follow_sandbox(clock, sandbox)
    report = pull(rt)
    yesterday = sandbox_now(sandbox).astimezone(BEIJING).date() - timedelta(days=1)
    assert yesterday in report.delayed and "临时数据" in report.summary()
    with rt.db.session() as s:
        row = s.get(StatArticleDaily, (first.msgids()[0], yesterday))
        provisional = row.read_user
        assert row.is_delay is True
        assert s.get(StatArticle, first.msgids()[0]).is_delay is True
    move_sandbox_to(sandbox, 10, 30)
    follow_sandbox(clock, sandbox)
    again = pull(rt)
    assert yesterday not in again.delayed
    final = {r["msgid"]: r["detail"]["read_user"]
             for r in wx.datacube.getarticleread(yesterday, yesterday)["list"]}
    with rt.db.session() as s:
        row = s.get(StatArticleDaily, (first.msgids()[0], yesterday))
        assert row.is_delay is False and row.read_user == final[first.msgids()[0]] >= provisional
        assert s.get(StatArticle, first.msgids()[0]).is_delay is False
        # The provisional days were asked again; the final ones were not.
        read_pulls = s.scalars(select(StatPull.begin_date).where(StatPull.endpoint == "getarticleread")).all()
        assert read_pulls.count(yesterday) == 2
        assert read_pulls.count(yesterday - timedelta(days=1)) == 1


def test_every_call_respects_its_span_and_ends_before_today(world):
    rt, wx, sandbox, clock = world
    _publish_two_chapters(rt, wx, sandbox)
    _final(sandbox, clock, days=2)
    since = sandbox_now(sandbox).astimezone(BEIJING).date() - timedelta(days=75)
    steps = []
    report = pull(rt, since=since, progress=lambda done, total, label: steps.append((done, total)))
    today = sandbox_now(sandbox).astimezone(BEIJING).date()
    calls = [c for c in sandbox.control("calls") if c["path"].startswith("/datacube/")]
    assert calls and all(c["errcode"] in (None, 0) for c in calls)
    with rt.db.session() as s:
        pulls = s.scalars(select(StatPull)).all()
    assert len(pulls) == report.calls == len(calls)
    for p in pulls:
        assert (p.end_date - p.begin_date).days + 1 <= MAX_SPAN[p.endpoint]
        assert p.end_date < today and p.begin_date >= since
    biz = sorted((p.begin_date, p.end_date) for p in pulls if p.endpoint == "getbizsummary")
    assert len(biz) == 3 and biz[0][0] == since  # 76 days in spans of at most 30
    assert steps[-1][0] == steps[-1][1] and len(steps) >= 76


def test_windows_never_reach_today_nor_before_2025_11_01():
    from datetime import datetime, timezone
    from wxpub.stats.dates import FIRST_DAY, chunks, clamp_first, last_pullable_day

    # 2026-03-01 23:30 UTC is already 2026-03-02 in Beijing: yesterday is 03-01, not 02-28.
    assert last_pullable_day(datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)) == date(2026, 3, 1)
    assert clamp_first(date(2014, 11, 1)) == FIRST_DAY == date(2025, 11, 1)
    assert clamp_first(date(2025, 11, 2)) == date(2025, 11, 2)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(65)] + [date(2026, 4, 1)]
    assert chunks(days, 30) == [(date(2026, 1, 1), date(2026, 1, 30)), (date(2026, 1, 31), date(2026, 3, 1)),
                                (date(2026, 3, 2), date(2026, 3, 6)), (date(2026, 4, 1), date(2026, 4, 1))]


def test_transient_errors_are_retried_and_permanent_ones_stop_the_pull(world):
    rt, wx, sandbox, clock = world
    _publish_two_chapters(rt, wx, sandbox)
    _final(sandbox, clock)
    sandbox.control("errors", {"path": "/datacube/getarticleread", "errcode": -1, "count": 2})
    report = pull(rt, )
    assert report.retries == 2
    with rt.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StatPull).where(StatPull.errcode == -1)) == 2

    # A day later there is a new day to store, but WeChat refuses the first call for good.
    _final(sandbox, clock, days=1)
    before, failures_before = _stored(rt), _failures(rt)
    sandbox.control("errors", {"path": "/datacube/getarticletotaldetail", "errcode": 40164, "count": 1})
    with pytest.raises(ingest.StatsPullError) as caught:
        pull(rt)
    assert "统计拉取中止" in caught.value.message and "IP 白名单" in caught.value.message
    after = _stored(rt)
    assert {k: v for k, v in after.items() if k != "stat_pulls"} == \
        {k: v for k, v in before.items() if k != "stat_pulls"}  # no figure changed
    assert _failures(rt) == failures_before + [("getarticletotaldetail", 40164)]  # for the dashboard

    # The next pull asks again and stores the new day.
    again = pull(rt)
    day = _yesterday(sandbox)
    reads = {r["msgid"]: r["detail"]["read_user"] for r in wx.datacube.getarticleread(day, day)["list"]}
    assert reads and again.daily_rows >= len(reads)
    with rt.db.session() as s:
        stored = {d.msgid: d.read_user for d in s.scalars(
            select(StatArticleDaily).where(StatArticleDaily.stat_date == day))}
        assert {msgid: stored.get(msgid) for msgid in reads} == reads
        assert s.scalar(select(func.count()).select_from(StatBizDaily).where(StatBizDaily.ref_date == day)) == 1
        assert s.scalar(select(func.count()).select_from(StatPull).where(StatPull.errcode == 40164)) == 1


@pytest.mark.parametrize("errcode, count", [(40164, 1), (-1, 4)], ids=["permanent", "retries-used-up"])
def test_a_pull_whose_last_call_fails_stores_nothing_and_the_next_stores_everything(world, errcode, count):
    rt, wx, sandbox, clock = world
    first, second = _publish_two_chapters(rt, wx, sandbox)
    _final(sandbox, clock)
    before = _stored(rt)
    answered = len(_datacube_calls(sandbox))
    # getbizsummary (one call for the whole window) comes after every article call.
    sandbox.control("errors", {"path": "/datacube/getbizsummary", "errcode": errcode, "count": count})
    waits = []
    with pytest.raises(ingest.StatsPullError) as caught:
        ingest.pull(rt, sleep=waits.append)
    assert "getbizsummary" in caught.value.message
    calls = _datacube_calls(sandbox)[answered:]
    assert calls[-1]["path"] == "/datacube/getbizsummary" and calls[-1]["errcode"] == errcode
    assert sum(c["errcode"] in (None, 0) for c in calls) >= 6  # the article calls were answered
    assert len(waits) == count - 1
    after = _stored(rt)
    assert {k: v for k, v in after.items() if k != "stat_pulls"} == \
        {k: v for k, v in before.items() if k != "stat_pulls"}
    assert not any(after[m.__tablename__] for m in (StatArticle, StatArticleDaily, StatBizDaily))
    assert _failures(rt) == [("getbizsummary", errcode)]  # recorded so staff see the stale figures
    with rt.db.session() as s:
        notice = queries.freshness(s)["last_error"]  # what the dashboard's "最近一次拉取失败" shows
        assert (notice["endpoint"], notice["errcode"]) == ("getbizsummary", errcode)
        # WeChat's request id of the failed call is kept, and the failure is explained for staff.
        assert notice["rid"] and notice["rid"] in caught.value.message
        assert notice["explanation"]

    report = pull(rt)
    assert report.articles == 3 and report.linked == 3 and report.retries == 0
    yesterday = _yesterday(sandbox)
    published = yesterday - timedelta(days=2)
    expected = {}
    for day in (published, published + timedelta(days=1)):
        expected.update({r["msgid"]: r["detail_list"][-1]
                         for r in wx.datacube.getarticletotaldetail(day, day)["list"]})
    biz = {date.fromisoformat(b["ref_date"]): b["detail"]
           for b in wx.datacube.getbizsummary(published, yesterday)["list"]}
    with rt.db.session() as s:
        stored = {a.msgid: a for a in s.scalars(select(StatArticle))}
        assert set(stored) == set(expected) == set(first.msgids() + second.msgids())
        for msgid, last in expected.items():
            assert (stored[msgid].read_user, stored[msgid].share_user) == (last["read_user"], last["share_user"])
            assert stored[msgid].release_id is not None
        assert {b.ref_date: b.detail for b in s.scalars(select(StatBizDaily))
                if b.ref_date >= published} == biz
        pulls = s.scalars(select(StatPull).where(StatPull.errcode.is_(None))).all()
        assert len(pulls) == report.calls
