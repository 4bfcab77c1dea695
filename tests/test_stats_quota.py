"""Statistics by WeChat's rules of December 2026 (reference §0a.1, §0a.2, §0a.5), against a live sandbox:
the offline legacy endpoints (47009) and a missing permission (48001) stop the pull with an explanation
and WeChat's rid — no retry, no fallback; data starts 2025-11-01; a back-fill says what it will spend,
reads the real quota first and is refused, before any datacube call, past its share of the day."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import func, select

from wxpub.cli import main
from wxpub.infra import migrate
from wxpub.infra.clock import FrozenClock
from wxpub.infra.runtime import Runtime
from wxpub.models import Account, StatArticle, StatArticleDaily, StatBizDaily, StatPull
from wxpub.sandbox.testing import SandboxServer
from wxpub.stats import budget, ingest, pull
from wxpub.stats.dates import BEIJING, FIRST_DAY
from wxpub.stats.failures import describe_error
from wxpub.stats.testing import follow_sandbox, move_sandbox_to, publish, record_release, sandbox_now
from wxpub.wechat.errors import PermanentWeChatError, raise_for_body
from wxpub.wechat.testing import SANDBOX_ACCOUNT, sandbox_settings

LEGACY = ("getarticlesummary", "getarticletotal", "getuserread", "getuserreadhour", "getusershare",
          "getusersharehour")
CLAMP_NOTE = "微信只保存 2025-11-01 以后的统计数据，已从该日开始"
RID_AT_END = re.compile(r"（rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}）$")


@pytest.fixture
def world(database_url, tmp_path, request):
    """A published two-article message two days ago; WeChat and our clock at 10:30 Beijing.

    ``request.param`` (indirect parametrisation) is the back-fill's quota share (default 0.5)."""
    share = getattr(request, "param", 0.5)
    with SandboxServer(**SANDBOX_ACCOUNT, publish_delay=1.0) as sandbox:
        move_sandbox_to(sandbox, 9, 0)
        clock = FrozenClock(sandbox_now(sandbox))
        settings = sandbox_settings(sandbox.url, database_url, instance_path=str(tmp_path / "i"),
                                    stats_quota_share=share)
        rt = Runtime.from_settings(settings, clock=clock)
        migrate.upgrade(rt.db)
        sent = publish(rt.wechat, sandbox, ["营商环境篇丨创新实践案例", "营商环境篇丨案例二"])
        with rt.db.session() as s:
            record_release(s, sent, series="2023年度案例展示", chapter="营商环境",
                           scheduled_at=sandbox_now(sandbox))
            s.commit()
        move_sandbox_to(sandbox, 10, 30, days=2)
        follow_sandbox(clock, sandbox)
        yield rt, sandbox
        rt.db.dispose()


def _yesterday(sandbox) -> date:
    return sandbox_now(sandbox).astimezone(BEIJING).date() - timedelta(days=1)


def _calls(sandbox, prefix="/datacube/"):
    return [c for c in sandbox.control("calls") if c["path"].startswith(prefix)]


def _figures(rt):
    """Every statistics row (figures and call log), to show that nothing was stored."""
    with rt.db.session() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (StatArticle, StatArticleDaily, StatBizDaily, StatPull, Account)}


def _failures(rt):
    with rt.db.session() as s:
        return [(p.endpoint, p.errcode) for p in s.scalars(
            select(StatPull).where(StatPull.errcode.is_not(None)).order_by(StatPull.id))]


def _set_quota(sandbox, endpoint, **values):
    sandbox.control("quota", {"cgi_path": f"/datacube/{endpoint}", **values})


def test_47009_is_explained_with_its_rid_and_never_retried(world):
    rt, sandbox = world
    day = _yesterday(sandbox)
    # What the offline legacy endpoints answer, in words for staff.
    answer = requests.post(f"{sandbox.url}/datacube/getarticlesummary",
                           params={"access_token": rt.wechat.token.get()},
                           json={"begin_date": day.isoformat(), "end_date": day.isoformat()}, timeout=5).json()
    with pytest.raises(PermanentWeChatError) as offline:
        raise_for_body(answer, "datacube/getarticlesummary")
    assert offline.value.errcode == 47009 and offline.value.rid
    assert "下线" in describe_error(offline.value)
    assert describe_error(offline.value).endswith(f"（rid: {offline.value.rid}）")

    # Forced on a new endpoint: one call, no retry, no fallback, nothing stored but the failure.
    sandbox.control("calls/clear", {})
    sandbox.control("errors", {"path": "/datacube/getarticleread", "errcode": 47009, "count": 5})
    with pytest.raises(ingest.StatsPullError) as caught:
        pull(rt)
    message = caught.value.message
    assert "统计拉取中止" in message and "getarticleread" in message and "错误码 47009" in message
    assert "下线" in message and "不会再调用旧接口" in message
    assert RID_AT_END.search(message), message
    calls = _calls(sandbox)
    assert [c["errcode"] for c in calls if c["path"] == "/datacube/getarticleread"] == [47009]
    assert not [c for c in calls if c["path"].rsplit("/", 1)[-1] in LEGACY]
    assert _failures(rt) == [("getarticleread", 47009)]
    assert _figures(rt)["stat_articles"] == 0


