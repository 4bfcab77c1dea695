"""Comments through the API: anchored to a paragraph of the current version, threaded, resolvable;
an open thread holds the last stage back; admins (IT) do not comment."""

from __future__ import annotations

import pytest

from auth_helpers import login
from review_helpers import OFFICE_PASSWORD, Logins, make_office, planned_message, walk


pytestmark = pytest.mark.full_chain


@pytest.fixture
def desk(runtime, app, tmp_path):
    make_office(runtime)
    message_id, _ = planned_message(runtime, tmp_path)
    return message_id, Logins(app)


def test_a_thread_on_a_paragraph_replied_to_and_resolved(desk, runtime):
    message_id, clients = desk
    client, headers = clients["fushen"]
    version_hash = client.get(f"/api/v1/messages/{message_id}/reviews").get_json()["version_hash"]
    made = client.post(f"/api/v1/messages/{message_id}/comments", headers=headers,
                       json={"version_hash": version_hash, "body": "此处数据请核实出处", "article": 0,
                             "case": 2, "paragraph": 1, "quote": "同比增长"})
    assert made.status_code == 201, made.get_json()
    [thread] = made.get_json()["threads"]
    assert (thread["case"], thread["paragraph"], thread["by"], thread["resolved"]) == (2, 1, "fushen", False)
    assert "案例02" in thread["where"] and "第1段" in thread["where"]
    editor, editor_headers = clients["bianji"]
    replied = editor.post(f"/api/v1/messages/{message_id}/comments", headers=editor_headers,
                          json={"version_hash": version_hash, "body": "已核实，来自区统计局", "parent_id": thread["id"]})
    assert replied.get_json()["threads"][0]["replies"][0]["body"] == "已核实，来自区统计局"

    walk(runtime, message_id, through="校对")  # 初审 … (the rounds follow)
    from review_helpers import sign
    sign(runtime, message_id, "校对", "jiaodui2", comment="已校对")
    sign(runtime, message_id, "校对", "bianji", comment="已校对")
    from wxpub.core.errors import Conflict
    with pytest.raises(Conflict, match="审核意见没有处理完"):
        sign(runtime, message_id, "终审", "zhongshen")
    resolved = editor.post(f"/api/v1/comments/{thread['id']}/resolve", headers=editor_headers, json={})
    assert resolved.status_code == 200 and resolved.get_json()["threads"][0]["resolved"] is True
    assert sign(runtime, message_id, "终审", "zhongshen").completed


def test_a_comment_on_an_old_version_is_refused(desk):
    message_id, clients = desk
    client, headers = clients["fushen"]
    stale = client.post(f"/api/v1/messages/{message_id}/comments", headers=headers,
                        json={"version_hash": "1" * 64, "body": "意见"})
    assert stale.status_code == 409 and "已不是当前版本" in stale.get_json()["message"]
    empty = client.post(f"/api/v1/messages/{message_id}/comments", headers=headers,
                        json={"version_hash": "1" * 64})
    assert empty.status_code == 400
