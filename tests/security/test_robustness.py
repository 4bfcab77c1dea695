"""Inputs that used to answer 500 now answer 4xx, the API answers in pages and in JSON, and a WeChat
outage no longer floods the scheduler's log and the attempts table (issue 10, items 6, 11, 14)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from wxpub.library import service as library
from wxpub.library import sources
from wxpub.models import PublishAttempt, Release
from wxpub.publishing import pipeline
from wxpub.publishing.engine import drain
from wxpub.sandbox.testing import SandboxServer
from wxpub.staff import users
from wxpub.worker import scheduler as scheduler_role

from auth_helpers import login
from publishing_helpers import apply_and_approve, make_due, plan_file

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"
PASSWORD = "Zh4ngsan-2026!"
HUGE = "9" * 25            # far beyond 64 bits
JUST_OVER = str(2 ** 31)   # the first id an INTEGER primary key (PostgreSQL: 32-bit) cannot hold


@pytest.fixture
def editor(app, session, clock, sample_series):
    """A logged-in editor (client, CSRF headers) and the five sample cases of 人文环境."""
    users.create_user(session, "zhangsan", PASSWORD, "editor", now=clock.now(), actor="测试")
    library.apply_import(session, [sources.load(sources.Unit(str(SAMPLE), SAMPLE))], now=clock.now())
    return login(app, "zhangsan", PASSWORD)


# --- months -----------------------------------------------------------------------------------------

def test_a_month_out_of_range_is_a_400_in_chinese(editor):
    client, _ = editor
    for path in ("/dashboard/calendar", "/dashboard/report", "/dashboard/export/calendar.csv",
                 "/dashboard/export/account.xlsx", "/dashboard/export/articles.csv"):
        for month in ("9999-12", "0001-01", "2013-12", "2101-01", "99999999999-01"):
            answer = client.get(path, query_string={"month": month})
            assert answer.status_code == 400, (path, month)
            assert "月份超出范围" in answer.get_data(as_text=True)


def test_months_in_range_still_work(editor):
    client, _ = editor
    for month in ("2014-01", "2026-03", "2100-12"):
        assert client.get("/dashboard/calendar", query_string={"month": month}).status_code == 200
        assert client.get("/dashboard/report", query_string={"month": month}).status_code == 200
    assert client.get("/dashboard/calendar", query_string={"month": "2026-13"}).status_code == 400
    # The calendar's previous/next links never lead out of the range.
    assert "2101-01" not in client.get("/dashboard/calendar?month=2100-12").get_data(as_text=True)
    assert "2013-12" not in client.get("/dashboard/calendar?month=2014-01").get_data(as_text=True)
    assert "2026-04" in client.get("/dashboard/calendar?month=2026-03").get_data(as_text=True)


# --- ids beyond 64 bits -----------------------------------------------------------------------------

@pytest.mark.parametrize("big", [HUGE, JUST_OVER])
def test_ids_beyond_64_bits_are_not_found(editor, big):
    client, headers = editor
    for answer in (client.get(f"/api/v1/cases/{big}"),
                   client.patch(f"/api/v1/cases/{big}", json={"score": 1}, headers=headers),
                   client.post(f"/api/v1/chapters/{big}/order", json={"case_ids": []}, headers=headers)):
        assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"
    for path in (f"/preview/messages/{big}", f"/preview/versions/{big}"):
        assert client.get(path).status_code == 404
    # The largest id that fits is a plain "not found" too.
    assert client.get(f"/api/v1/cases/{2 ** 31 - 1}").status_code == 404


def test_case_ids_in_a_body_beyond_64_bits_are_refused(editor):
    client, headers = editor
    for ids in ([int(HUGE)], [True], [2 ** 31]):
        answer = client.post("/api/v1/chapters/1/order", json={"case_ids": ids}, headers=headers)
        assert answer.status_code == 400 and answer.get_json()["error"] == "invalid"


# --- JSON bodies ------------------------------------------------------------------------------------

def test_a_deeply_nested_json_body_is_a_400(editor):
    client, headers = editor
    case_id = client.get("/api/v1/cases").get_json()["cases"][0]["id"]
    deep = b"[" * 100_000 + b"]" * 100_000
    for answer in (client.patch(f"/api/v1/cases/{case_id}", data=deep,
                                headers={**headers, "Content-Type": "application/json"}),
                   client.post("/api/v1/chapters/1/order", data=b'{"case_ids": ' + deep + b"}",
                               headers={**headers, "Content-Type": "application/json"})):
        assert answer.status_code == 400
        assert answer.get_json()["error"] == "invalid" and "嵌套" in answer.get_json()["message"]
    assert client.patch(f"/api/v1/cases/{case_id}", json={"score": True}, headers=headers).status_code == 400


def test_a_missing_csrf_token_answers_json_under_the_api(editor):
    client, _headers = editor
    answer = client.patch("/api/v1/cases/1", json={"score": 3})
    assert answer.status_code == 400 and answer.is_json
    assert answer.get_json()["error"] == "csrf" and "刷新页面" in answer.get_json()["message"]


def test_a_body_over_the_app_limit_is_refused_with_413(editor, app):
    client, headers = editor
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024  # WXPUB_MAX_REQUEST_BYTES' default
    answer = client.post("/api/v1/chapters/1/order", data=b'{"case_ids": [' + b"1," * (1024 * 1024) + b"1]}",
                         headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.get_json()["error"] == "too_large"


# --- pagination -------------------------------------------------------------------------------------

def test_cases_come_in_pages(editor):
    client, _ = editor
    first = client.get("/api/v1/cases").get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 50, 5) and len(first["cases"]) == 5
    pages = [client.get("/api/v1/cases", query_string={"per_page": 2, "page": n}).get_json() for n in (1, 2, 3, 4)]
    assert [len(p["cases"]) for p in pages] == [2, 2, 1, 0]
    assert {p["total"] for p in pages} == {5}
    ids = [c["id"] for p in pages for c in p["cases"]]
    assert ids == [c["id"] for c in first["cases"]]  # the same order, nothing twice
    assert client.get("/api/v1/cases", query_string={"per_page": 100000}).get_json()["per_page"] == 200
    for bad in ({"page": 0}, {"page": "x"}, {"per_page": -1}, {"page": HUGE}):
        answer = client.get("/api/v1/cases", query_string=bad)
        assert answer.status_code == 400 and answer.get_json()["error"] == "invalid"


# --- WeChat down: the scheduler's log and the attempts table ---------------------------------------

def _short(seconds: float) -> None:
    """Backoffs and polls without the real waits (a few milliseconds each)."""
    time.sleep(min(seconds, 0.05))


def _transient_rows(rt, release_id) -> list[PublishAttempt]:
    with rt.db.session() as s:
        return list(s.scalars(select(PublishAttempt).where(
            PublishAttempt.release_id == release_id, PublishAttempt.outcome == "transient")))


def test_a_down_wechat_costs_one_attempt_row_per_backoff(rt, sandbox, tmp_path):
    start = rt.clock.now() + timedelta(hours=2)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("政务环境",), start=start))
    make_due(rt, [release_id])
    sandbox.control("errors", {"path": "*", "errcode": -1, "count": 1000})
    assert pipeline.run_release(rt, release_id, worker="t:1", sleep=lambda s: None) == "publishing"
    [row] = _transient_rows(rt, release_id)  # five quick tries, one row
    assert row.detail["tries"] == pipeline.INLINE_TRIES and "rid:" in row.detail["errors"][-1]
    with rt.db.session() as s:
        assert s.get(Release, release_id).next_try_at > rt.clock.now()  # the next try waits
    # WeChat is back: the release goes out, and the failures it got past are one row, not one per try.
    sandbox.control("errors", {"clear": True})
    sandbox.control("errors", {"path": "/cgi-bin/draft/add", "errcode": -1, "count": 2})
    with rt.db.session() as s:
        s.get(Release, release_id).next_try_at = None
        s.commit()
    assert pipeline.run_release(rt, release_id, worker="t:1", sleep=_short) == "published"
    rows = _transient_rows(rt, release_id)
    assert len(rows) == 2 and rows[-1].detail["recovered"] and rows[-1].detail["tries"] == 2


def test_a_failing_preparation_is_not_retried_every_few_seconds(rt, sandbox, tmp_path):
    start = rt.clock.now() + timedelta(hours=2)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("政务环境",), start=start))
    make_due(rt, [release_id], ago=-timedelta(minutes=10))  # due in ten minutes: prepared ahead
    sandbox.control("errors", {"path": "*", "errcode": -1, "count": 1000})
    assert pipeline.run_release(rt, release_id, worker="t:1", sleep=lambda s: None, prepare=True) == "approved"
    assert len(_transient_rows(rt, release_id)) == 1
    calls = len(requests.get(f"{sandbox.url}/sandbox/calls", timeout=5).json())
    # The engine looks for preparation work a few seconds later: it leaves the release alone for now …
    drain(rt, worker_id=lambda: "t:2")
    assert len(requests.get(f"{sandbox.url}/sandbox/calls", timeout=5).json()) == calls
    assert len(_transient_rows(rt, release_id)) == 1
    # … and the planned time is not delayed by it.
    with rt.db.session() as s:
        assert s.get(Release, release_id).next_try_at is None


def test_a_periodic_run_longer_than_its_interval_does_not_flood_the_log(sandbox_runtime, tmp_path, caplog):
    """A preparation waits on a WeChat call that takes 6 s while the scheduler's ticks come round."""
    with SandboxServer(slow_seconds=6) as slow:
        rt = sandbox_runtime(slow, samples=True, wechat_timeout=10)
        start = rt.clock.now() + timedelta(hours=2)
        [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("政务环境",), start=start))
        make_due(rt, [release_id], ago=-timedelta(minutes=10))
        slow.control("faults", {"force": "slow", "path": "*", "count": 1})
        scheduler = scheduler_role.build(rt, sync_seconds=0.5)
        runner = threading.Thread(target=scheduler.start, daemon=True)
        with caplog.at_level(logging.WARNING):
            runner.start()
            time.sleep(7.5)
            scheduler.shutdown(wait=True)
            runner.join(timeout=10)
        with rt.db.session() as s:
            assert s.get(Release, release_id).step == "drafted"  # the slow run did its work
    skipped = [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
    assert skipped == []
