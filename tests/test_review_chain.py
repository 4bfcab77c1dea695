"""三审三校 through the use case: order, roles, one stage per person, 校对 before 终审, a return with
its reason, a stale hash, an edit after 复审 voiding the chain, and a complete chain approving."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from review_helpers import current_hash, make_office, planned_message, release_state, sign, walk
from wxpub.core.errors import Conflict, Forbidden, ValidationError
from wxpub.library import editing
from wxpub.models import Case, Message, Notice, ReviewSheet, Signoff


pytestmark = pytest.mark.full_chain


@pytest.fixture
def office(runtime, tmp_path):
    make_office(runtime)
    return planned_message(runtime, tmp_path)


def test_the_whole_chain_approves_the_release_and_freezes_the_sheet(runtime, office):
    message_id, release_id = office
    walk(runtime, message_id, through="复审")
    assert release_state(runtime, release_id) == "planned"
    walk_rest = [("校对", "jiaodui"), ("校对", "jiaodui2"), ("校对", "bianji"), ("终审", "zhongshen")]
    for stage, by in walk_rest[:-1]:
        sign(runtime, message_id, stage, by, comment="已校对")
    assert release_state(runtime, release_id) == "planned"
    done = sign(runtime, message_id, "终审", "zhongshen")
    assert done.completed and release_state(runtime, release_id) == "approved"
    with runtime.db.session() as s:
        sheet = s.scalar(select(ReviewSheet))
        assert sheet.data["version_hash"] == current_hash(runtime, message_id)
        assert [st["name"] for st in sheet.data["stages"]] == ["王编辑", "李科长", "张主任"]
        assert len(sheet.data["proofreading"]["rounds"]) == 3


@pytest.mark.parametrize("stage,by,error,words", [
    ("复审", "bianji", Forbidden, "“复审”须由复审签署，你的角色是“编辑”"),
    ("终审", "fushen", Forbidden, "你的角色是“复审”"),
    ("复审", "fushen", Conflict, "还没有完成“初审”，不能先签“复审”"),
    ("校对", "zhongshen", Forbidden, "校对须由"),
])
def test_wrong_role_and_wrong_order_are_refused(runtime, office, stage, by, error, words):
    message_id, _ = office
    with pytest.raises(error, match=words):
        sign(runtime, message_id, stage, by)
    with runtime.db.session() as s:
        assert s.scalar(select(Signoff)) is None


def test_nobody_signs_two_stages_and_nobody_proofreads_twice(runtime, office):
    message_id, _ = office
    sign(runtime, message_id, "初审", "bianji")
    sign(runtime, message_id, "校对", "jiaodui", comment="已校对")
    with runtime.db.session() as s:  # the editor is made a reviewer: still not two stages of one version
        from wxpub.staff import users
        users.set_role(s, "bianji", "reviewer", actor="测试", now=runtime.clock.now())
    with pytest.raises(Conflict, match="一人不能签两个环节"):
        sign(runtime, message_id, "复审", "bianji")
    with pytest.raises(Conflict, match="交叉校对"):
        sign(runtime, message_id, "校对", "jiaodui", comment="再校一遍")


def test_final_stage_waits_for_three_proofreading_rounds(runtime, office):
    message_id, release_id = office
    walk(runtime, message_id, through="复审")
    with pytest.raises(Conflict, match="须完成 3 轮校对，还差 3 轮"):
        sign(runtime, message_id, "终审", "zhongshen")
    assert release_state(runtime, release_id) == "planned"


def test_a_return_needs_its_reason_and_tells_the_signers(runtime, office):
    message_id, release_id = office
    walk(runtime, message_id, through="初审")
    with pytest.raises(ValidationError, match="退回必须写明理由"):
        sign(runtime, message_id, "复审", "fushen", decision="reject", comment="  ")
    sign(runtime, message_id, "复审", "fushen", decision="reject", comment="第3个案例的数据需核实")
    with runtime.db.session() as s:
        notice = s.scalar(select(Notice).where(Notice.username == "bianji"))
        assert "被 李科长 退回：第3个案例的数据需核实" in notice.message
    with pytest.raises(Conflict, match="还没有完成“复审”"):
        sign(runtime, message_id, "终审", "zhongshen")
    sign(runtime, message_id, "复审", "fushen", comment="已核实")  # the same stage may then pass


def test_a_stale_hash_is_refused(runtime, office):
    message_id, _ = office
    from review_helpers import OFFICE  # noqa: F401
    with runtime.db.session() as s:
        from wxpub.editorial import review
        with pytest.raises(Conflict, match="已不是当前版本"):
            review.sign(s, message_id, version_hash="0" * 64, stage="初审", decision="approve", by="bianji",
                        now=runtime.clock.now(), policy=runtime.settings.review_policy, tz=runtime.settings.tz)


def test_an_edit_after_the_second_stage_voids_every_stage_and_tells_the_signers(runtime, office):
    message_id, release_id = office
    walk(runtime, message_id, through="复审")
    with runtime.db.session() as s:
        message = s.get(Message, message_id)
        case = s.scalars(select(Case).where(Case.chapter_id == message.chapter_id)
                         .order_by(Case.position)).first()
        lead = list(case.current_version.content["lead"])
        editing.save_content(s, case.id, {"lead": [lead[0] + "（补充）", *lead[1:]]}, actor="bianji",
                             now=runtime.clock.now(), tz=runtime.settings.tz)
    with runtime.db.session() as s:
        rows = s.scalars(select(Signoff)).all()
        assert rows and all(r.voided_at is not None for r in rows)
        told = {n.username for n in s.scalars(select(Notice).where(Notice.kind == "review.voided"))}
        assert told == {"fushen"}  # the editor made the change: not told about it
    with pytest.raises(Conflict, match="已过时"):
        sign(runtime, message_id, "复审", "fushen")
    assert release_state(runtime, release_id) == "planned"


def test_the_state_model_itself_refuses_an_unsealed_version(runtime, office):
    """Not a view's check: the one writer of a release's state refuses approving (or starting to
    publish) a version whose chain is not complete."""
    from wxpub.models import Release
    from wxpub.releases import transitions

    message_id, release_id = office
    walk(runtime, message_id, through="复审")
    with runtime.db.session() as s:
        release = s.get(Release, release_id)
        version_id = s.get(Message, message_id).current_version_id
        with pytest.raises(Conflict, match="没有完成审核") as refused:
            transitions.approve(s, release, version_id, actor="测试", now=runtime.clock.now())
        assert refused.value.code == "review_incomplete"
