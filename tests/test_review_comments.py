"""Review comments through their use cases: anchored to a paragraph of the exact version, threaded
replies, who may resolve, a stale version refused, and an open thread holding up 终审."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from review_helpers import current_hash, make_office, planned_message, release_state, sign, walk
from wxpub.core.errors import Conflict, Forbidden, NotFound, ValidationError
from wxpub.editorial import comments, todo
from wxpub.library import editing
from wxpub.models import AuditEntry, Case, Message, ReviewComment
from wxpub.staff import users


pytestmark = pytest.mark.full_chain


@pytest.fixture
def office(runtime, tmp_path):
    make_office(runtime)
    return planned_message(runtime, tmp_path)


def add(rt, message_id, by, body="第2个案例的数据需核实", **where):
    with rt.db.session() as s:
        row = comments.add(s, message_id, version_hash=current_hash(rt, message_id), body=body, by=by,
                           now=rt.clock.now(), **where)
        return row.id


def resolve(rt, comment_id, by, reopen=False):
    with rt.db.session() as s:
        return comments.resolve(s, comment_id, by=by, now=rt.clock.now(), reopen=reopen).id


def threads(rt, message_id):
    with rt.db.session() as s:
        version = s.get(Message, message_id).current_version
        return comments.threads(s, version.id, rt.settings.tz)


def test_a_comment_keeps_its_place_in_the_version_and_is_audited(runtime, office):
    message_id, _ = office
    add(runtime, message_id, "fushen", "数据来源请注明", article=0, case=2, paragraph=2,
        anchor="a1-c2-p2", quote="同比增长 12%")
    [thread] = threads(runtime, message_id)
    assert thread["where"] == "第1篇 · 案例02 · 第2段"
    assert (thread["article"], thread["case"], thread["paragraph"], thread["anchor"]) == (0, 2, 2, "a1-c2-p2")
    assert thread["quote"] == "同比增长 12%" and thread["name"] == "李科长"
    assert thread["at"].startswith("2026-03-02T09:00") and thread["at"].endswith("+08:00")  # Beijing time
    assert not thread["resolved"] and thread["replies"] == []
    with runtime.db.session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "review.comment"))
        assert entry.actor == "fushen" and entry.object_id == str(message_id)
        assert entry.before_sha256 == entry.after_sha256 == current_hash(runtime, message_id)
        assert entry.detail["where"] == "第1篇 · 案例02 · 第2段"


def test_replies_join_the_thread_and_inherit_its_place(runtime, office):
    message_id, _ = office
    root = add(runtime, message_id, "fushen", article=0, case=2, paragraph=1, anchor="a1-c2-p1")
    reply = add(runtime, message_id, "bianji", "已核实，按统计局公报", parent_id=root)
    add(runtime, message_id, "fushen", "好的", parent_id=reply)  # a reply to a reply joins the root
    [thread] = threads(runtime, message_id)
    assert [r["body"] for r in thread["replies"]] == ["已核实，按统计局公报", "好的"]
    with runtime.db.session() as s:
        rows = s.scalars(select(ReviewComment).where(ReviewComment.parent_id.is_not(None))).all()
        assert {r.parent_id for r in rows} == {root}
        assert {(r.case, r.paragraph, r.anchor) for r in rows} == {(2, 1, "a1-c2-p1")}


def test_threads_come_in_document_order(runtime, office):
    message_id, _ = office
    add(runtime, message_id, "fushen", "第二个", article=0, case=2, paragraph=1, anchor="a1-c2-p1")
    add(runtime, message_id, "fushen", "导语", article=0, paragraph=1, anchor="a1-intro-p1")
    add(runtime, message_id, "fushen", "整条消息")
    add(runtime, message_id, "fushen", "第一个", article=0, case=1, paragraph=2, anchor="a1-c1-p2")
    assert [t["body"] for t in threads(runtime, message_id)] == ["整条消息", "导语", "第一个", "第二个"]
    assert [t["where"] for t in threads(runtime, message_id)][:2] == ["整条消息", "第1篇 · 导语 · 第1段"]


@pytest.mark.parametrize("fields,error,words", [
    ({"body": "  "}, ValidationError, "意见内容（body）不能为空"),
    ({"body": "长" * 2001}, ValidationError, "最多 2000 字"),
    ({"article": 5}, ValidationError, "篇序号（article）超出范围"),
    ({"anchor": "<script>"}, ValidationError, "预览位置（anchor）"),
    ({"parent_id": 9999}, NotFound, "没有编号为 9999 的意见"),
])
def test_bad_comments_are_refused_and_leave_nothing(runtime, office, fields, error, words):
    message_id, _ = office
    fields = dict(fields)  # the parameters are shared by both backends' runs
    body = fields.pop("body", "一条意见")
    with pytest.raises(error, match=words) as refused:
        add(runtime, message_id, "fushen", body, **fields)
    if error is ValidationError:
        assert refused.value.field in ("body", "article", "anchor")
    with runtime.db.session() as s:
        assert s.scalar(select(ReviewComment)) is None
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "review.comment")) is None


def test_admins_do_not_comment(runtime, office):
    message_id, _ = office
    with runtime.db.session() as s:
        users.create_user(s, "xitong", "Shenhe-2026-ok!", "admin", now=runtime.clock.now(), actor="测试")
    with pytest.raises(Forbidden, match="管理员"):
        add(runtime, message_id, "xitong")


def test_only_the_author_or_an_editor_resolves_and_reopens(runtime, office):
    message_id, _ = office
    thread = add(runtime, message_id, "fushen", article=0, case=1, paragraph=1, anchor="a1-c1-p1")
    with pytest.raises(Forbidden, match="只有提出这条意见的李科长或编辑"):
        resolve(runtime, thread, "zhongshen")
    resolve(runtime, thread, "bianji")  # any editor
    [row] = threads(runtime, message_id)
    assert row["resolved"] and row["resolved_by"] == "bianji" and row["resolved_by_name"] == "王编辑"
    with pytest.raises(Conflict, match="已经标为已解决"):
        resolve(runtime, thread, "fushen")
    resolve(runtime, thread, "fushen", reopen=True)  # the author
    assert not threads(runtime, message_id)[0]["resolved"]
    with runtime.db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like("review.re%"))
                                               .order_by(AuditEntry.id))]
        assert actions == ["review.resolve", "review.reopen"]


def test_a_stale_version_takes_no_comment(runtime, office):
    message_id, _ = office
    with runtime.db.session() as s:
        with pytest.raises(Conflict, match="已不是当前版本") as refused:
            comments.add(s, message_id, version_hash="0" * 64, body="x", by="fushen", now=runtime.clock.now())
        assert refused.value.code == "stale_version"
    with runtime.db.session() as s:  # a case edited after composing: the version is out of date
        message = s.get(Message, message_id)
        case = s.scalars(select(Case).where(Case.chapter_id == message.chapter_id).order_by(Case.position)).first()
        lead = list(case.current_version.content["lead"])
        editing.save_content(s, case.id, {"lead": [lead[0] + "（补充）", *lead[1:]]}, actor="bianji",
                             now=runtime.clock.now(), tz=runtime.settings.tz)
    with pytest.raises(Conflict, match="已过时"):
        add(runtime, message_id, "fushen")
    with runtime.db.session() as s:  # …and the editor's 待办 says it must be composed again
        bianji = users.find(s, "bianji")
        assert [i.what for i in todo.waiting_for(s, bianji, runtime.settings.review_policy)] == \
            ["内容已修改，需重新生成"]


def test_an_open_thread_holds_up_the_final_stage_until_resolved(runtime, office):
    message_id, release_id = office
    thread = add(runtime, message_id, "fushen", article=0, case=1, paragraph=1, anchor="a1-c1-p1")
    walk(runtime, message_id, through="校对")
    for by in ("jiaodui2", "bianji"):
        sign(runtime, message_id, "校对", by, comment="已校对")
    with pytest.raises(Conflict, match="还有 1 条审核意见没有处理完") as refused:
        sign(runtime, message_id, "终审", "zhongshen")
    assert refused.value.code == "comments" and release_state(runtime, release_id) == "planned"
    with runtime.db.session() as s:  # the approver's 待办 names the open thread
        zhongshen = users.find(s, "zhongshen")
        assert [i.what for i in todo.waiting_for(s, zhongshen, runtime.settings.review_policy)] == \
            ["终审（有 1 条意见未解决）"]
    resolve(runtime, thread, "fushen")
    assert sign(runtime, message_id, "终审", "zhongshen").completed
    assert release_state(runtime, release_id) == "approved"
    with pytest.raises(Conflict, match="审核已经完成"):  # a sealed version takes no more comments
        add(runtime, message_id, "fushen")
