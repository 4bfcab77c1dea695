"""Pre-flight checks a day and an hour ahead: problems surface while a person can still act."""

from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import select, update

from wxpub.publishing import preflight
from wxpub.models import Alert, PublishAttempt, Release

from publishing_helpers import apply_and_approve, plan_file, sandbox_calls


def _due_in(rt, ids, delta):
    with rt.db.session() as s:
        s.execute(update(Release).where(Release.id.in_(ids)).values(scheduled_at=rt.clock.now() + delta))
        s.commit()


def test_checks_run_once_per_window_and_dry_run_a_draft(rt, tmp_path, sandbox):
    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境",), start=rt.clock.now() + timedelta(hours=2)))
    _due_in(rt, ids, timedelta(hours=20))
    assert preflight.run_due_checks(rt) == 1
    assert preflight.run_due_checks(rt) == 0  # the 24-hour check runs once
    assert len(sandbox_calls(sandbox.url, "/draft/add")) == 1
    assert len(sandbox_calls(sandbox.url, "/draft/delete")) == 1
    _due_in(rt, ids, timedelta(minutes=50))
    assert preflight.run_due_checks(rt) == 1
    with rt.db.session() as s:
        steps = sorted(a.step for a in s.scalars(select(PublishAttempt)))
        assert steps == ["preflight-1h", "preflight-24h"]
        assert s.scalars(select(Alert)).all() == []


def test_a_problem_found_ahead_raises_an_alert(rt, tmp_path, sandbox):
    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=("政务环境",), start=rt.clock.now() + timedelta(hours=2)))
    _due_in(rt, ids, timedelta(minutes=30))
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/draft/add", "errcode": 45166,
                                                         "count": 1}, timeout=5)
    preflight.run_due_checks(rt)
    with rt.db.session() as s:
        [alert] = s.scalars(select(Alert)).all()
        assert "试建草稿失败" in alert.message and "45166" in alert.message