def test_48001_stops_the_pull_and_says_what_to_check_without_falling_back(world):
    rt, sandbox = world
    sandbox.control("calls/clear", {})
    sandbox.control("errors", {"path": "/datacube/getarticletotaldetail", "errcode": 48001, "count": 100})
    result = CliRunner().invoke(main, ["stats", "pull"], obj=rt)
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "统计拉取中止" in message and "getarticletotaldetail" in message and "错误码 48001" in message
    assert "没有新版“发表内容”统计接口的权限" in message and "接口权限" in message and "认证" in message
    assert "不会改用旧接口" in message and RID_AT_END.search(message), message
    calls = _calls(sandbox)
    assert [(c["path"], c["errcode"]) for c in calls] == [("/datacube/getarticletotaldetail", 48001)]
    assert _failures(rt) == [("getarticletotaldetail", 48001)]
    figures = _figures(rt)
    assert figures["stat_articles"] == figures["stat_biz_daily"] == 0


def test_a_since_before_2025_11_01_starts_there_says_so_and_prints_its_plan(world):
    rt, sandbox = world
    yesterday = _yesterday(sandbox)
    days = (yesterday - FIRST_DAY).days + 1
    result = CliRunner().invoke(main, ["stats", "pull", "--since", "2020-01-01"], obj=rt)
    assert result.exit_code == 0, result.output
    planned = (f"将调用微信统计接口 {3 * days + math.ceil(days / 30)} 次（getarticletotaldetail {days} 次、"
               f"getarticleread {days} 次、getarticleshare {days} 次、getbizsummary {math.ceil(days / 30)} 次），"
               f"范围 2025-11-01 至 {yesterday}。今日额度：getarticletotaldetail 已用 0 / 1000 次、剩余 1000 次、"
               f"补拉最多可用 500 次")
    first_line = result.stdout.splitlines()[0]
    assert first_line.startswith(f"{CLAMP_NOTE}（--since 2020-01-01）。{planned}"), first_line
    assert "统计数据已更新（2025-11-01 至" in result.stdout and CLAMP_NOTE in result.stdout.splitlines()[-1]
    calls = _calls(sandbox)
    assert len(calls) == 3 * days + math.ceil(days / 30)
    assert all(c["errcode"] in (None, 0) for c in calls)  # no 61501: nothing before 2025-11-01 asked
    with rt.db.session() as s:
        assert s.scalar(select(func.min(StatPull.begin_date))) == FIRST_DAY
        assert s.scalar(select(func.count()).select_from(StatPull)) == len(calls)


def test_a_back_fill_past_its_share_is_refused_before_any_datacube_call(world):
    rt, sandbox = world
    yesterday = _yesterday(sandbox)
    since = yesterday - timedelta(days=59)  # 60 days: 60 calls of getarticleread
    _set_quota(sandbox, "getarticleread", daily_limit=100, used=60)
    sandbox.control("calls/clear", {})
    before = _figures(rt)
    runner = CliRunner()
    result = runner.invoke(main, ["stats", "pull", "--since", since.isoformat()], obj=rt)
    assert result.exit_code == 1, result.output
    message = result.stderr
    assert "统计补拉已取消，没有调用任何微信统计接口，也没有保存数据" in message
    assert ("getarticleread 计划调用 60 次，超过允许的 40 次（今日额度 100 次，已用 60 次，剩余 40 次，"
            "补拉最多用当日额度的 50%）") in message
    assert "getarticleshare" not in message  # within its quota: not named
    assert "明天再补拉" in message and "WXPUB_STATS_QUOTA_SHARE（当前 0.5" in message
    assert _calls(sandbox) == [] and _figures(rt) == before  # no datacube call, nothing stored
    assert len(_calls(sandbox, "/cgi-bin/openapi/quota/get")) == 4  # the real quota was read

    # The later --since it suggests fits; the day before does not.
    suggested = date.fromisoformat(re.search(r"--since (\d{4}-\d{2}-\d{2}) 以后在今日额度之内", message)[1])
    assert (yesterday - suggested).days + 1 == 40
    fits = runner.invoke(main, ["stats", "pull", "--dry-run", "--since", suggested.isoformat()], obj=rt)
    assert fits.exit_code == 0 and "getarticleread 40 次" in fits.stdout, fits.output
    earlier = (suggested - timedelta(days=1)).isoformat()
    assert runner.invoke(main, ["stats", "pull", "--dry-run", "--since", earlier], obj=rt).exit_code == 1
    assert _calls(sandbox) == [] and _figures(rt) == before

    # The use case refuses too, with the same words (the web or the API will call it).
    with pytest.raises(ingest.QuotaRefused) as refused:
        pull(rt, since=since)
    assert "getarticleread 计划调用 60 次" in refused.value.message
    assert _calls(sandbox) == []


