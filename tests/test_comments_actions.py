"""Staff act on readers' comments through the sandbox: a reply goes out exactly once (deliver twice,
the outbox job after, a dropped connection, 88005), proofread first; roles; 精选, delete, open/close."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from comments_helpers import add_comment, make_staff, moving_runtime, publish, sandbox_comments
from wxpub.comments import actions
from wxpub.comments.pull import pull
from wxpub.core.errors import Conflict, Forbidden, NotFound, ValidationError
from wxpub.models import AuditEntry, CommentAction, CommentArticle, OutboxMessage, ReaderComment
from wxpub.notify.outbox import deliver_due

REPLY = "您好，区政务服务中心工作日 9:00–17:30 可以办理，请携带营业执照原件。"


@pytest.fixture
def desk(sandbox_runtime, sandbox, tmp_path):
    """A published article with one fresh reader comment, pulled; the office's staff accounts."""
    rt = moving_runtime(sandbox_runtime)
    make_staff(rt)
    release = publish(rt, tmp_path, sandbox)
    sent = add_comment(sandbox, release.msg_data_id, "请问在哪里办理？需要带什么材料？")
    pull(rt)
    with rt.db.session() as session:
        comment = session.scalar(select(ReaderComment).where(
            ReaderComment.user_comment_id == str(sent["user_comment_id"])))
    return rt, release, comment.id, sent["user_comment_id"]


def _record(sandbox, release, user_comment_id) -> dict:
    return next(c for c in sandbox_comments(sandbox, release.msg_data_id) if c["user_comment_id"] == user_comment_id)


def _comment(rt, comment_id) -> ReaderComment:
    with rt.db.session() as session:
        return session.get(ReaderComment, comment_id)


def test_a_reply_is_sent_once_even_when_delivered_twice_and_the_outbox_runs_after(desk, sandbox):
    rt, release, comment_id, ucid = desk
    action = actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text=REPLY)
    assert action.status == "pending" and action.warnings == []
    assert actions.deliver(rt, action.id) == "sent"
    assert actions.deliver(rt, action.id) == "sent"  # a second deliverer finds it settled
    assert deliver_due(rt, worker="scheduler") == 0
    record = _record(sandbox, release, ucid)
    assert record["reply_calls"] == 1 and len(record["replies"]) == 1 and record["replies"][0]["content"] == REPLY
    comment = _comment(rt, comment_id)
    assert comment.reply_content == REPLY and comment.reply_by == "bianji" and comment.first_reply_at
    with rt.db.session() as session:
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "comment.reply"))
        assert audit.object_type == "comment" and audit.object_id == str(comment_id) and audit.after_sha256
    pull(rt)  # the pull sees our reply and keeps who wrote it
    assert _comment(rt, comment_id).reply_by == "bianji"
    with pytest.raises(Conflict, match="已回复，如需修改请先删除原回复"):
        actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text="再补充一句")


def test_the_outbox_job_delivers_a_request_nobody_delivered(desk, sandbox):
    rt, release, comment_id, ucid = desk
    action = actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text=REPLY)
    again = actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text=REPLY)
    assert again.id == action.id  # a double click asks once
    assert deliver_due(rt, worker="scheduler") == 1
    assert actions.deliver(rt, action.id) == "sent"
    assert _record(sandbox, release, ucid)["reply_calls"] == 1


def test_a_dropped_connection_after_the_reply_arrived_is_reconciled_not_resent(desk, sandbox):
    rt, release, comment_id, ucid = desk
    requests.post(f"{sandbox.url}/sandbox/faults", json={"force": "reset", "count": 1,
                                                         "path": "/cgi-bin/comment/reply/add"}, timeout=5)
    action = actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text=REPLY)
    assert actions.deliver(rt, action.id) == "sent"
    record = _record(sandbox, release, ucid)
    assert len(record["replies"]) == 1 and record["reply_calls"] == 1
    assert _comment(rt, comment_id).reply_content == REPLY


def test_88005_with_our_text_there_is_sent_and_someone_elses_reply_is_taken(desk, sandbox):
    rt, release, comment_id, ucid = desk
    action = actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text=REPLY)
    rt.wechat.comment.reply(release.msg_data_id, 0, ucid, REPLY)  # as if an earlier attempt arrived
    assert actions.deliver(rt, action.id) == "sent"
    assert len(_record(sandbox, release, ucid)["replies"]) == 1
    other = add_comment(sandbox, release.msg_data_id, "还有一个问题")
    pull(rt)
    with rt.db.session() as session:
        other_id = session.scalar(select(ReaderComment.id).where(
            ReaderComment.user_comment_id == str(other["user_comment_id"])))
    action = actions.request(rt, actor="bianji", kind="reply", comment_id=other_id, text=REPLY)
    rt.wechat.comment.reply(release.msg_data_id, 0, other["user_comment_id"], "后台已答复")  # the MP web UI
    assert actions.deliver(rt, action.id) == "failed"
    with rt.db.session() as session:
        failed = session.get(CommentAction, action.id)
        assert failed.error_code == 88005 and "已经回复过" in failed.error_message and failed.rid
    comment = _comment(rt, other_id)
    assert comment.reply_content == "后台已答复" and comment.reply_by is None


