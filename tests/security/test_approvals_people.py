"""A 终审 is given by a person: an enabled account whose role the stage allows (终审; an admin is
IT, not a signatory). Free text, an editor, an admin or a disabled account is refused with nothing
written; the sign-off records the account. (Office of one stage: the tests' default settings.)"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from publishing_helpers import import_samples, plan_file
from security_helpers import PASSWORD, audit, staff  # noqa: F401  (staff: a fixture)
from wxpub.core.errors import Conflict, Forbidden, NotFound
from wxpub.models import AuditEntry, Release, Signoff
from wxpub.releases import approvals, plans as release_plans
from wxpub.staff import users


@pytest.fixture
def planned(runtime, staff, tmp_path):
    """Two planned releases waiting for their 终审."""
    import_samples(runtime)
    path = plan_file(tmp_path, chapters=("市场环境", "政务环境"), start=runtime.clock.now() + timedelta(days=2))
    with runtime.db.session() as session:
        loaded = release_plans.load(session, path, now=runtime.clock.now())
        report = release_plans.apply_plan(session, loaded, settings=runtime.settings,
                                          now=runtime.clock.now(), actor="admin1")
        return sorted(r.id for r in report.created)


def _nothing_approved(session) -> bool:
    session.expire_all()
    states = set(session.scalars(select(Release.state)))
    approved = session.scalar(select(func.count()).select_from(Signoff))
    logged = session.scalar(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.action.like("review.%")))
    return states == {"planned"} and approved == 0 and logged == 0


@pytest.mark.parametrize("who,words", [
    ("审批人<script>alert(1)</script>", ["没有用户名为“审批人<script>alert(1)</script>”的账号"]),
    ("editor1", ["“终审”须由终审签署，账号“editor1”的角色是“编辑”"]),
    ("admin1", ["“终审”须由终审签署，账号“admin1”的角色是“管理员”"]),
    ("disabled1", ["账号“disabled1”已停用"]),
])
def test_approving_as_anyone_but_an_enabled_approver_is_refused(cli, session, clock, planned, who, words):
    if who == "disabled1":
        users.create_user(session, "disabled1", PASSWORD, "approver", now=clock.now(), actor="admin1")
        users.disable(session, "disabled1", actor="admin1", now=clock.now())
    for option in ("--by", "--as"):
        refused = cli("release", "approve", "--all", option, who)
        assert refused.exit_code == 2
        for word in words:
            assert word in refused.stderr, refused.stderr
        assert _nothing_approved(session)


def test_the_service_refuses_the_same_way(session, clock, planned):
    policy = runtime_policy(session)
    with pytest.raises(NotFound, match="张主任"):
        approvals.approve(session, planned, by="张主任", now=clock.now(), policy=policy, tz=clock_tz())
    with pytest.raises(Forbidden, match="编辑"):
        approvals.approve(session, planned, by="editor1", now=clock.now(), policy=policy, tz=clock_tz())
    users.create_user(session, "gone1", PASSWORD, "approver", now=clock.now(), actor="admin1")
    users.disable(session, "gone1", actor="admin1", now=clock.now())
    with pytest.raises(Conflict, match="已停用"):
        approvals.approve(session, planned, by="gone1", now=clock.now(), policy=policy, tz=clock_tz())
    session.rollback()
    assert _nothing_approved(session)


@pytest.mark.parametrize("option", ["--as", "--by"])
def test_an_approver_approves_and_the_approval_names_the_account(cli, session, planned, option):
    done = cli("release", "approve", "--all", option, "approver1")
    assert done.exit_code == 0, done.stderr
    assert "已由 张主任（approver1） 审批" in done.output
    session.expire_all()
    rows = session.scalars(select(Signoff).order_by(Signoff.message_id)).all()
    assert [(a.display_name, a.username, a.stage, a.decision) for a in rows] == [
        ("张主任", "approver1", "终审", "approve"), ("张主任", "approver1", "终审", "approve")]
    assert {e.actor for e in audit(session, "review.approve")} == {"approver1"}
    assert set(session.scalars(select(Release.state))) == {"approved"}
    shown = cli("release", "show", str(planned[0]))
    assert "审批：张主任（approver1）（终审）" in shown.output
    data = json.loads(cli("release", "show", str(planned[0]), "--json").output)
    assert data["approvals"][0]["username"] == "approver1"


def test_an_admin_does_not_sign_unless_the_office_says_so(cli, session, planned):
    refused = cli("release", "approve", str(planned[0]), "--as", "admin1")
    assert refused.exit_code == 2 and "的角色是“管理员”" in refused.stderr
    assert _nothing_approved(session)


def clock_tz():
    from zoneinfo import ZoneInfo
    return ZoneInfo("Asia/Shanghai")


def runtime_policy(session):
    from wxpub.core.review_policy import parse_policy
    return parse_policy("终审", 0)


def test_a_second_approval_is_not_silently_dropped(cli, planned):
    assert cli("release", "approve", str(planned[0]), "--as", "approver1").exit_code == 0
    again = cli("release", "approve", str(planned[0]), "--as", "approver1")
    assert again.exit_code == 2
    assert "已完成审核（终审：张主任（approver1））" in again.stderr and "无需再审批" in again.stderr
