"""Re-applying a plan after the serial started: chapters already out are skipped, not refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import select

from wxpub.cli import main
from wxpub.core.plans import expand, load_plan, mark_done, validate
from wxpub.infra.clock import OffsetClock, as_utc
from wxpub.infra.runtime import Runtime
from wxpub.models import Release, Signoff
from wxpub.publishing import pipeline as publish

from publishing_helpers import apply_and_approve, make_due, plan_file

WORKER = "test-host:1"
CHAPTERS = ("市场环境", "政务环境", "法治环境", "人文环境")


def _later(rt, delta: timedelta) -> Runtime:
    """The same office ``delta`` later (the CLI runs on this runtime's clock)."""
    return Runtime.from_settings(rt.settings, clock=OffsetClock(delta))


def _wxpub(runtime: Runtime, *args):
    return CliRunner().invoke(main, list(args), obj=runtime, catch_exceptions=False,
                              env={"WXPUB_ENV": "test"})


def _snapshot(rt, release_id: int) -> dict:
    with rt.db.session() as s:
        r = s.get(Release, release_id)
        signoffs = s.scalars(select(Signoff.id).where(Signoff.message_id == r.message_id)).all()
        return {"scheduled_at": as_utc(r.scheduled_at), "state": r.state, "mode": r.mode,
                "message_id": r.message_id, "approved_version_id": r.approved_version_id,
                "sent_version_id": r.sent_version_id, "article_urls": list(r.article_urls),
                "updated_at": as_utc(r.updated_at), "signoffs": sorted(signoffs)}


def _times(rt, ids) -> list[datetime]:
    with rt.db.session() as s:
        return [as_utc(s.get(Release, i).scheduled_at) for i in ids]


def test_reapplying_after_the_first_chapter_went_out_skips_it(rt, tmp_path, sandbox, sandbox_sleep):
    start = (rt.clock.now() + timedelta(hours=2)).replace(microsecond=0)
    path = plan_file(tmp_path, chapters=CHAPTERS, start=start)
    ids = apply_and_approve(rt, path)
    make_due(rt, ids[:1])
    assert publish.run_release(rt, ids[0], worker=WORKER, sleep=sandbox_sleep) == "published"
    published = _snapshot(rt, ids[0])
    rest_before = [_snapshot(rt, i) for i in ids[1:]]

    # Three hours on, the plan's first slot lies in the past; the office opens the same file again.
    later = _later(rt, timedelta(hours=3))
    try:
        shown = _wxpub(later, "plan", "show", str(path))
        assert shown.exit_code == 0, shown.output
        row = next(line for line in shown.output.splitlines() if "市场环境" in line)
        assert "已发布，跳过" in row
        assert "已经过去" not in shown.output
        assert not [line for line in shown.output.splitlines() if line.strip().startswith("错误")]

        again = _wxpub(later, "plan", "apply", str(path))
        assert again.exit_code == 0, again.output
        assert "新建 0，改期 0，未变 3，取消 0，跳过 1" in again.output
        assert "市场环境：已发布，跳过" in again.output
        assert _snapshot(rt, ids[0]) == published
        assert [_snapshot(rt, i) for i in ids[1:]] == rest_before  # approvals and times kept

        # The rest of the serial moves a week later: only the unpublished chapters move.
        edited = plan_file(tmp_path, chapters=CHAPTERS, start=start + timedelta(days=7))
        moved = _wxpub(later, "plan", "apply", str(edited))
        assert moved.exit_code == 0, moved.output
        assert "改期 3" in moved.output and "跳过 1" in moved.output
        assert _snapshot(rt, ids[0]) == published
        assert _times(rt, ids[1:]) == [start + timedelta(days=7 + i) for i in (1, 2, 3)]
    finally:
        later.db.dispose()

    # Nine days on, the second chapter's new slot has passed, but it never went out: that is still
    # an error, on its line, with what to do.
    overdue = _later(rt, timedelta(days=9, hours=1))
    try:
        refused = _wxpub(overdue, "plan", "show", str(edited))
        assert refused.exit_code == 1
        error = next(line for line in refused.output.splitlines() if "已经过去" in line)
        assert "政务环境" in error and "第 9 行" in error and "改到以后" in error
        assert "市场环境" not in error
        assert "已发布，跳过" in refused.output
        before = [_snapshot(rt, i) for i in ids]
        applied = _wxpub(overdue, "plan", "apply", str(edited))
        assert applied.exit_code == 2 and "未应用" in applied.stderr
        assert [_snapshot(rt, i) for i in ids] == before
    finally:
        overdue.db.dispose()


PLAN = """\
series: 营商环境
account: 新政服
mode: mass_send
start: 2026-03-02T09:00
interval: 1d
chapters:
  - 市场环境
  - 政务环境
  - 法治环境
"""


def test_only_releases_that_are_out_are_exempt_from_the_clock():
    plan = load_plan(PLAN, "plan.yaml")
    now = datetime(2026, 3, 3, 12, 0, tzinfo=timezone.utc)  # the first two slots have passed
    planned = expand(plan, now=now)
    went_out = datetime(2026, 3, 2, 1, 5, tzinfo=timezone.utc)
    releases = mark_done(planned, {"营商环境/市场环境": ("published", went_out)})
    # Marking does not move any slot: the later chapters keep their dates.
    assert [r.scheduled_at for r in releases] == [r.scheduled_at for r in planned]
    assert releases[0].done == "published" and releases[0].effective_at == went_out
    issues = validate(plan, releases, now=now, known_chapters={"政务环境": 2, "法治环境": 1})
    past = [i for i in issues if i.code == "past"]
    assert [(i.chapter, i.line) for i in past] == [("政务环境", 8)]
    assert "从计划中删去" in past[0].message
    # A published chapter needs nothing more from the library; its mass send counts at its own time.
    assert not [i for i in issues if i.chapter == "市场环境"]


def test_a_chapter_in_flight_is_skipped_and_shown_as_such():
    from wxpub.core.plans import format_calendar

    plan = load_plan(PLAN, "plan.yaml")
    now = datetime(2026, 3, 2, 1, 1, tzinfo=timezone.utc)
    releases = mark_done(expand(plan, now=now),
                         {"营商环境/市场环境": ("publishing", datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))})
    issues = validate(plan, releases, now=now, known_chapters={c: 1 for c in CHAPTERS})
    assert not [i for i in issues if i.severity == "error"]
    text = format_calendar(plan, releases, issues)
    assert "发布中，跳过" in next(line for line in text.splitlines() if "市场环境" in line)
