"""The case editor's JSON API (/api/v1/cases/<id>/content, versions, diff, revert,
fix-punctuation): the contract a client relies on, and its refusals with their reasons."""

from __future__ import annotations

import pytest

from auth_helpers import login
from publishing_helpers import import_samples
from test_case_editor import case_id
from wxpub.staff import users

PASSWORD = "Zh4ngsan-2026!"


@pytest.fixture
def api(app, runtime, session, clock):
    """(client, CSRF headers) of the editor zhangsan, with the sample series imported."""
    import_samples(runtime)
    users.create_user(session, "zhangsan", PASSWORD, "editor", now=clock.now(), actor="测试")
    return login(app, "zhangsan", PASSWORD)


def test_get_content_gives_the_fields_and_their_findings(api, session):
    client, _ = api
    cid = case_id(session, "人文环境", 1)
    data = client.get(f"/api/v1/cases/{cid}/content").get_json()
    assert set(data) == {"case_id", "version", "content_hash", "fields", "findings"}
    assert data["case_id"] == cid and data["version"] == 1 and len(data["content_hash"]) == 64
    fields = data["fields"]
    assert fields["title"] == f"{fields['main_title']} {fields['subtitle']}"
    assert fields["main_title"] == "创新“双招双引”模式" and fields["subtitle"] == "集聚创新创业领军人才"
    assert set(fields) == {"title", "main_title", "subtitle", "unit", "contact", "lead", "points",
                           "closing", "images"}
    assert all(set(p) == {"lead", "rest"} for p in fields["points"])
    first = data["findings"][0]
    assert set(first) == {"field", "label", "rule", "severity", "message", "text"}
    assert (first["field"], first["label"], first["severity"]) == ("lead.1", "导语第1段", "warning")
    assert {f["field"] for f in data["findings"]} >= {"points.1", "points.2", "points.3"}
    assert client.get("/api/v1/cases/9999/content").status_code == 404


def test_put_saves_a_new_version_once_and_refuses_a_stale_or_bad_one(api, session):
    client, headers = api
    cid = case_id(session)
    before = client.get(f"/api/v1/cases/{cid}/content").get_json()
    body = {"main_title": "推行“一企一证”改革", "subtitle": "准入准营一次办成",
            "points": ["一是整合证照信息，实现“一证准营”。", {"lead": "二是再造流程，", "rest": "一表申请。"}],
            "base_version": 1}
    saved = client.put(f"/api/v1/cases/{cid}/content", json=body, headers=headers)
    assert saved.status_code == 200
    data = saved.get_json()
    assert data["created"] is True and data["version"] == 2 and data["previous_version"] == 1
    assert data["releases"] == [] and data["notified"] == []
    assert data["content_hash"] != before["content_hash"]
    assert data["fields"]["title"] == "推行“一企一证”改革 准入准营一次办成"
    assert data["fields"]["points"] == [{"lead": "一是整合证照信息，", "rest": "实现“一证准营”。"},
                                        {"lead": "二是再造流程，", "rest": "一表申请。"}]
    assert data["fields"]["lead"] == before["fields"]["lead"]  # fields not sent stay as they were
    again = client.put(f"/api/v1/cases/{cid}/content", json={**body, "base_version": 2}, headers=headers)
    assert again.get_json()["created"] is False and again.get_json()["version"] == 2
    stale = client.put(f"/api/v1/cases/{cid}/content", json={"unit": "别的单位", "base_version": 1},
                       headers=headers)
    assert stale.status_code == 409 and stale.get_json()["error"] == "conflict"
    assert "v2" in stale.get_json()["message"] and "v1" in stale.get_json()["message"]
    for bad, words in [({"main_title": ""}, "主标题不能为空"), ({"number": 3}, "不能修改的字段：number"),
                       ({"lead": ["字" * 5000]}, "导语第 1 段最多 3000 个字"),
                       ({"base_version": "two"}, "base_version"),
                       ({"images": [{"sha256": "0" * 64}]}, "不是这个案例的图片")]:
        refused = client.put(f"/api/v1/cases/{cid}/content", json=bad, headers=headers)
        assert refused.status_code == 400, bad
        assert words in refused.get_json()["message"], bad
    assert client.put(f"/api/v1/cases/{cid}/content", json={"unit": "x"}).status_code == 400  # no CSRF
    assert client.get(f"/api/v1/cases/{cid}").get_json()["version"] == 2


