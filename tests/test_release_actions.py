"""Staff actions on one release — hold, resume, reschedule — as use cases and as commands: each is
checked against the state model and the 群发 quota, moves the state only through transitions, and
leaves its audit row."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from publishing_helpers import apply_and_approve, import_samples, make_due, plan_file
from wxpub.core.errors import Conflict, ValidationError
from wxpub.models import AuditEntry, Release, ReleaseTransition
from wxpub.releases import actions, plans as release_plans, transitions

BEIJING = ZoneInfo("Asia/Shanghai")


def _approved(rt, tmp_path, *, mode="publish", chapters=("市场环境",), start=None) -> list[int]:
    import_samples(rt)
    start = start or rt.clock.now() + timedelta(days=3)
    return apply_and_approve(rt, plan_file(tmp_path, mode=mode, chapters=chapters, start=start))


def _release(rt, release_id) -> Release:
    with rt.db.session() as s:
        return s.get(Release, release_id)


def _moves(rt, release_id) -> list[tuple[str, str, str, str]]:
    with rt.db.session() as s:
        rows = s.scalars(select(ReleaseTransition).where(ReleaseTransition.release_id == release_id)
                         .order_by(ReleaseTransition.id))
        return [(r.from_state, r.to_state, r.reason, r.actor) for r in rows]


def _audit(rt, action) -> list[AuditEntry]:
    with rt.db.session() as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_a_held_release_is_not_sent_until_resumed_at_its_own_time(runtime, tmp_path):
    [rid] = _approved(runtime, tmp_path)
    planned_at = _release(runtime, rid).scheduled_at
    with runtime.db.session() as s:
        held = actions.hold(s, rid, by="bianji", now=runtime.clock.now(), reason="领导要再看一遍")
        assert held.state == "held"
    assert _moves(runtime, rid)[-1] == ("approved", "held", "工作人员暂停：领导要再看一遍", "bianji")
    [entry] = _audit(runtime, "release.hold")
    assert entry.actor == "bianji" and entry.detail["reason"] == "领导要再看一遍"
    with runtime.db.session() as s, pytest.raises(Conflict, match="已经暂停"):
        actions.hold(s, rid, by="bianji", now=runtime.clock.now())
    with runtime.db.session() as s:
        assert actions.resume(s, rid, by="bianji", now=runtime.clock.now()).state == "approved"
    release = _release(runtime, rid)
    assert release.scheduled_at == planned_at and release.error_message is None
    assert _moves(runtime, rid)[-1][:3] == ("held", "approved", "工作人员恢复")
    assert _audit(runtime, "release.resume")[0].detail["to"] == "已审批待发"


def test_only_releases_that_can_stop_are_held_and_only_held_ones_resumed(runtime, tmp_path):
    import_samples(runtime)
    path = plan_file(tmp_path, chapters=("政务环境",), start=runtime.clock.now() + timedelta(days=2),
                     name="planned.yaml")
    with runtime.db.session() as s:
        loaded = release_plans.load(s, path, now=runtime.clock.now())
        [planned_id] = [r.id for r in release_plans.apply_plan(s, loaded, settings=runtime.settings,
                                                                now=runtime.clock.now(), actor="测试").created]
    with runtime.db.session() as s, pytest.raises(Conflict, match="待审批.*不能暂停"):
        actions.hold(s, planned_id, by="bianji", now=runtime.clock.now())
    with runtime.db.session() as s, pytest.raises(Conflict, match="只有“已暂停”的发布可以恢复"):
        actions.resume(s, planned_id, by="bianji", now=runtime.clock.now())
    [rid] = _approved(runtime, tmp_path, chapters=("市场环境",))
    with runtime.db.session() as s:  # submitted to WeChat: out of our hands
        release = s.get(Release, rid)
        transitions.start(s, release, actor="test-host:1", now=runtime.clock.now())
        release.step = "submitted"
        s.commit()
    with runtime.db.session() as s, pytest.raises(Conflict, match="已提交微信，不能暂停"):
        actions.hold(s, rid, by="bianji", now=runtime.clock.now())
    assert _release(runtime, rid).state == "publishing" and _audit(runtime, "release.hold") == []


def test_a_held_release_whose_time_passed_must_be_rescheduled(runtime, tmp_path):
    [rid] = _approved(runtime, tmp_path)
    with runtime.db.session() as s:
        actions.hold(s, rid, by="bianji", now=runtime.clock.now())
    make_due(runtime, [rid], ago=timedelta(hours=1))
    with runtime.db.session() as s, pytest.raises(Conflict, match="计划时间 .* 已过：请改期"):
        actions.resume(s, rid, by="bianji", now=runtime.clock.now())
    at = runtime.clock.now() + timedelta(days=1)
    with runtime.db.session() as s:
        moved = actions.reschedule(s, rid, at=at, by="bianji", now=runtime.clock.now(),
                                   settings=runtime.settings)
        assert moved.state == "approved" and moved.scheduled_at == at
    assert _moves(runtime, rid)[-1][:3] == ("held", "approved", "工作人员改期")


def test_rescheduling_an_approved_release_keeps_its_approval_and_records_both_times(runtime, tmp_path):
    [rid] = _approved(runtime, tmp_path)
    before = _release(runtime, rid)
    moves = len(_moves(runtime, rid))
    at = datetime(2026, 3, 10, 10, 30, tzinfo=BEIJING)
    with runtime.db.session() as s:
        actions.reschedule(s, rid, at=at, by="bianji", now=runtime.clock.now(), settings=runtime.settings)
    after = _release(runtime, rid)
    assert after.state == "approved" and after.approved_version_id == before.approved_version_id
    assert after.scheduled_at == at and len(_moves(runtime, rid)) == moves  # no state move
    [entry] = _audit(runtime, "release.reschedule")
    assert entry.actor == "bianji" and entry.detail["after"] == "2026-03-10T10:30:00+08:00"
    assert entry.detail["before"] == before.scheduled_at.astimezone(BEIJING).isoformat()


def test_a_time_in_the_past_or_without_a_zone_is_refused_and_nothing_changes(runtime, tmp_path):
    [rid] = _approved(runtime, tmp_path)
    planned_at = _release(runtime, rid).scheduled_at
    with runtime.db.session() as s, pytest.raises(ValidationError, match="已经过去"):
        actions.reschedule(s, rid, at=runtime.clock.now() - timedelta(minutes=1), by="bianji",
                           now=runtime.clock.now(), settings=runtime.settings)
    with runtime.db.session() as s, pytest.raises(ValidationError, match="时区"):
        actions.reschedule(s, rid, at=datetime(2026, 3, 10, 9, 0), by="bianji", now=runtime.clock.now(),
                           settings=runtime.settings)
    assert _release(runtime, rid).scheduled_at == planned_at
    assert _audit(runtime, "release.reschedule") == []


def test_a_second_mass_send_on_the_same_beijing_day_is_refused(runtime, tmp_path):
    first, second = _approved(runtime, tmp_path, mode="mass_send", chapters=("市场环境", "政务环境"))
    day = _release(runtime, first).scheduled_at.astimezone(BEIJING)
    late_same_day = day.replace(hour=23, minute=30)
    with runtime.db.session() as s, pytest.raises(Conflict, match="订阅号每天只能群发 1 次") as refused:
        actions.reschedule(s, second, at=late_same_day, by="bianji", now=runtime.clock.now(),
                           settings=runtime.settings)
    assert refused.value.code == "mass_daily" and f"发布 {first}" in refused.value.message
    with runtime.db.session() as s:  # the first one canceled: its day is free again
        actions.cancel(s, first, by="bianji", now=runtime.clock.now())
        assert actions.reschedule(s, second, at=late_same_day, by="bianji", now=runtime.clock.now(),
                                  settings=runtime.settings).scheduled_at == late_same_day


def test_a_canceled_release_rescheduled_goes_back_into_the_schedule(runtime, tmp_path):
    [rid] = _approved(runtime, tmp_path)
    with runtime.db.session() as s:
        actions.cancel(s, rid, by="bianji", now=runtime.clock.now())
    at = runtime.clock.now() + timedelta(days=5)
    with runtime.db.session() as s:
        assert actions.reschedule(s, rid, at=at, by="bianji", now=runtime.clock.now(),
                                  settings=runtime.settings).state == "approved"
    assert [m[:2] for m in _moves(runtime, rid)][-2:] == [("approved", "canceled"), ("canceled", "approved")]


def test_a_failed_release_rescheduled_starts_over_with_a_fresh_draft(runtime, tmp_path):
    [rid] = _approved(runtime, tmp_path)
    with runtime.db.session() as s:
        release = s.get(Release, rid)
        release.step, release.media_id = "drafted", "MEDIA-1"
        transitions.failed(s, release, errcode=45166, message="内容不合规", actor="test-host:1",
                           now=runtime.clock.now(), settings=runtime.settings)
        s.commit()
    with runtime.db.session() as s:
        moved = actions.reschedule(s, rid, at=runtime.clock.now() + timedelta(days=2), by="bianji",
                                   now=runtime.clock.now(), settings=runtime.settings)
        assert (moved.state, moved.step, moved.media_id, moved.error_code) == ("approved", "", None, None)


def test_published_releases_cannot_be_rescheduled(runtime, tmp_path):
    [rid] = _approved(runtime, tmp_path)
    with runtime.db.session() as s:
        release = s.get(Release, rid)
        transitions.start(s, release, actor="test-host:1", now=runtime.clock.now())
        transitions.published(s, release, urls=["https://mp.weixin.qq.com/s/x"], actor="test-host:1",
                              now=runtime.clock.now())
        s.commit()
    with runtime.db.session() as s, pytest.raises(Conflict, match="已发布.*不能改期"):
        actions.reschedule(s, rid, at=runtime.clock.now() + timedelta(days=2), by="bianji",
                           now=runtime.clock.now(), settings=runtime.settings)


def test_times_staff_write_are_read_as_beijing_or_by_their_offset():
    assert actions.parse_at("2026-03-05 09:00") == datetime(2026, 3, 5, 1, 0, tzinfo=timezone.utc)
    assert actions.parse_at("2026-03-05T01:00:00Z") == datetime(2026, 3, 5, 1, 0, tzinfo=timezone.utc)
    assert actions.parse_at("2026-03-05T09:00+08:00") == datetime(2026, 3, 5, 1, 0, tzinfo=timezone.utc)
    for bad, words in (("2026-03-05T09:00", "没有时区"), ("明天上午", "不是有效的时间"),
                       ("2026-02-30 09:00", "不是有效的日期时间"), ("", "缺少 at"), (None, "缺少 at")):
        with pytest.raises(ValidationError, match=words):
            actions.parse_at(bad)
    assert "春节" in actions.day_notes(datetime(2026, 2, 17, 9, 0, tzinfo=BEIJING))[0]
    assert actions.day_notes(datetime(2026, 3, 7, 9, 0, tzinfo=BEIJING)) == ["2026-03-07 09:00 周六 是周末"]
    assert actions.day_notes(datetime(2026, 3, 5, 9, 0, tzinfo=BEIJING)) == []


def test_hold_resume_and_reschedule_from_the_command_line(cli, runtime, tmp_path):
    # The commands run on the real clock: plan far enough ahead of it.
    real_now = datetime.now(timezone.utc).replace(microsecond=0)
    [rid] = _approved(runtime, tmp_path, start=real_now + timedelta(days=3))
    from publishing_helpers import ensure_approver
    ensure_approver(runtime, "张主任")
    held = cli("release", "hold", str(rid), "--reason", "等领导确认", "--as", "张主任")
    assert held.exit_code == 0 and f"发布 {rid} 已暂停" in held.output
    assert _moves(runtime, rid)[-1] == ("approved", "held", "工作人员暂停：等领导确认", "张主任")
    resumed = cli("release", "resume", str(rid), "--as", "张主任")
    assert resumed.exit_code == 0 and "已审批待发" in resumed.output
    target = (real_now + timedelta(days=6)).astimezone(BEIJING).replace(hour=10, minute=0, second=0)
    moved = cli("release", "reschedule", str(rid), "--at", f"{target:%Y-%m-%d %H:%M}", "--as", "张主任")
    assert moved.exit_code == 0 and f"已改到 {target:%Y-%m-%d %H:%M}" in moved.output
    listed = json.loads(cli("release", "list", "--json").stdout)["releases"]
    assert listed[0]["scheduled_at"] == target.isoformat()
    naive = cli("release", "reschedule", str(rid), "--at", f"{target:%Y-%m-%dT%H:%M}")
    assert naive.exit_code == 2 and "--at" in naive.stderr and "没有时区" in naive.stderr
    again = cli("release", "resume", str(rid))
    assert again.exit_code == 2 and "只有“已暂停”的发布可以恢复" in again.stderr


def _wxpub(runtime, *args):
    """``wxpub …`` on this runtime (its frozen clock), as the office would type it."""
    from click.testing import CliRunner

    from wxpub.cli import main
    return CliRunner().invoke(main, list(args), obj=runtime, catch_exceptions=False, env={"WXPUB_ENV": "test"})


def test_a_release_moved_by_hand_keeps_its_time_when_the_plan_is_applied_again(runtime, tmp_path):
    first, second = _approved(runtime, tmp_path, chapters=("市场环境", "政务环境"))
    path = tmp_path / "plan.yaml"
    moved_to = (_release(runtime, first).scheduled_at + timedelta(days=5)).replace(microsecond=0)
    with runtime.db.session() as s:
        actions.reschedule(s, first, at=moved_to, by="bianji", now=runtime.clock.now(),
                           settings=runtime.settings)
    with runtime.db.session() as s:  # the office opens the same plan again
        loaded = release_plans.load(s, path, now=runtime.clock.now())
    shown = {r.chapter: r for r in loaded.releases}
    assert shown["市场环境"].done == "moved_by_hand" and shown["市场环境"].effective_at == moved_to
    assert not shown["政务环境"].done
    result = _wxpub(runtime, "plan", "show", str(path))
    assert "已在发布页面手动改期，保留该时间" in result.output and "1 篇已手动改期" in result.output
    second_at = _release(runtime, second).scheduled_at
    result = _wxpub(runtime, "plan", "apply", str(path))
    assert result.exit_code == 0, result.output
    assert "市场环境：已手动改期，跳过" in result.output
    assert _release(runtime, first).scheduled_at == moved_to  # not back to the plan's slot
    assert _release(runtime, first).state == "approved" and _release(runtime, second).scheduled_at == second_at
    # Canceled, it is the plan's again: applying the plan brings it back at the plan's time.
    with runtime.db.session() as s:
        actions.cancel(s, first, by="bianji", now=runtime.clock.now())
    assert _wxpub(runtime, "plan", "apply", str(path)).exit_code == 0
    again = _release(runtime, first)
    assert again.scheduled_at != moved_to and again.time_set_by is None and again.state != "canceled"


def test_a_release_cannot_be_moved_onto_a_blackout_day_of_the_plan(runtime, tmp_path):
    [rid] = _approved(runtime, tmp_path)
    planned_at = _release(runtime, rid).scheduled_at
    blackout_day = (planned_at + timedelta(days=4)).astimezone(BEIJING).date()
    path = tmp_path / "plan.yaml"
    path.write_text(path.read_text(encoding="utf-8")
                    + f"blackout:\n  - {{from: {blackout_day}, to: {blackout_day}, note: 重要会议}}\n", encoding="utf-8")
    assert _wxpub(runtime, "plan", "apply", str(path)).exit_code == 0  # stored with its blackout
    target = datetime.combine(blackout_day, datetime.min.time().replace(hour=10), tzinfo=BEIJING)
    with runtime.db.session() as s, pytest.raises(Conflict, match=f"{blackout_day} 是发布计划规定的停发日（重要会议）"):
        actions.reschedule(s, rid, at=target, by="bianji", now=runtime.clock.now(), settings=runtime.settings)
    assert _release(runtime, rid).scheduled_at == planned_at and _release(runtime, rid).time_set_by is None
    with runtime.db.session() as s:  # the day after is fine
        actions.reschedule(s, rid, at=target + timedelta(days=1), by="bianji", now=runtime.clock.now(),
                           settings=runtime.settings)
    assert _release(runtime, rid).scheduled_at == target + timedelta(days=1)
