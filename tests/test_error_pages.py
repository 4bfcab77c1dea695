"""Error answers: Chinese HTML pages for staff, JSON for the API, and a request id an admin can find
in the log."""

from __future__ import annotations

import logging
import re

import pytest

from wxpub.core.errors import NotFound
from wxpub.staff import users

from auth_helpers import login

SECRET_DETAIL = "boom: connection string postgresql://admin:hunter2@db"


@pytest.fixture
def failing_app(app):
    """The test app with routes that fail the ways views fail."""

    @app.get("/test/crash")
    def crash():
        raise RuntimeError(SECRET_DETAIL)

    @app.get("/test/missing-case")
    def missing_case():
        raise NotFound("没有编号为 9 的案例")

    @app.get("/api/v1/test-crash")
    def api_crash():
        raise RuntimeError(SECRET_DETAIL)

    return app


@pytest.fixture
def api_client(app, session, clock):
    """A client logged in as an editor (the API wants a login) and the headers its writes need."""
    users.create_user(session, "editor", "correct-horse-9", "editor", now=clock.now(), actor="测试")
    return login(app, "editor", "correct-horse-9")


def _page_text(response) -> str:
    return re.sub(r"<style>.*?</style>", "", response.get_data(as_text=True), flags=re.S)


def test_unknown_page_is_a_chinese_404_page_with_the_way_home(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = _page_text(response)
    assert '<html lang="zh-CN">' in html
    assert "页面不存在" in html and "请检查地址是否输入正确" in html
    assert 'href="/"' in html and "返回首页" in html
    assert "Not Found" not in html and "The requested URL" not in html
    assert 'name="viewport"' in html and "https://" not in html  # phone width, nothing from a CDN
    assert re.fullmatch(r"[0-9a-f]{12}", response.headers["X-Request-Id"])


def test_wrong_method_on_a_page_is_a_chinese_405_page(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert "不支持这种访问方式" in _page_text(response)
    assert "GET" in response.headers["Allow"]


def test_unknown_api_route_answers_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "没有这个接口，请检查地址。"}


def test_wrong_method_on_an_api_route_answers_json_405(client):
    response = client.delete("/api/v1/cases")
    assert response.status_code == 405
    body = response.get_json()
    assert body["error"] == "method_not_allowed" and "请求方式" in body["message"]
    assert "GET" in response.headers["Allow"]


def test_unexpected_error_shows_a_500_page_with_the_request_id_of_the_log(failing_app, caplog):
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR, logger="wxpub.web"):
        response = client.get("/test/crash")
    assert response.status_code == 500
    html = _page_text(response)
    rid = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{12}", rid)
    assert "服务器出错了" in html and f"<code>{rid}</code>" in html and "返回首页" in html
    assert "boom" not in html and "hunter2" not in html and "Traceback" not in html
    assert "RuntimeError" not in html
    logged = [r for r in caplog.records if r.name == "wxpub.web" and rid in r.getMessage()]
    assert logged, "the request id is not in the log"
    assert logged[0].exc_info is not None and SECRET_DETAIL in str(logged[0].exc_info[1])


def test_a_safe_incoming_request_id_is_kept_and_an_unsafe_one_replaced(failing_app, caplog):
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR, logger="wxpub.web"):
        kept = client.get("/test/crash", headers={"X-Request-Id": "lb-7f3a9c"})
    assert kept.headers["X-Request-Id"] == "lb-7f3a9c"
    assert "<code>lb-7f3a9c</code>" in _page_text(kept)
    assert any("lb-7f3a9c" in r.getMessage() for r in caplog.records)
    replaced = client.get("/no/such/page", headers={"X-Request-Id": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{12}", replaced.headers["X-Request-Id"])
    assert "<script>alert" not in replaced.get_data(as_text=True)


def test_ordinary_responses_carry_a_request_id_too(client):
    first, second = client.get("/login"), client.get("/login")
    assert first.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{12}", first.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_unexpected_error_under_the_api_answers_json_with_the_request_id(failing_app, api_client, caplog):
    client, _headers = api_client
    with caplog.at_level(logging.ERROR, logger="wxpub.web"):
        response = client.get("/api/v1/test-crash")
    assert response.status_code == 500
    body = response.get_json()
    rid = response.headers["X-Request-Id"]
    assert body == {"error": "internal", "message": f"服务器内部错误，请把请求编号 {rid} 告诉管理员",
                    "request_id": rid}
    assert any(rid in r.getMessage() for r in caplog.records if r.name == "wxpub.web")


def test_expected_error_in_a_page_shows_its_own_message_and_status(failing_app):
    response = failing_app.test_client().get("/test/missing-case")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = _page_text(response)
    assert "没有编号为 9 的案例" in html and "返回首页" in html


def test_expected_error_under_the_api_stays_json(api_client):
    client, _headers = api_client
    response = client.get("/api/v1/cases/9999")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "not_found" and body["message"]


def test_missing_csrf_token_on_a_form_is_explained_in_chinese(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/login", data={"username": "editor", "password": "correct-horse-9"})
    assert response.status_code == 400
    html = _page_text(response)
    assert "请刷新页面后重新提交" in html and "CSRF token" not in html


def test_too_large_upload_is_a_chinese_413_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post("/login", data={"username": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    html = _page_text(response)
    assert "上传的内容太大" in html and "上限 1 MB" in html


def test_too_large_api_body_answers_json_413(app, api_client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    client, headers = api_client
    response = client.post("/api/v1/chapters/1/order", data=b'{"case_ids": [' + b"1," * 4096 + b"1]}",
                           headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 413
    body = response.get_json()
    assert body == {"error": "too_large", "message": "上传的文件或提交的内容超过了允许的大小（上限 1 KB）。"}


@pytest.mark.browser
def test_error_page_fits_a_phone_and_needs_no_network(failing_app, live_server, offline_page):
    offline_page.set_viewport_size({"width": 375, "height": 700})
    for path, heading in (("/no/such/page", "页面不存在"), ("/test/crash", "服务器出错了")):
        offline_page.goto(f"{live_server.url}{path}")
        assert offline_page.inner_text("h1") == heading
        assert offline_page.evaluate("document.documentElement.scrollWidth") <= 375
        home = offline_page.locator("a", has_text="返回首页")
        assert home.is_visible() and home.bounding_box()["x"] + home.bounding_box()["width"] <= 375
    assert offline_page.external_requests == []
