"""Shared set-up for publishing tests: a library with the sample series, plans, approvals."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import update

from wxpub.library import service as library

from wxpub.releases import approvals, plans as release_plans

from wxpub.library import sources
from wxpub.models import Release

ARTICLES = Path(__file__).resolve().parents[1] / "articles"
SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"


def import_samples(rt) -> None:
    """Import the sample series from articles/."""
    with rt.db.session() as session:
        units = sources.discover([str(ARTICLES)])
        library.apply_import(session, [sources.load(u) for u in units], now=rt.clock.now(), actor="测试")


def plan_file(tmp_path: Path, *, mode: str = "publish", chapters=("市场环境", "政务环境", "法治环境", "人文环境"),
              start, interval: str = "1d", account_type: str = "subscription", name="plan.yaml",
              account: str = "新政服") -> Path:
    """Write a plan for ``account`` starting at ``start`` (aware datetime)."""
    lines = "\n".join(f"  - {c}" for c in chapters)
    path = tmp_path / name
    path.write_text(textwrap.dedent(f"""\
        series: {SERIES}
        account: {account}
        account_type: {account_type}
        mode: {mode}
        start: {start.isoformat()}
        interval: {interval}
        chapters:
        """) + lines + "\n", encoding="utf-8")
    return path


APPROVER_PASSWORD = "approver-pass-2026"


def ensure_approver(rt, name: str = "张主任") -> None:
    """An enabled approver account named ``name`` (created once)."""
    from sqlalchemy import select

    from wxpub.models import User
    from wxpub.staff import users

    with rt.db.session() as session:
        if session.scalar(select(User).where(User.username == name)) is None:
            users.create_user(session, name, APPROVER_PASSWORD, "approver", now=rt.clock.now(),
                              actor="测试")


def apply_and_approve(rt, path: Path, *, by: str = "张主任") -> list[int]:
    """Apply a plan and approve every release as the approver ``by`` (created if need be);
    returns release ids in plan order."""
    ensure_approver(rt, by)
    with rt.db.session() as session:
        loaded = release_plans.load(session, path, now=rt.clock.now())
        report = release_plans.apply_plan(session, loaded, settings=rt.settings, now=rt.clock.now(),
                                          actor="测试")
        ids = [r.id for r in report.created + report.moved + report.unchanged]
        approvals.approve(session, ids, by=by, now=rt.clock.now(), policy=rt.settings.review_policy, tz=rt.settings.tz)
    return sorted(ids)


def make_due(rt, release_ids, *, ago: timedelta = timedelta(seconds=1)) -> None:
    """Pretend the releases' time has come (plans refuse past times, so tests move them)."""
    with rt.db.session() as session:
        session.execute(update(Release).where(Release.id.in_(list(release_ids)))
                        .values(scheduled_at=rt.clock.now() - ago))
        session.commit()


def sandbox_calls(sandbox_url: str, path_suffix: str, *, ok_only: bool = True) -> list[dict]:
    """The sandbox's call log for one endpoint (successful calls only by default)."""
    calls = requests.get(f"{sandbox_url}/sandbox/calls", timeout=5).json()
    return [c for c in calls if c["path"].endswith(path_suffix) and (not ok_only or (c["errcode"] == 0 and c.get("http_status", 200) == 200))]


def refused_by_the_sandbox(rt, tmp_path: Path, sandbox, sleep, *, errcode: int = 45166,
                           chapter: str = "政务环境") -> int:
    """A release that WeChat (the sandbox) refuses for good at draft/add: planned, approved, due,
    run once — it ends 失败 with WeChat's rid in its attempt log. Returns its id."""
    from wxpub.publishing import pipeline

    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=(chapter,),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, [release_id])
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/draft/add", "errcode": errcode,
                                                         "count": 1}, timeout=5)
    assert pipeline.run_release(rt, release_id, worker="test-host:1", sleep=sleep) == "failed"
    return release_id


def published_through_the_sandbox(rt, tmp_path: Path, sleep, *, chapter: str = "市场环境") -> int:
    """A release that went out: planned, approved, checked 24 hours ahead, due, run once — it ends
    已发布 with its article links, its pre-flight and read-back attempts. Returns its id."""
    from wxpub.publishing import pipeline, preflight

    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=(chapter,),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    assert preflight.run_due_checks(rt) == 1  # the 24-hour check
    make_due(rt, [release_id])
    assert pipeline.run_release(rt, release_id, worker="test-host:1", sleep=sleep) == "published"
    return release_id
