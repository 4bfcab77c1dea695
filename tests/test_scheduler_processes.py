"""The scheduler as real processes against a sandbox process: on time, exactly once, through kill -9,
faults and a second scheduler started by mistake."""

from __future__ import annotations

import random
import signal
import time
from datetime import datetime, timedelta, timezone

import pytest

from procs import ARTICLES, Stack
from publishing_helpers import SERIES

PG = pytest.importorskip("conftest").PG_URL
pytestmark = pytest.mark.slow


def _plan(stack: Stack, chapters, *, first_in: float, interval: str, mode: str = "publish") -> None:
    start = (datetime.now(timezone.utc) + timedelta(seconds=first_in)).astimezone(
        timezone(timedelta(hours=8))).replace(microsecond=0)
    lines = "\n".join(f"  - {c}" for c in chapters)
    path = stack.tmp / "plan.yaml"
    path.write_text(f"series: {SERIES}\naccount: 新政服\nmode: {mode}\ntimezone: Asia/Shanghai\n"
                    f"start: {start.isoformat()}\ninterval: {interval}\nchapters:\n{lines}\n", encoding="utf-8")
    stack.cli("plan", "apply", str(path))
    stack.cli("release", "approve", "--all", "--by", "测试审批人")


@pytest.fixture
def stack(tmp_path):
    made = []

    def make(database_url=None, **kwargs):
        url = database_url or f"sqlite:///{tmp_path / 'wxpub.sqlite3'}"
        s = Stack(tmp_path, url, **kwargs)  # the sandbox process boots meanwhile
        made.append(s)
        s.cli("db", "upgrade")
        s.cli("import", str(ARTICLES))
        s.cli("user", "create", "测试审批人", "--role", "approver", input="approver-pass-2026\n")
        s.wait_for_sandbox()
        return s
    yield make
    for s in made:
        s.stop()


def test_releases_go_out_on_time_once_with_a_utc_server_clock(stack):
    s = stack()
    s.wait_until_running(s.start_scheduler(TZ="UTC"))  # running already, as in a deployment
    _plan(s, ["市场环境", "政务环境", "法治环境", "人文环境"], first_in=4, interval="2s")
    shown = s.cli("release", "list", "--json")
    assert "+08:00" in shown  # times for people are Beijing time whatever the server's zone
    published = s.all_published(4, timeout=60)
    assert len(s.successful("/freepublish/submit")) == 4
    for release in published:
        assert release["article_urls"]
    submits = sorted(datetime.fromisoformat(c["time"]) for c in s.successful("/freepublish/submit"))
    planned = sorted(datetime.fromisoformat(r["scheduled_at"]) for r in published)
    lateness = [(a - p).total_seconds() for a, p in zip(submits, planned)]
    assert all(-0.5 <= x < 3 for x in lateness), lateness


@pytest.mark.parametrize("point", ["gate", "upload:uploadimg", "upload:thumb", "draft", "submit:before",
                                   "submit:after", "confirm"])
def test_kill_9_at_each_step_then_restart_publishes_exactly_once(stack, point):
    s = stack()
    _plan(s, ["市场环境"], first_in=2, interval="1d")
    crashing = s.start_scheduler(WXPUB_CRASH_AT=point)
    crashing.wait(timeout=60)
    assert crashing.returncode == -signal.SIGKILL, f"the scheduler did not reach {point}"
    s.start_scheduler()
    [release] = s.all_published(1, timeout=60)
    assert len(s.successful("/freepublish/submit")) == 1
    assert release["article_urls"]


def test_random_kills_and_twenty_percent_faults_still_publish_everything_once(stack):
    s = stack(fault_rate=0.2, seed=11)
    _plan(s, ["市场环境", "政务环境", "法治环境", "人文环境"], first_in=3, interval="2s")
    rng = random.Random(5)
    deadline = time.time() + 25
    while time.time() < deadline:
        proc = s.start_scheduler()
        time.sleep(rng.uniform(1.5, 5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if all(r["state"] == "published" for r in s.releases()):
            break
    s.start_scheduler()
    s.all_published(4, timeout=120)
    submits = s.successful("/freepublish/submit")
    assert len(submits) == 4, submits


@pytest.mark.skipif(not PG, reason="needs WXPUB_TEST_DATABASE_URL (PostgreSQL)")
def test_two_schedulers_on_postgres_publish_exactly_once(stack, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL run only")
    s = stack(database_url=database_url)
    for scheduler in (s.start_scheduler(), s.start_scheduler()):  # both running when the plan is due
        s.wait_until_running(scheduler)
    _plan(s, ["市场环境", "政务环境", "法治环境", "人文环境"], first_in=3, interval="2s")
    s.all_published(4, timeout=60)
    assert len(s.successful("/freepublish/submit")) == 4


@pytest.mark.skipif(not PG, reason="needs WXPUB_TEST_DATABASE_URL (PostgreSQL)")
def test_a_burst_shared_by_two_schedulers_survives_kill_9_of_one_exactly_once(stack, database_url):
    """Issue 17's check in small: 5 accounts × 4 chapters due at one instant, two schedulers, one of
    them killed (kill -9) in the middle of the burst and started again."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL run only")
    s = stack(database_url=database_url, accounts=4, publish_delay=1)
    s.register_accounts()
    at = (datetime.now(timezone.utc) + timedelta(seconds=12)).astimezone(
        timezone(timedelta(hours=8))).replace(microsecond=0)
    chapters = "\n".join(f"  - {{name: {c}, at: {at.isoformat()}}}"
                         for c in ["市场环境", "政务环境", "法治环境", "人文环境"])
    for account in ["新政服", *(a["name"] for a in s.accounts)]:
        path = s.tmp / f"plan-{account}.yaml"
        path.write_text(f"series: {SERIES}\naccount: {account}\nmode: publish\ntimezone: Asia/Shanghai\n"
                        f"chapters:\n{chapters}\n", encoding="utf-8")
        s.cli("plan", "apply", str(path))
    s.cli("release", "approve", "--all", "--by", "测试审批人")
    victim = s.start_scheduler(WXPUB_PUBLISH_WORKERS="2", WXPUB_CLAIM_BATCH="2")
    survivor = s.start_scheduler(WXPUB_PUBLISH_WORKERS="2", WXPUB_CLAIM_BATCH="2")
    for scheduler in (victim, survivor):
        s.wait_until_running(scheduler)
    s.wait_for(lambda: len(s.successful("/freepublish/submit")) >= 3, 60, "the burst to start")
    victim.send_signal(signal.SIGKILL)  # mid-burst: it holds claimed releases, some half done
    victim.wait()
    s.start_scheduler()
    published = s.all_published(20, timeout=90)
    submits = s.successful("/freepublish/submit")
    assert len(submits) == 20, submits
    per_account = {}
    for call in submits:
        per_account[call["appid"]] = per_account.get(call["appid"], 0) + 1
    assert sorted(per_account.values()) == [4] * 5  # each account's four, once each
    assert all(r["article_urls"] for r in published)
