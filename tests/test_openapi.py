"""The API describes itself: ``GET /api/v1/openapi.json`` is an OpenAPI 3.1 document generated from
the same declarations that validate requests, valid by an independent validator, covering every
route registered on the blueprint, readable without logging in; ``/api/docs`` renders it in Chinese.
"""

from __future__ import annotations

import re

import pytest

from auth_helpers import login
from wxpub.staff import users

PASSWORD = "correct-horse-9"


@pytest.fixture
def people(session, clock):
    for name, role in (("editor1", "editor"), ("jiaodui1", "proofreader")):
        users.create_user(session, name, PASSWORD, role, now=clock.now(), actor="测试")


def _document(client) -> dict:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    return answer.get_json()


def test_the_document_is_valid_openapi_3_1_and_readable_without_logging_in(client):
    from openapi_spec_validator import OpenAPIV31SpecValidator, validate

    doc = _document(client)
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "/api/v1", "description": "本服务器"}]
    validate(doc, cls=OpenAPIV31SpecValidator)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["csrfToken"]["in"] == "header" and schemes["csrfToken"]["name"] == "X-CSRFToken"
    assert schemes["cookieAuth"]["in"] == "cookie"
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_every_rule_of_the_blueprint_is_in_the_document(app, client):
    """A route added without declaring its schema (``wxpub.web.api_schema.operation``) fails here."""
    doc = _document(client)
    documented = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    registered = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            registered |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert registered and registered - documented == set(), "routes without a declared schema"
    assert documented - registered == set()
    assert len(registered) >= 52


def test_each_operation_says_what_it_takes_answers_and_who_may_call_it(client):
    doc = _document(client)
    paths = doc["paths"]
    cases = paths["/cases"]["get"]
    assert {p["name"] for p in cases["parameters"]} >= {"page", "per_page", "series", "chapter", "status"}
    assert cases["responses"]["200"]["content"]["application/json"]["schema"]["required"][:1] == ["cases"]
    assert set(cases["responses"]) >= {"200", "400", "401"}
    assert cases["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]

    patch = paths["/series/{series_id}"]["patch"]
    assert patch["parameters"][0] == {**patch["parameters"][0], "name": "series_id", "in": "path",
                                      "required": True}
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    schema = doc["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"name", "intro", "is_open", "comment_policy"}
    assert schema["additionalProperties"] is False
    assert {"400", "401", "403", "404", "409"} <= set(patch["responses"])
    error = patch["responses"]["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert doc["components"]["schemas"]["Error"]["required"] == ["error", "message"]
    assert {"bearerAuth": []} in patch["security"] and {"cookieAuth": [], "csrfToken": []} in patch["security"]
    assert patch["x-roles-text"] == "编辑、管理员"

    assert paths["/releases/{release_id}/hold"]["post"]["x-roles-text"] == "编辑、终审、管理员"
    assert paths["/releases/{release_id}/hold"]["post"]["requestBody"]["required"] is False
    assert set(paths["/audit"]["get"]["x-roles"]) == {"reviewer", "approver"}
    assert paths["/audit"]["get"]["x-roles-text"] == "复审、终审、管理员"
    assert paths["/openapi.json"]["get"]["security"] == []
    imports = paths["/imports"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert imports["properties"]["files"]["items"]["format"] == "binary"
    assert all(op["summary"] and op["tags"] for item in paths.values() for op in item.values())


def test_the_declared_schemas_validate_requests_with_chinese_messages(app, people):
    client, headers = login(app, "editor1", PASSWORD)
    for path, payload, words in (
            ("/api/v1/series", {"name": 3}, "字段 name 应为字符串"),
            ("/api/v1/series", {}, "缺少字段：name（系列名称）"),
            ("/api/v1/series", {"name": "甲", "chapters": ["一", 2]}, "chapters"),
            ("/api/v1/releases/1/reschedule", {"at": ["x"]}, "字段 at 应为字符串"),
            ("/api/v1/diagnose", {"rid": "x", "alert_id": 0}, "字段 alert_id 应为正整数")):
        answer = client.post(path, json=payload, headers=headers)
        assert answer.status_code == 400, (path, answer.get_json())
        assert answer.get_json()["error"] == "invalid" and words in answer.get_json()["message"], path
    for query, words in (("page=0", "参数 page 应为正整数"), ("per_page=abc", "参数 per_page 应为正整数"),
                         ("page=9999999999", "参数 page")):
        answer = client.get(f"/api/v1/releases?{query}")
        assert answer.status_code == 400 and words in answer.get_json()["message"], query
    # the answer's shape is what the document says
    doc = _document(client)
    listed = client.get("/api/v1/series").get_json()
    assert set(doc["paths"]["/series"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
               ["required"]) == set(listed)


def test_api_errors_are_always_error_and_message(app, people):
    client, headers = login(app, "editor1", PASSWORD)
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404 and unknown.get_json() == {"error": "not_found",
                                                                 "message": "没有这个接口，请检查地址。"}
    wrong = client.delete("/api/v1/cases", headers=headers)
    assert wrong.status_code == 405 and wrong.get_json()["error"] == "method_not_allowed"
    assert set(wrong.get_json()) == {"error", "message"} and "GET" in wrong.headers["Allow"]
    bad = client.post("/api/v1/series", data="{not json", headers={**headers, "Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.get_json() == {"error": "invalid", "message": "请求体不是有效的 JSON"}
    app.config["MAX_CONTENT_LENGTH"] = 1000
    big = client.post("/api/v1/series", json={"name": "x" * 5000}, headers=headers)
    assert big.status_code == 413 and big.get_json()["error"] == "too_large" and "1000 字节" in big.get_json()["message"]
    logged_out = app.test_client().get("/api/v1/series")
    assert logged_out.status_code == 401 and logged_out.get_json() == {"error": "unauthorized", "message": "请先登录"}


def test_an_unexpected_error_is_a_500_with_the_request_id(app, people, session):
    from sqlalchemy import text
    client, _ = login(app, "editor1", PASSWORD)
    session.execute(text("DROP TABLE release_plans"))  # a broken database: the one fault we can cause
    session.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = client.get("/api/v1/plans", headers={"X-Request-Id": "abc123"})
    assert answer.status_code == 500
    assert answer.get_json() == {"error": "internal", "message": "服务器内部错误，请把请求编号 abc123 告诉管理员",
                                 "request_id": "abc123"}


def test_the_reference_page_lists_every_operation_in_chinese(app, client, people):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    doc = _document(client)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert f'id="{op["operationId"]}"' in html, op["operationId"]
    for words in ("Authorization: Bearer", "X-CSRFToken", "发布", "可调用：", "请求体", "per_page"):
        assert words in html, words
    assert "<script" not in html and "style=" not in html
    assert 'href="/api/v1/openapi.json"' in html


def test_the_admin_token_page_links_to_the_reference(app, session, clock):
    users.create_user(session, "guanli1", PASSWORD, "admin", now=clock.now(), actor="测试")
    users.create_user(session, "editor2", PASSWORD, "editor", now=clock.now(), actor="测试")
    admin, _ = login(app, "guanli1", PASSWORD)
    page = admin.get("/admin/users/editor2/tokens/new")
    assert page.status_code == 200 and 'href="/api/docs"' in page.get_data(as_text=True)