def test_versions_and_the_diff_of_any_two(api, session):
    client, headers = api
    cid = case_id(session)
    lead = client.get(f"/api/v1/cases/{cid}/content").get_json()["fields"]["lead"]
    client.put(f"/api/v1/cases/{cid}/content", json={"lead": [lead[0].replace("大幅压缩", "明显压缩")]},
               headers=headers)
    versions = client.get(f"/api/v1/cases/{cid}/versions").get_json()
    assert versions["case_id"] == cid and versions["current_version"] == 2
    assert [(v["version"], v["current"]) for v in versions["versions"]] == [(2, True), (1, False)]
    assert versions["versions"][0]["source_file"] == "在线编辑（zhangsan）"
    assert versions["versions"][1]["source_file"] == "1-shichang/01-yiqi-yizheng.md"
    diff = client.get(f"/api/v1/cases/{cid}/diff?from=1&to=2").get_json()
    assert diff["from"] == 1 and diff["to"] == 2
    (field,) = diff["fields"]
    assert (field["field"], field["label"], field["kind"]) == ("lead.1", "导语第1段", "changed")
    assert field["old"] == lead[0] and "明显压缩" in field["new"]
    assert ["delete", "大幅"] in field["ops"] and ["insert", "明显"] in field["ops"]
    assert "".join(t for op, t in field["ops"] if op != "insert") == field["old"]
    assert client.get(f"/api/v1/cases/{cid}/diff?from=2&to=2").get_json()["fields"] == []
    for query, status, words in [("to=2", 400, "from"), ("from=1", 400, "to"),
                                 ("from=1&to=abc", 400, "参数 to"), ("from=0&to=1", 400, "参数 from"),
                                 ("from=1&to=7", 404, "v7")]:
        answer = client.get(f"/api/v1/cases/{cid}/diff?{query}")
        assert answer.status_code == status, query
        assert words in answer.get_json()["message"], query


def test_revert_and_the_punctuation_fix_make_new_versions(api, session):
    client, headers = api
    cid = case_id(session, "人文环境", 1)
    fixed = client.post(f"/api/v1/cases/{cid}/fix-punctuation", headers=headers)
    assert fixed.status_code == 200
    data = fixed.get_json()
    assert data["created"] is True and data["version"] == 2 and data["findings"] == []
    assert all("," not in p for p in data["fields"]["lead"])
    nothing = client.post(f"/api/v1/cases/{cid}/fix-punctuation", headers=headers)
    assert nothing.status_code == 400 and "没有需要改为全角的半角标点" in nothing.get_json()["message"]
    back = client.post(f"/api/v1/cases/{cid}/revert", json={"version": 1}, headers=headers)
    assert back.status_code == 200
    assert back.get_json()["version"] == 3 and back.get_json()["created"] is True
    assert back.get_json()["findings"] != []  # v1's half-width commas are back
    same = client.post(f"/api/v1/cases/{cid}/revert", json={"version": 1}, headers=headers)
    assert same.get_json()["created"] is False and same.get_json()["version"] == 3
    for bad, status, words in [({}, 400, "缺少字段 version"), ({"version": "1"}, 400, "version"),
                               ({"version": 1, "why": "x"}, 400, "why"), ({"version": 9}, 404, "v9")]:
        answer = client.post(f"/api/v1/cases/{cid}/revert", json=bad, headers=headers)
        assert answer.status_code == status, bad
        assert words in answer.get_json()["message"], bad


def test_a_reviewer_reads_the_content_but_cannot_write_it(app, runtime, session, clock):
    import_samples(runtime)
    users.create_user(session, "zhaofs", "Rev1ewer-2026!", "reviewer", now=clock.now(), actor="测试")
    client, headers = login(app, "zhaofs", "Rev1ewer-2026!")
    cid = case_id(session)
    assert client.get(f"/api/v1/cases/{cid}/content").status_code == 200
    assert client.get(f"/api/v1/cases/{cid}/versions").status_code == 200
    for method, path, body in [("put", "content", {"unit": "x"}), ("post", "revert", {"version": 1}),
                               ("post", "fix-punctuation", None)]:
        answer = getattr(client, method)(f"/api/v1/cases/{cid}/{path}", json=body, headers=headers)
        assert answer.status_code == 403 and answer.get_json()["error"] == "forbidden", path
    assert app.test_client().get(f"/api/v1/cases/{cid}/content").status_code == 401
