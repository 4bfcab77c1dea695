"""The JSON API for series, chapters and bulk curation, as a script would use it: login + CSRF
header, 201 for what is created, 400 in Chinese for wrong types, 404/409 for unknown ids and clashes,
read-only for reviewers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from auth_helpers import login
from conftest import EDITOR_PASSWORD
from test_library_pages import add_cases
from wxpub.models import AuditEntry, Case
from wxpub.staff import users

NAME = "2024年度滨海新区优化营商环境创新实践案例展示"


@pytest.fixture
def api(app, session, clock):
    users.create_user(session, "zhangsan", EDITOR_PASSWORD, "editor", now=clock.now(), actor="测试")
    return login(app, "zhangsan", EDITOR_PASSWORD)


def test_create_list_get_and_patch_a_series(api, runtime):
    client, headers = api
    created = client.post("/api/v1/series", json={"name": NAME, "intro": ["第一段", "第二段"],
                                                  "chapters": ["市场环境", "政务环境篇"]}, headers=headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["name"] == NAME and body["intro"] == ["第一段", "第二段"] and body["is_open"] is True
    assert [c["name"] for c in body["chapters"]] == ["市场环境", "政务环境"]
    assert [c["position"] for c in body["chapters"]] == [1, 2]
    assert body["counts"] == {"pending": 0, "selected": 0, "rejected": 0, "total": 0}
    add_cases(runtime, NAME, "政务环境", ["甲", "乙"])

    listed = client.get("/api/v1/series").get_json()["series"]
    assert [s["name"] for s in listed] == [NAME]
    assert listed[0]["counts"]["total"] == 2
    assert [c["counts"]["pending"] for c in listed[0]["chapters"]] == [0, 2]

    one = client.get(f"/api/v1/series/{body['id']}").get_json()
    assert one["id"] == body["id"] and one["chapters"][1]["counts"]["total"] == 2
    patched = client.patch(f"/api/v1/series/{body['id']}", json={"is_open": False, "intro": "一段\n两段"},
                           headers=headers)
    assert patched.status_code == 200
    assert patched.get_json()["is_open"] is False and patched.get_json()["intro"] == ["一段", "两段"]


def test_chapters_list_add_and_patch(api):
    client, headers = api
    series = client.post("/api/v1/series", json={"name": NAME, "chapters": ["市场环境"]}, headers=headers).get_json()
    added = client.post(f"/api/v1/series/{series['id']}/chapters", json={"name": "人文环境", "intro": ["导语"]},
                        headers=headers)
    assert added.status_code == 201
    chapter = added.get_json()
    assert chapter["name"] == "人文环境" and chapter["position"] == 2 and chapter["intro"] == ["导语"]
    assert chapter["series_id"] == series["id"] and chapter["counts"]["total"] == 0
    listed = client.get(f"/api/v1/series/{series['id']}/chapters").get_json()["chapters"]
    assert [c["name"] for c in listed] == ["市场环境", "人文环境"]
    patched = client.patch(f"/api/v1/chapters/{chapter['id']}", json={"name": "人文"}, headers=headers)
    assert patched.status_code == 200 and patched.get_json()["name"] == "人文"
    clash = client.post(f"/api/v1/series/{series['id']}/chapters", json={"name": "市场环境"}, headers=headers)
    assert clash.status_code == 409 and "已经有篇章“市场环境”" in clash.get_json()["message"]
    assert client.get("/api/v1/series/999/chapters").status_code == 404
    assert client.patch("/api/v1/chapters/999", json={"name": "x"}, headers=headers).status_code == 404


@pytest.mark.parametrize("path,payload,message", [
    ("/api/v1/series", {"name": 7}, "字段 name 应为字符串"),
    ("/api/v1/series", {}, "缺少字段：name"),
    ("/api/v1/series", {"name": "甲", "chapters": "市场环境"}, "字段 chapters 应为篇章名称"),
    ("/api/v1/series", {"name": "甲", "chapters": [1, 2]}, "字段 chapters 应为篇章名称"),
    ("/api/v1/series", {"name": "甲", "intro": [1]}, "字段 intro 应为字符串列表"),
    ("/api/v1/series", {"name": "甲", "colour": "red"}, "不认识的字段：colour"),
    ("/api/v1/series", ["not", "an", "object"], "请求体应为 JSON 对象"),
    ("/api/v1/cases/status", {"case_ids": [1], "status": "approved"}, "案例状态只能是"),
    ("/api/v1/cases/status", {"case_ids": ["1"], "status": "selected"}, "字段 case_ids 应为案例编号"),
    ("/api/v1/cases/status", {"case_ids": [2 ** 31], "status": "selected"}, "字段 case_ids 应为案例编号"),
    ("/api/v1/cases/status", {"case_ids": [True], "status": "selected"}, "字段 case_ids 应为案例编号"),
    ("/api/v1/cases/status", {"case_ids": [], "status": "selected"}, "没有指定要处理的案例"),
    ("/api/v1/cases/status", {"case_ids": [1], "status": 1}, "字段 status 应为字符串"),
])
def test_wrong_types_are_a_400_in_chinese(api, path, payload, message):
    client, headers = api
    answer = client.post(path, json=payload, headers=headers)
    assert answer.status_code == 400, answer.get_json()
    assert message in answer.get_json()["message"]


def test_patch_checks_its_fields(api):
    client, headers = api
    series = client.post("/api/v1/series", json={"name": NAME}, headers=headers).get_json()
    for payload, message in (({"is_open": "false"}, "is_open 应为 true 或 false"),
                             ({"name": ["x"]}, "字段 name 应为字符串"), ({}, "没有要修改的字段"),
                             ({"id": 3}, "不认识的字段：id")):
        answer = client.patch(f"/api/v1/series/{series['id']}", json=payload, headers=headers)
        assert answer.status_code == 400 and message in answer.get_json()["message"], payload
    other = client.post("/api/v1/series", json={"name": "另一个系列"}, headers=headers).get_json()
    clash = client.patch(f"/api/v1/series/{other['id']}", json={"name": NAME}, headers=headers)
    assert clash.status_code == 409 and clash.get_json()["error"] == "conflict"


def test_bulk_status_changes_every_case_or_none(api, runtime, session):
    client, headers = api
    client.post("/api/v1/series", json={"name": NAME, "chapters": ["市场环境"]}, headers=headers)
    ids = add_cases(runtime, NAME, "市场环境", ["甲", "乙", "丙"])
    answer = client.post("/api/v1/cases/status", json={"case_ids": ids[:2], "status": "selected"}, headers=headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["count"] == 2 and [c["status"] for c in body["cases"]] == ["selected", "selected"]
    unknown = client.post("/api/v1/cases/status", json={"case_ids": [ids[2], 999999], "status": "rejected"},
                          headers=headers)
    assert unknown.status_code == 404 and "999999" in unknown.get_json()["message"]
    session.expire_all()
    assert [session.get(Case, i).status for i in ids] == ["selected", "selected", "pending"]
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.action.like("case.bulk_%"))).all()) == 1


def test_writes_need_csrf_and_the_editor_role(app, api, session, clock):
    client, headers = api
    assert client.post("/api/v1/series", json={"name": NAME}).status_code == 400  # no CSRF header
    users.create_user(session, "lisi", "Revi3wer-2026!", "reviewer", now=clock.now(), actor="测试")
    reviewer, reviewer_headers = login(app, "lisi", "Revi3wer-2026!")
    assert reviewer.get("/api/v1/series").status_code == 200
    refused = reviewer.post("/api/v1/series", json={"name": NAME}, headers=reviewer_headers)
    assert refused.status_code == 403 and "不能修改案例库" in refused.get_json()["message"]
    assert app.test_client().get("/api/v1/series").status_code == 401
    assert client.get("/api/v1/series/99999999999").status_code == 404  # past a 32-bit id: no route
