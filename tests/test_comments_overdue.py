"""The "readers wait too long" alert: raised once per comment, never again for the same one, and
resolved by itself when the waiting comments are answered."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from comments_helpers import add_comment, advance, make_staff, moving_runtime, publish
from wxpub.comments import service
from wxpub.comments.overdue import CAUSE, check_overdue
from wxpub.comments.pull import pull
from wxpub.models import Alert, ReaderComment

pytestmark = pytest.mark.sandbox(comments_per_article=0)
REPLY = "您好，已转相关部门办理，办理结果会在三个工作日内电话告知。"


def _alerts(rt) -> list[Alert]:
    with rt.db.session() as session:
        return list(session.scalars(select(Alert).where(Alert.cause == CAUSE).order_by(Alert.id)))


def test_an_unanswered_comment_alerts_once_and_the_alert_resolves_when_answered(sandbox_runtime, sandbox, tmp_path):
    rt = moving_runtime(sandbox_runtime, comment_answer_hours=24)
    make_staff(rt)
    release = publish(rt, tmp_path, sandbox)
    add_comment(sandbox, release.msg_data_id, "补贴什么时候到账？")
    pull(rt)
    assert check_overdue(rt) == 0 and _alerts(rt) == []  # young
    advance(rt, sandbox, 25)
    pull(rt)  # the pull runs the check: raised
    [alert] = _alerts(rt)
    assert alert.resolved_at is None and alert.count == 1
    assert "1 条读者留言超过 24 小时没有回复" in alert.message and "/comments?state=unanswered" in alert.message
    assert "1 天" in alert.message and "《" in alert.message
    assert check_overdue(rt) == 0 and pull(rt).new == 0  # the same comment never raises again
    advance(rt, sandbox, 2)
    assert check_overdue(rt) == 0 and _alerts(rt)[0].count == 1
    add_comment(sandbox, release.msg_data_id, "窗口电话是多少？")
    advance(rt, sandbox, 25)
    pull(rt)
    [alert] = _alerts(rt)
    assert alert.count == 2 and "2 条读者留言" in alert.message  # one more comment: counted, not re-sent
    with rt.db.session() as session:
        ids = list(session.scalars(select(ReaderComment.id).order_by(ReaderComment.id)))
        assert all(session.get(ReaderComment, i).alerted_at is not None for i in ids)
    assert service.act(rt, actor="bianji", kind="reply", comment_id=ids[0], text=REPLY).status == "sent"
    assert _alerts(rt)[0].resolved_at is None  # one still waits
    assert service.act(rt, actor="bianji", kind="reply", comment_id=ids[1], text=REPLY).status == "sent"
    assert _alerts(rt)[0].resolved_at is not None
    assert check_overdue(rt) == 0 and len(_alerts(rt)) == 1
