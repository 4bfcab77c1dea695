"""Pulling readers' comments (留言) from the sandbox: following published articles, paging,
replies made in the MP web UI, deletions, 88000 on a closed article, errors kept with their rid."""

from __future__ import annotations

import requests
from sqlalchemy import select

from comments_helpers import add_comment, advance, moving_runtime, publish, sandbox_comments
from wxpub.comments import queries
from wxpub.comments.articles import follow_published
from wxpub.comments.pull import DELETED_ELSEWHERE, pull
from wxpub.models import CommentArticle, ReaderComment


def _articles(rt) -> list[CommentArticle]:
    with rt.db.session() as session:
        return list(session.scalars(select(CommentArticle).order_by(CommentArticle.id)))


def test_synthetic_comments_arrive_after_publication_and_are_pulled_once(sandbox_runtime, sandbox, tmp_path):
    rt = moving_runtime(sandbox_runtime)
    release = publish(rt, tmp_path, sandbox)
    first = pull(rt)
    articles = _articles(rt)
    assert first.followed == len(articles) >= 1 and first.failed == 0
    assert [a.article_index for a in articles] == list(range(len(articles)))
    assert articles[0].msg_data_id == release.msg_data_id and articles[0].comments_open
    assert articles[0].url == release.article_urls[0] and articles[0].chapter_id == release.chapter_id
    advance(rt, sandbox, 49)  # every synthetic comment's time has come
    second = pull(rt)
    expected = sum(len([c for c in sandbox_comments(sandbox, release.msg_data_id, a.article_index)
                        if not c["deleted"]]) for a in articles)
    assert second.followed == 0 and second.new == expected >= 2
    with rt.db.session() as session:
        rows = queries.inbox(session, now=rt.clock.now(), tz=rt.settings.tz)
    assert len(rows) == expected and all(r["state"] == "unanswered" for r in rows)
    assert [r["created_at"] for r in rows] == sorted(r["created_at"] for r in rows)  # oldest first
    assert rows[0]["age"].endswith(("小时", "天")) and rows[0]["created_at"].utcoffset().total_seconds() == 8 * 3600
    again = pull(rt)  # nothing new: idempotent
    assert (again.new, again.updated, again.deleted, again.followed) == (0, 0, 0, 0)


def test_more_than_one_page_is_read_to_the_end(sandbox_runtime, sandbox, tmp_path):
    rt = moving_runtime(sandbox_runtime)
    release = publish(rt, tmp_path, sandbox)
    for n in range(60):
        add_comment(sandbox, release.msg_data_id, f"第{n}条留言：请问怎么办理？", openid=f"oReader{n:04d}")
    report = pull(rt)
    with rt.db.session() as session:
        mine = session.scalars(select(ReaderComment).where(ReaderComment.openid.like("oReader%"))).all()
    assert len(mine) == 60 and report.new >= 60
    calls = [c for c in requests.get(f"{sandbox.url}/sandbox/calls", timeout=5).json()
             if c["path"].endswith("comment/list")]
    assert len(calls) >= 2  # two pages of at most 49


def test_replies_elected_and_deletions_made_elsewhere_are_taken_as_they_are(sandbox_runtime, sandbox, tmp_path):
    rt = moving_runtime(sandbox_runtime)
    release = publish(rt, tmp_path, sandbox)
    one = add_comment(sandbox, release.msg_data_id, "窗口几点下班？")
    two = add_comment(sandbox, release.msg_data_id, "点赞！")
    pull(rt)
    # In the MP web UI: a reply to one, 精选 of two (through the API the UI also uses), then two deleted.
    wx = rt.wechat.comment
    wx.reply(release.msg_data_id, 0, one["user_comment_id"], "工作日17:30下班，周六上午有值班窗口。")
    wx.markelect(release.msg_data_id, 0, two["user_comment_id"])
    report = pull(rt)
    assert report.updated == 2
    with rt.db.session() as session:
        rows = {r.user_comment_id: r for r in session.scalars(select(ReaderComment))}
    first, second = rows[str(one["user_comment_id"])], rows[str(two["user_comment_id"])]
    assert first.reply_content.startswith("工作日") and first.reply_by is None and first.first_reply_at
    assert second.elected
    wx.delete(release.msg_data_id, 0, two["user_comment_id"])
    assert pull(rt).deleted == 1
    with rt.db.session() as session:
        gone = session.scalar(select(ReaderComment).where(ReaderComment.user_comment_id == str(two["user_comment_id"])))
        assert gone.deleted_at is not None and gone.deleted_by == DELETED_ELSEWHERE


