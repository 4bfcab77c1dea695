"""The 留言 pages as staff use them (Flask's client, CSRF on, WeChat = the sandbox over HTTP): the
inbox lists unanswered comments first with their age and 超时 in words, filters by state and
article; each action is a POST that is sent at once and flashed in Chinese; roles decide which
buttons show (and a POST by anyone else is refused); destructive actions need the tick box; a
reply the proofreading refuses keeps its text; the dashboard's 留言 block follows a reply."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from auth_helpers import login
from comments_helpers import add_comment, advance, make_staff, moving_runtime, publish, sandbox_comments
from review_helpers import OFFICE_PASSWORD
from wxpub.comments.pull import pull
from wxpub.models import CommentArticle, ReaderComment

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
pytestmark = pytest.mark.sandbox(comments_per_article=0)  # only the comments the tests write
REPLY = "您好，区政务服务中心工作日 9:00–17:30 可以办理，请携带营业执照原件。"


@pytest.fixture
def desk(sandbox_runtime, sandbox, tmp_path):
    """A published article with two reader comments (one a day old), pulled; the web app."""
    from wxpub import create_app
    rt = moving_runtime(sandbox_runtime)
    make_staff(rt)
    release = publish(rt, tmp_path, sandbox)
    first = add_comment(sandbox, release.msg_data_id, "请问在哪里办理？需要带什么材料？")
    advance(rt, sandbox, 26)
    # Written "now" by our clock (the sandbox's may run a little ahead after publishing), so three
    # hours later it has waited three hours as staff see it.
    second = add_comment(sandbox, release.msg_data_id, "周六可以办吗？",
                         create_time=int(rt.clock.now().timestamp()))
    advance(rt, sandbox, 3)
    pull(rt)
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    with rt.db.session() as s:
        ids = {c.user_comment_id: c.id for c in s.scalars(select(ReaderComment))}
        article_id = s.scalar(select(CommentArticle.id))
    return {"rt": rt, "app": app, "release": release, "article": article_id,
            "old": ids[str(first["user_comment_id"])], "new": ids[str(second["user_comment_id"])],
            "old_ucid": first["user_comment_id"]}


def _as(desk, username):
    client, _ = login(desk["app"], username, OFFICE_PASSWORD)
    return client


def _post(client, path, **form):
    token = TOKEN.search(client.get("/comments").get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token, **form})


def _after(client, answer) -> str:
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return client.get(answer.headers["Location"]).get_data(as_text=True)


def _comment(desk, comment_id) -> ReaderComment:
    with desk["rt"].db.session() as s:
        return s.get(ReaderComment, comment_id)


def test_the_inbox_lists_unanswered_first_oldest_first_with_age_and_overdue_in_words(desk):
    client = _as(desk, "jiaodui")
    html = client.get("/comments").get_data(as_text=True)
    assert html.index("请问在哪里办理") < html.index("周六可以办吗")
    old = html[html.index(f'id="comment-{desk["old"]}"'):html.index(f'id="comment-{desk["new"]}"')]
    assert "已等 1 天" in old and "超时：超过 24 小时未回复" in old and "待回复" in old
    new = html[html.index(f'id="comment-{desk["new"]}"'):]
    assert "已等 3 小时" in new and "超时" not in new.split("</li>")[0]
    assert "<b>2</b> 条待回复" in html and "1 条超时" in html
    assert "留言（2）" in html  # the menu's count
    assert "拉取留言</button>" not in html  # a proofreader looks but does not pull
    assert html.count('href="/comments/article/') >= 2
    assert "北京时间" in html


def test_a_proofreader_sees_no_pull_button_and_no_reply_form(desk):
    client = _as(desk, "jiaodui")
    assert "拉取留言</button>" not in client.get("/comments").get_data(as_text=True)
    page = client.get(f"/comments/{desk['old']}").get_data(as_text=True)
    assert "发送回复" not in page and "删除留言" not in page and "回复由编辑或终审处理" in page
    assert _post(client, f"/comments/{desk['old']}/reply", text=REPLY).status_code == 403
    assert _post(client, "/comments/pull").status_code == 403


def test_filters_by_state_and_article_and_the_audit_links_work(desk):
    client = _as(desk, "bianji")
    assert _after(client, _post(client, f"/comments/{desk['new']}/reply", text=REPLY)).count("已回复") >= 1
    waiting = client.get("/comments?state=unanswered").get_data(as_text=True)
    assert "请问在哪里办理" in waiting and "周六可以办吗" not in waiting
    everything = client.get("/comments?state=all").get_data(as_text=True)
    assert "周六可以办吗" in everything and REPLY in everything
    assert "— 王编辑" in everything
    article = client.get(f"/comments?article={desk['article']}")  # the audit log's link: all of it
    assert article.status_code == 200 and "周六可以办吗" in article.get_data(as_text=True)
    assert client.get("/comments?article=99999").status_code == 400
    by_release = client.get(f"/comments?release={desk['release'].id}").get_data(as_text=True)
    assert "只看文章" in by_release and "周六可以办吗" in by_release
    assert "还没有可以留言的文章" in client.get("/comments?release=99999").get_data(as_text=True)
    assert client.get("/comments?state=nope").status_code == 400
    assert client.get(f"/comments/{desk['new']}").status_code == 200  # the audit log's comment link
    assert client.get("/comments/99999").status_code == 404


def test_pull_flashes_how_many_are_new(desk, sandbox):
    client = _as(desk, "bianji")
    add_comment(sandbox, desk["release"].msg_data_id, "材料清单在哪里下载？")
    html = _after(client, _post(client, "/comments/pull"))
    assert "新留言 1 条" in html and "材料清单在哪里下载" in html


def test_a_reply_from_the_page_is_sent_once_and_flashed(desk, sandbox):
    client = _as(desk, "bianji")
    page = client.get(f"/comments/{desk['old']}").get_data(as_text=True)
    assert '<label for="cm-text">回复读者</label>' in page and "发送回复" in page
    html = _after(client, _post(client, f"/comments/{desk['old']}/reply", text=REPLY))
    assert "已回复：读者在文章留言区可以看到这条回复" in html and REPLY in html
    record = [c for c in sandbox_comments(sandbox, desk["release"].msg_data_id)
              if c["user_comment_id"] == desk["old_ucid"]][0]
    assert record["reply_calls"] == 1 and record["replies"][0]["content"] == REPLY
    again = _after(client, _post(client, f"/comments/{desk['old']}/reply", text="再补充"))
    assert "已回复，如需修改请先删除原回复" in again


def test_a_reply_the_proofreading_refuses_keeps_its_text_and_shows_the_findings(desk, sandbox):
    client = _as(desk, "bianji")
    bad = "请拨打 13812345678 联系滨海新区人民攻府"
    answer = _post(client, f"/comments/{desk['old']}/reply", text=bad)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert f">{bad}</textarea>" in html and 'id="cm-text-error"' in html and "手机号码" in html
    assert _comment(desk, desk["old"]).reply_content is None


def test_destructive_actions_need_the_tick_box_and_the_approver(desk, sandbox):
    editor = _as(desk, "bianji")
    page = editor.get(f"/comments/{desk['old']}").get_data(as_text=True)
    assert "设为精选" in page and "删除留言" not in page
    assert _post(editor, f"/comments/{desk['old']}/delete", confirm="1").status_code == 403
    assert _post(editor, f"/comments/article/{desk['article']}/close", confirm="1").status_code == 403
    _after(editor, _post(editor, f"/comments/{desk['old']}/reply", text=REPLY))
    html = _after(editor, _post(editor, f"/comments/{desk['old']}/delete_reply"))
    assert "未删除回复：请先勾选" in html and _comment(desk, desk["old"]).reply_content == REPLY
    html = _after(editor, _post(editor, f"/comments/{desk['old']}/delete_reply", confirm="1"))
    assert "已删除回复" in html and _comment(desk, desk["old"]).reply_content is None
    assert "已设为精选" in _after(editor, _post(editor, f"/comments/{desk['old']}/elect"))
    assert _comment(desk, desk["old"]).elected
    assert "已取消精选" in _after(editor, _post(editor, f"/comments/{desk['old']}/unelect"))

    approver = _as(desk, "zhongshen")
    html = _after(approver, _post(approver, f"/comments/{desk['new']}/delete"))
    assert "未删除留言：请先勾选" in html and _comment(desk, desk["new"]).deleted_at is None
    html = _after(approver, _post(approver, f"/comments/{desk['new']}/delete", confirm="1"))
    assert "已删除留言" in html and _comment(desk, desk["new"]).deleted_at is not None
    page = approver.get(f"/comments/article/{desk['article']}").get_data(as_text=True)
    assert "关闭留言" in page and "已打开" in page
    assert "未关闭留言" in _after(approver, _post(approver, f"/comments/article/{desk['article']}/close"))
    html = _after(approver, _post(approver, f"/comments/article/{desk['article']}/close", confirm="1"))
    assert "已关闭留言" in html and "已关闭" in html and "打开留言</button>" in html
    page = editor.get(f"/comments/{desk['old']}").get_data(as_text=True)
    assert "留言已关闭" in page and "发送回复" not in page
    assert "已打开留言" in _after(approver, _post(approver, f"/comments/article/{desk['article']}/open"))


def test_wechat_refusing_is_flashed_with_its_explanation_and_rid(desk, sandbox):
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/comment/markelect",
                                                         "errcode": 88001, "count": 1}, timeout=5)
    client = _as(desk, "bianji")
    html = _after(client, _post(client, f"/comments/{desk['old']}/elect"))
    assert "设为精选没有成功，微信拒绝了" in html and "rid" in html
    assert not _comment(desk, desk["old"]).elected


def test_the_dashboard_block_counts_and_changes_after_a_reply(desk):
    client = _as(desk, "bianji")
    html = client.get("/dashboard/").get_data(as_text=True)
    block = html[html.index('id="dash-comments"'):html.index("</section>", html.index('id="dash-comments"'))]
    assert "待回复 <b>2</b> 条" in block and "超时 1 条" in block and "市场环境" in block
    assert "首次回复用时" in block and "—" in block
    _after(client, _post(client, f"/comments/{desk['old']}/reply", text=REPLY))
    html = client.get("/dashboard/").get_data(as_text=True)
    block = html[html.index('id="dash-comments"'):html.index("</section>", html.index('id="dash-comments"'))]
    assert "待回复 <b>1</b> 条" in block and "超时 0 条" in block and "29 小时" in block


def test_a_long_inbox_is_read_a_page_of_fifty_at_a_time_oldest_first(desk):
    from datetime import timedelta

    rt = desk["rt"]
    with rt.db.session() as s:  # 58 more unanswered comments, as a busy week would bring
        oldest = s.get(ReaderComment, desk["old"]).created_at
        for n in range(58):
            s.add(ReaderComment(article_id=desk["article"], user_comment_id=str(1000 + n), openid=f"o-page-{n}",
                                content=f"第 {n} 条排队的留言", created_at=oldest + timedelta(minutes=n + 1)))
        s.commit()
    client = _as(desk, "bianji")
    first = client.get("/comments").get_data(as_text=True)
    assert first.count('class="cm-card') == 50 and "第 1 页" in first and "下一页" in first
    assert "上一页" not in first and "请问在哪里办理" in first  # the oldest comes first
    second = client.get("/comments?state=unanswered&page=2").get_data(as_text=True)
    assert second.count('class="cm-card') == 10 and "上一页" in second and "下一页" not in second
    assert "周六可以办吗" in second  # the newest waits at the end
    assert client.get("/comments?page=abc").status_code == 200  # a bad page number is page 1
