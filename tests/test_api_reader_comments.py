"""The public JSON contract of readers' comments (留言): list, reply, 精选, delete, open/close, pull —
against the sandbox over real HTTP, with the sandbox's own record showing each reply exactly once;
and the CLI (``wxpub comments pull|list|reply``) on the same functions."""

from __future__ import annotations

import json

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from auth_helpers import login
from comments_helpers import add_comment, make_staff, moving_runtime, publish, sandbox_comments
from review_helpers import OFFICE_PASSWORD
from wxpub.cli import main
from wxpub.models import CommentArticle
from wxpub.notify.outbox import deliver_due

pytestmark = pytest.mark.sandbox(comments_per_article=0)
REPLY = "您好，可在区政务服务中心一楼综合窗口办理，工作日 9:00–17:30。"


@pytest.fixture
def office(sandbox_runtime, sandbox, tmp_path):
    """A published article with two reader comments; the app and the editor's logged-in client."""
    from wxpub import create_app

    rt = moving_runtime(sandbox_runtime)
    make_staff(rt)
    release = publish(rt, tmp_path, sandbox)
    add_comment(sandbox, release.msg_data_id, "请问在哪里办理？", create_time=int(rt.clock.now().timestamp()) - 3 * 3600)
    add_comment(sandbox, release.msg_data_id, "点赞！")
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    return rt, release, app, client, headers