def test_a_transient_error_before_arrival_is_retried_by_the_outbox(desk, sandbox):
    rt, release, comment_id, ucid = desk
    requests.post(f"{sandbox.url}/sandbox/faults", json={"force": "busy", "count": 3,
                                                         "path": "/cgi-bin/comment/reply/add"}, timeout=5)
    action = actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text=REPLY)
    assert actions.deliver(rt, action.id) == "pending"
    with rt.db.session() as session:
        assert "自动重试" in session.get(CommentAction, action.id).error_message
        session.query(OutboxMessage).update({OutboxMessage.next_try_at: rt.clock.now()})
        session.commit()
    requests.post(f"{sandbox.url}/sandbox/faults", json={"force": "busy", "count": 0,
                                                         "path": "/cgi-bin/comment/reply/add"}, timeout=5)
    for _ in range(4):
        with rt.db.session() as session:
            session.query(OutboxMessage).update({OutboxMessage.next_try_at: rt.clock.now()})
            session.commit()
        deliver_due(rt, worker="scheduler")
    with rt.db.session() as session:
        assert session.get(CommentAction, action.id).status == "sent"
    assert len(_record(sandbox, release, ucid)["replies"]) == 1


def test_a_reply_with_a_blocking_lint_finding_is_refused_and_nothing_is_sent(desk, sandbox):
    rt, release, comment_id, ucid = desk
    with pytest.raises(ValidationError, match="审校") as refused:
        actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id,
                        text="请拨打 13812345678 联系滨海新区人民攻府")
    assert "手机号码" in refused.value.message and "人民政府" in refused.value.message
    with pytest.raises(ValidationError, match="不能为空"):
        actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text="  ")
    with pytest.raises(ValidationError, match="600"):
        actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text="办" * 601)
    warned = actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id,
                             text="这是内部资料里的办事流程，已整理公开。")
    assert warned.warnings and "内部资料" in warned.warnings[0]
    with rt.db.session() as session:
        assert session.scalars(select(CommentAction)).all() == [session.get(CommentAction, warned.id)]
    assert _record(sandbox, release, ucid)["reply_calls"] == 0


def test_roles_decide_who_may_do_what(desk):
    rt, release, comment_id, _ = desk
    with pytest.raises(Forbidden, match="校对"):
        actions.request(rt, actor="jiaodui", kind="reply", comment_id=comment_id, text=REPLY)
    with pytest.raises(Forbidden, match="当前角色（编辑）不能删除留言"):
        actions.request(rt, actor="bianji", kind="delete", comment_id=comment_id)
    with rt.db.session() as session:
        article_id = session.scalar(select(CommentArticle.id).order_by(CommentArticle.id))
    with pytest.raises(Forbidden, match="终审"):
        actions.request(rt, actor="bianji", kind="close", article_id=article_id)
    with pytest.raises(NotFound):
        actions.request(rt, actor="bianji", kind="elect", comment_id=999999)
    with pytest.raises(NotFound):
        actions.request(rt, actor="nobody", kind="elect", comment_id=comment_id)


def test_elect_unelect_delete_reply_delete_and_close_open(desk, sandbox):
    rt, release, comment_id, ucid = desk

    def act(actor, kind, **kw):
        action = actions.request(rt, actor=actor, kind=kind, **kw)
        return actions.deliver(rt, action.id)

    assert act("bianji", "elect", comment_id=comment_id) == "sent"
    assert _comment(rt, comment_id).elected and _record(sandbox, release, ucid)["elected"]
    with pytest.raises(Conflict, match="已是精选"):
        actions.request(rt, actor="bianji", kind="elect", comment_id=comment_id)
    assert act("bianji", "unelect", comment_id=comment_id) == "sent"
    assert not _record(sandbox, release, ucid)["elected"]
    assert act("bianji", "reply", comment_id=comment_id, text=REPLY) == "sent"
    assert act("bianji", "delete_reply", comment_id=comment_id) == "sent"
    comment = _comment(rt, comment_id)
    assert comment.reply_content is None and comment.first_reply_at is not None  # the first reply counts
    with rt.db.session() as session:
        article_id = session.scalar(select(CommentArticle.id).where(CommentArticle.id == comment.article_id))
    assert act("zhongshen", "close", article_id=article_id) == "sent"
    with pytest.raises(Conflict, match="留言已关闭"):
        actions.request(rt, actor="bianji", kind="elect", comment_id=comment_id)
    assert act("zhongshen", "open", article_id=article_id) == "sent"
    assert act("zhongshen", "delete", comment_id=comment_id) == "sent"
    comment = _comment(rt, comment_id)
    assert comment.deleted_at is not None and comment.deleted_by == "zhongshen"
    assert _record(sandbox, release, ucid)["deleted"]
    with pytest.raises(Conflict, match="已删除"):
        actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text=REPLY)
    assert pull(rt).deleted == 0  # our own deletion is not counted again


def test_88000_on_an_article_closed_elsewhere_fails_and_marks_it_closed(desk, sandbox):
    rt, release, comment_id, _ = desk
    action = actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text=REPLY)
    rt.wechat.comment.close(release.msg_data_id, 0)
    assert actions.deliver(rt, action.id) == "failed"
    with rt.db.session() as session:
        failed = session.get(CommentAction, action.id)
        assert failed.error_code == 88000 and "留言" in failed.error_message
        assert session.get(ReaderComment, comment_id).article.comments_open is False


def test_two_deliverers_at_the_same_moment_send_one_reply(desk, sandbox):
    import threading

    rt, release, comment_id, ucid = desk
    action = actions.request(rt, actor="bianji", kind="reply", comment_id=comment_id, text=REPLY)
    results, start = [], threading.Barrier(3)

    def run(deliverer):
        start.wait()
        results.append(deliverer())
    threads = [threading.Thread(target=run, args=(lambda: actions.deliver(rt, action.id),)),
               threading.Thread(target=run, args=(lambda: actions.deliver(rt, action.id),)),
               threading.Thread(target=run, args=(lambda: deliver_due(rt, worker="scheduler"),))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    record = _record(sandbox, release, ucid)
    assert record["reply_calls"] == 1 and len(record["replies"]) == 1
    with rt.db.session() as session:
        assert session.get(CommentAction, action.id).status == "sent"