def test_comments_closed_elsewhere_are_no_error_and_are_skipped_after(sandbox_runtime, sandbox, tmp_path):
    rt = moving_runtime(sandbox_runtime)
    release = publish(rt, tmp_path, sandbox)
    pull(rt)
    rt.wechat.comment.close(release.msg_data_id, 0)  # closed in the MP web UI
    report = pull(rt)
    assert report.closed == 1 and report.failed == 0
    article = _articles(rt)[0]
    assert article.comments_open is False and article.pull_error is None
    later = pull(rt)
    assert later.articles == report.articles - 1  # skipped now


def test_a_failed_article_keeps_its_error_with_rid_and_the_others_are_pulled(sandbox_runtime, sandbox, tmp_path):
    rt = moving_runtime(sandbox_runtime)
    release = publish(rt, tmp_path, sandbox)
    pull(rt)
    count = len(_articles(rt))
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/comment/list", "errcode": 88002,
                                                         "count": 1}, timeout=5)
    report = pull(rt)
    assert report.failed == 1 and report.articles == count
    failed = [a for a in _articles(rt) if a.pull_error]
    assert len(failed) == 1 and "安全" in failed[0].pull_error and "rid" in failed[0].pull_error
    assert "1 篇文章拉取失败" in report.summary()
    assert pull(rt).failed == 0 and not any(a.pull_error for a in _articles(rt))  # cleared by the next pull
    assert release.msg_data_id


def test_following_is_idempotent_and_uses_the_series_policy(sandbox_runtime, sandbox, tmp_path):
    rt = moving_runtime(sandbox_runtime)
    publish(rt, tmp_path, sandbox)
    with rt.db.session() as session:
        made = follow_published(session, now=rt.clock.now())
        session.commit()
        assert made and follow_published(session, now=rt.clock.now()) == []
        assert all(a.comments_open and not a.only_fans for a in made)


def _set_policy(rt, policy: str) -> None:
    from wxpub.models import Series
    with rt.db.session() as session:
        for series in session.scalars(select(Series)):
            series.comment_policy = policy
        session.commit()


def test_a_followers_only_series_publishes_with_followers_only_comments(sandbox_runtime, sandbox, tmp_path):
    rt = moving_runtime(sandbox_runtime)
    _set_policy(rt, "followers")
    release = publish(rt, tmp_path, sandbox)
    pull(rt)
    article = _articles(rt)[0]
    assert article.comments_open and article.only_fans
    state = requests.get(f"{sandbox.url}/sandbox/comments", params={"msg_data_id": release.msg_data_id,
                                                                    "index": 0}, timeout=5).json()
    assert state["articles"][0]["open"] is True and state["articles"][0]["only_fans"] is True


def test_a_series_with_comments_closed_publishes_them_closed_and_the_pull_skips_it(sandbox_runtime, sandbox,
                                                                                  tmp_path):
    rt = moving_runtime(sandbox_runtime)
    _set_policy(rt, "closed")
    release = publish(rt, tmp_path, sandbox)
    report = pull(rt)
    assert report.followed >= 1 and report.articles == 0
    assert not any(a.comments_open for a in _articles(rt))
    state = requests.get(f"{sandbox.url}/sandbox/comments", params={"msg_data_id": release.msg_data_id},
                         timeout=5).json()
    assert all(a["open"] is False for a in state["articles"])