def test_pull_list_and_reply_through_the_api_reply_recorded_once(office, sandbox):
    rt, release, app, client, headers = office
    assert client.get("/api/v1/comments").get_json() == {"comments": [], "page": 1, "per_page": 50, "total": 0}
    pulled = client.post("/api/v1/comments/pull", headers=headers)
    assert pulled.status_code == 200 and pulled.get_json()["new"] == 2
    listed = client.get("/api/v1/comments?state=unanswered").get_json()["comments"]
    assert [c["content"] for c in listed] == ["请问在哪里办理？", "点赞！"]
    first = listed[0]
    assert set(first) == {"id", "article", "content", "openid", "created_at", "age_hours", "elected", "reply",
                          "state", "pending_action"}
    assert first["created_at"].endswith("+08:00") and 2.9 <= first["age_hours"] <= 3.2
    assert first["article"]["msg_data_id"] == release.msg_data_id and first["article"]["index"] == 0
    assert first["article"]["chapter"] == "市场环境" and first["state"] == "unanswered" and first["reply"] is None
    answer = client.post(f"/api/v1/comments/{first['id']}/reply", json={"text": REPLY}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "sent" and answer.get_json()["error"] is None
    again = client.post(f"/api/v1/comments/{first['id']}/reply", json={"text": REPLY}, headers=headers)
    assert again.status_code == 409 and again.get_json()["message"] == "已回复，如需修改请先删除原回复"
    assert deliver_due(rt, worker="scheduler") == 0
    [record] = [c for c in sandbox_comments(sandbox, release.msg_data_id) if c["content"] == "请问在哪里办理？"]
    assert len(record["replies"]) == 1 and record["reply_calls"] == 1
    every = client.get("/api/v1/comments?state=all").get_json()["comments"]
    answered = next(c for c in every if c["id"] == first["id"])
    assert answered["state"] == "answered" and answered["reply"]["content"] == REPLY
    assert answered["reply"]["by"] == "bianji" and answered["reply"]["at"].endswith("+08:00")
    assert [c["id"] for c in client.get("/api/v1/comments").get_json()["comments"]] == [listed[1]["id"]]
    article = first["article"]["id"]
    assert len(client.get(f"/api/v1/comments?state=all&article={article}").get_json()["comments"]) == 2
    assert client.get("/api/v1/comments?state=all&article=99999").get_json()["comments"] == []
    for query in ("state=old", "article=abc"):
        bad = client.get(f"/api/v1/comments?{query}")
        assert bad.status_code == 400 and bad.get_json()["error"]


def test_validation_roles_unknown_and_wechat_refusals(office, sandbox):
    rt, release, app, client, headers = office
    client.post("/api/v1/comments/pull", headers=headers)
    comment = client.get("/api/v1/comments").get_json()["comments"][0]
    lint = client.post(f"/api/v1/comments/{comment['id']}/reply", json={"text": "请联系人民政付 13812345678"},
                       headers=headers)
    assert lint.status_code == 400 and "人民政府" in lint.get_json()["message"]
    assert "手机号码" in lint.get_json()["message"]
    assert client.post(f"/api/v1/comments/{comment['id']}/reply", json={}, headers=headers).status_code == 400
    assert client.post("/api/v1/comments/99999/reply", json={"text": REPLY}, headers=headers).status_code == 404
    denied = client.delete(f"/api/v1/comments/{comment['id']}", headers=headers)  # an editor may not delete
    assert denied.status_code == 403 and "编辑" in denied.get_json()["message"]
    proof, proof_headers = login(app, "jiaodui", OFFICE_PASSWORD)
    refused = proof.post(f"/api/v1/comments/{comment['id']}/elect", headers=proof_headers)
    assert refused.status_code == 403 and "校对" in refused.get_json()["message"]
    assert sandbox_comments(sandbox, release.msg_data_id)[0]["reply_calls"] == 0
    assert client.post(f"/api/v1/comments/{comment['id']}/elect", headers=headers).get_json()["status"] == "sent"
    assert client.get("/api/v1/comments").get_json()["comments"][0]["elected"] is True
    assert client.post(f"/api/v1/comments/{comment['id']}/unelect", headers=headers).status_code == 200
    rt.wechat.comment.close(release.msg_data_id, 0)  # closed in the MP web UI
    failed = client.post(f"/api/v1/comments/{comment['id']}/reply", json={"text": REPLY}, headers=headers)
    assert failed.status_code == 502
    data = failed.get_json()
    assert data["status"] == "failed" and data["error_code"] == 88000 and data["rid"] and "留言" in data["error"]


def test_approvers_delete_comments_and_replies_and_open_close_articles(office, sandbox):
    rt, release, app, client, headers = office
    client.post("/api/v1/comments/pull", headers=headers)
    first, second = client.get("/api/v1/comments").get_json()["comments"]
    boss, boss_headers = login(app, "zhongshen", OFFICE_PASSWORD)
    answer = boss.post(f"/api/v1/comments/{first['id']}/reply", json={"text": REPLY}, headers=boss_headers)
    assert answer.status_code == 200
    assert boss.delete(f"/api/v1/comments/{first['id']}/reply", headers=boss_headers).status_code == 200
    assert client.get("/api/v1/comments").get_json()["comments"][0]["id"] == first["id"]  # waiting again
    assert boss.delete(f"/api/v1/comments/{second['id']}", headers=boss_headers).status_code == 200
    record = {c["content"]: c for c in sandbox_comments(sandbox, release.msg_data_id)}
    assert record["点赞！"]["deleted"] and record["请问在哪里办理？"]["replies"][0]["deleted"]
    with rt.db.session() as session:
        article_id = session.scalar(select(CommentArticle.id).where(CommentArticle.article_index == 0))
    assert client.post(f"/api/v1/comment-articles/{article_id}/close", headers=headers).status_code == 403
    closed = boss.post(f"/api/v1/comment-articles/{article_id}/close", headers=boss_headers)
    assert closed.status_code == 200 and closed.get_json()["status"] == "sent"
    [state] = requests.get(f"{sandbox.url}/sandbox/comments", timeout=5,
                           params={"msg_data_id": release.msg_data_id, "index": 0}).json()["articles"]
    assert state["open"] is False
    assert boss.post(f"/api/v1/comment-articles/{article_id}/open", headers=boss_headers).status_code == 200
    assert boss.post("/api/v1/comment-articles/99999/open", headers=boss_headers).status_code == 404


def test_the_cli_pulls_lists_and_replies_with_the_same_functions(office, sandbox):
    rt, release, app, client, headers = office
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, list(args), obj=rt, catch_exceptions=False)

    pulled = run("comments", "pull")
    assert pulled.exit_code == 0 and "新留言 2 条" in pulled.output
    table = run("comments", "list")
    assert table.exit_code == 0 and "请问在哪里办理？" in table.output and "待回复" in table.output
    assert "3 小时" in table.output
    listed = json.loads(run("comments", "list", "--json").output)
    assert listed["comments"] == client.get("/api/v1/comments").get_json()["comments"]  # the API adds paging
    comment_id = listed["comments"][0]["id"]
    refused = run("comments", "reply", str(comment_id), "请找人民攻府办理", "--as", "bianji")
    assert refused.exit_code == 1 and "审校" in refused.output and "“攻府”应为“政府”" in refused.output
    role = run("comments", "reply", str(comment_id), REPLY, "--as", "jiaodui")
    assert role.exit_code == 1 and "校对" in role.output
    done = run("comments", "reply", str(comment_id), REPLY, "--as", "bianji")
    assert done.exit_code == 0 and "已回复" in done.output
    twice = run("comments", "reply", str(comment_id), REPLY, "--as", "bianji")
    assert twice.exit_code == 1 and "已回复，如需修改请先删除原回复" in twice.output
    assert len(sandbox_comments(sandbox, release.msg_data_id)[0]["replies"]) == 1
    assert run("comments", "elect", str(comment_id), "--as", "bianji").exit_code == 0
    assert run("comments", "delete", str(comment_id), "--as", "bianji").exit_code == 1
    assert run("comments", "pull", "--article", "99999").exit_code == 1
    everything = run("comments", "list", "--state", "all")
    assert "已回复" in everything.output and "★" in everything.output
