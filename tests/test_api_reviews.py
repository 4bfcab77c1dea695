"""The review chain through ``/api/v1/messages/<id>/reviews``: the contract's shape and the rules as a
probe would try them — wrong role (403), out of order, same person twice, stale hash (409), an edit
after 复审 voiding the chain, and a complete chain publishing exactly the approved hash."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from auth_helpers import login
from publishing_helpers import make_due
from review_helpers import OFFICE_PASSWORD, Logins, make_office, planned_message
from wxpub.models import Case, Message, Release

WORKER = "api-test:1"


pytestmark = pytest.mark.full_chain


@pytest.fixture
def desk(runtime, app, tmp_path):
    make_office(runtime)
    message_id, release_id = planned_message(runtime, tmp_path)
    return message_id, release_id, Logins(app)


def _post(clients, who, message_id, **body):
    client, headers = clients[who]
    return client.post(f"/api/v1/messages/{message_id}/reviews", json=body, headers=headers)


def _hash(clients, message_id):
    client, _ = clients["bianji"]
    return client.get(f"/api/v1/messages/{message_id}/reviews").get_json()["version_hash"]


def test_the_chain_reads_as_the_contract_says(desk):
    message_id, _, clients = desk
    data = clients["fushen"][0].get(f"/api/v1/messages/{message_id}/reviews").get_json()
    assert len(data["version_hash"]) == 64 and data["complete"] is False
    assert [s["stage"] for s in data["stages"]] == ["初审", "复审", "终审"]
    assert all(s["decision"] is None for s in data["stages"]) and data["proofreads"] == []
    assert {"stage", "decision", "by", "at", "comment"} <= set(data["stages"][0])
    answer = _post(clients, "bianji", message_id, version_hash=data["version_hash"], stage="初审",
                   decision="approve", comment="文字已核")
    assert answer.status_code == 201
    first = answer.get_json()["stages"][0]
    assert (first["decision"], first["by"], first["comment"]) == ("approve", "bianji", "文字已核")
    assert first["at"].endswith("+08:00")


@pytest.mark.parametrize("who,stage,status,words", [
    ("bianji", "复审", 403, "“复审”须由复审签署"),
    ("zhongshen", "初审", 403, "你的角色是“终审”"),
    ("fushen", "复审", 409, "还没有完成“初审”"),
    ("jiaodui", "初审", 403, "你的角色是“校对”"),
])
def test_wrong_role_is_403_and_out_of_order_is_409(desk, who, stage, status, words):
    message_id, _, clients = desk
    answer = _post(clients, who, message_id, version_hash=_hash(clients, message_id), stage=stage,
                   decision="approve", comment="")
    assert answer.status_code == status, answer.get_json()
    assert words in answer.get_json()["message"]


def test_a_stale_hash_and_the_same_person_twice_are_409(desk, runtime):
    message_id, _, clients = desk
    current = _hash(clients, message_id)
    stale = _post(clients, "bianji", message_id, version_hash="f" * 64, stage="初审", decision="approve")
    assert stale.status_code == 409 and stale.get_json()["error"] == "stale_version"
    assert _post(clients, "bianji", message_id, version_hash=current, stage="初审",
                 decision="approve").status_code == 201
    with runtime.db.session() as s:  # the editor becomes a reviewer: still one stage per version
        from wxpub.staff import users
        users.set_role(s, "bianji", "reviewer", actor="测试", now=runtime.clock.now())
    client, headers = login(runtime_app(desk, runtime), "bianji", OFFICE_PASSWORD)
    twice = client.post(f"/api/v1/messages/{message_id}/reviews", headers=headers,
                        json={"version_hash": current, "stage": "复审", "decision": "approve"})
    assert twice.status_code == 409 and twice.get_json()["error"] == "twice"


def runtime_app(desk, runtime):
    from wxpub import create_app
    app = create_app(runtime=runtime)
    app.config["TESTING"] = True
    return app


def test_a_return_without_reason_is_400(desk):
    message_id, _, clients = desk
    answer = _post(clients, "bianji", message_id, version_hash=_hash(clients, message_id), stage="初审",
                   decision="reject", comment="")
    assert answer.status_code == 400 and "退回必须写明理由" in answer.get_json()["message"]


def _walk(clients, message_id, upto=None):
    steps = [("bianji", "初审"), ("fushen", "复审"), ("jiaodui", "校对"), ("jiaodui2", "校对"),
             ("bianji", "校对"), ("zhongshen", "终审")]
    for who, stage in steps:
        answer = _post(clients, who, message_id, version_hash=_hash(clients, message_id), stage=stage,
                       decision="approve", comment="同意")
        assert answer.status_code == 201, answer.get_json()
        if stage == upto:
            return answer.get_json()
    return answer.get_json()


def test_an_edit_after_the_second_stage_voids_the_chain(desk, runtime):
    message_id, release_id, clients = desk
    before = _walk(clients, message_id, upto="复审")
    with runtime.db.session() as s:
        message = s.get(Message, message_id)
        case = s.scalars(select(Case).where(Case.chapter_id == message.chapter_id).order_by(Case.position)).first()
    client, headers = clients["bianji"]
    page = client.get(f"/api/v1/cases/{case.id}/content").get_json()
    edited = client.put(f"/api/v1/cases/{case.id}/content", headers=headers,
                        json={"base_version": page["version"],
                              "lead": [page["fields"]["lead"][0] + "（修订）", *page["fields"]["lead"][1:]]})
    assert edited.status_code == 200, edited.get_json()
    after = client.get(f"/api/v1/messages/{message_id}/reviews").get_json()
    assert after["stale"] is True and after["complete"] is False
    assert all(s["decision"] is None for s in after["stages"])  # every stage voided
    assert {v["stage"] for v in after["voided"]} == {"初审", "复审"}
    refused = _post(clients, "jiaodui", message_id, version_hash=before["version_hash"], stage="校对",
                    decision="approve")
    assert refused.status_code == 409
    with runtime.db.session() as s:
        assert s.get(Release, release_id).state == "planned"


def test_a_complete_chain_publishes_exactly_the_signed_hash(tmp_path, sandbox_runtime, sandbox_sleep):
    from wxpub import create_app
    from wxpub.publishing import pipeline

    rt = sandbox_runtime()
    make_office(rt)
    message_id, release_id = planned_message(rt, tmp_path)
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    clients = Logins(app)
    done = _walk(clients, message_id)
    assert done["complete"] is True and done["approved_releases"] == [release_id]
    make_due(rt, [release_id])
    assert pipeline.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"
    with rt.db.session() as s:
        release = s.get(Release, release_id)
        from wxpub.models import MessageVersion
        assert s.get(MessageVersion, release.sent_version_id).sha256 == done["version_hash"]
    listed = clients["bianji"][0].get("/api/v1/messages/%d/reviews" % message_id).get_json()
    assert listed["version_hash"] == done["version_hash"]