@pytest.mark.parametrize("world, allowed", [(0.5, True), (0.2, False)], indirect=["world"],
                         ids=["share-0.5", "share-0.2"])
def test_a_dry_run_from_2025_11_01_plans_and_reads_the_quota_only(world, allowed):
    rt, sandbox = world
    days = (_yesterday(sandbox) - FIRST_DAY).days + 1
    sandbox.control("calls/clear", {})
    result = CliRunner().invoke(main, ["stats", "pull", "--dry-run", "--since", "2025-11-01"], obj=rt)
    assert result.exit_code == (0 if allowed else 1), result.output
    assert f"getarticleread {days} 次" in result.stdout and "今日额度：" in result.stdout
    assert CLAMP_NOTE not in result.output  # 2025-11-01 itself needs no moving
    if allowed:
        assert "试运行：补拉在今日额度之内，没有调用统计接口" in result.stdout
    else:
        for name in ("getarticletotaldetail", "getarticleread", "getarticleshare"):
            assert (f"{name} 计划调用 {days} 次，超过允许的 200 次（今日额度 1000 次，已用 0 次，剩余 1000 次，"
                    "补拉最多用当日额度的 20%）") in result.stderr
        assert "getbizsummary 计划调用" not in result.stderr  # 14 calls fit
    assert _calls(sandbox) == [] and _figures(rt)["stat_pulls"] == 0


def test_an_allowed_back_fill_reads_the_quota_first_and_makes_exactly_the_calls_it_announced(world):
    rt, sandbox = world
    yesterday = _yesterday(sandbox)
    since = yesterday - timedelta(days=39)
    sandbox.control("calls/clear", {})
    plan = budget.plan_pull(rt, since)
    assert plan.calls == {"getarticletotaldetail": 40, "getarticleread": 40, "getarticleshare": 40,
                          "getbizsummary": 2}
    assert _calls(sandbox) == []  # planning calls no datacube
    result = CliRunner().invoke(main, ["stats", "pull", "--since", since.isoformat()], obj=rt)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"将调用微信统计接口 122 次（getarticletotaldetail 40 次、getarticleread 40 次、getarticleshare 40 次、"
        f"getbizsummary 2 次），范围 {since} 至 {yesterday}。今日额度：getarticletotaldetail 已用 0 / 1000 次")
    assert "统计数据已更新" in result.stdout
    calls = [c["path"] for c in sandbox.control("calls")]
    first_datacube = next(i for i, p in enumerate(calls) if p.startswith("/datacube/"))
    assert calls[:first_datacube].count("/cgi-bin/openapi/quota/get") == 4
    assert len(_calls(sandbox)) == 122
    # What is final now costs nothing later: a second back-fill plans only the still-growing totals.
    assert budget.plan_pull(rt, since).calls == {"getarticletotaldetail": 1}


def test_45009_during_the_daily_pull_stops_it_without_a_retry_or_a_quota_read(world):
    rt, sandbox = world
    _set_quota(sandbox, "getarticleread", daily_limit=3, used=3)
    sandbox.control("calls/clear", {})
    with pytest.raises(ingest.StatsPullError) as caught:
        ingest.pull(rt, sleep=lambda seconds: pytest.fail("a 45009 must not be retried"))
    message = caught.value.message
    assert "getarticleread" in message and "错误码 45009" in message and "次日零点恢复" in message
    assert "没有重试" in message and RID_AT_END.search(message), message
    reads = [c for c in _calls(sandbox) if c["path"] == "/datacube/getarticleread"]
    assert [c["errcode"] for c in reads] == [45009]
    assert _calls(sandbox, "/cgi-bin/openapi/quota/get") == []  # the daily pull reads no quota
    assert _failures(rt) == [("getarticleread", 45009)] and _figures(rt)["stat_articles"] == 0
