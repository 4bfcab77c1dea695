"""Security headers on every answer of the web app, no inline script anywhere, and the dashboard
working under its Content-Security-Policy in a real browser (issue 10, item 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Response

from wxpub.staff import users

from auth_helpers import login

TEMPLATES = Path(__file__).resolve().parents[2] / "wxpub" / "web" / "templates"
PASSWORD = "Zh4ngsan-2026!"
CSP = {"default-src": "'self'", "script-src": "'self'", "frame-ancestors": "'none'",
       "form-action": "'self'", "base-uri": "'none'", "object-src": "'none'"}


def _directives(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def assert_protected(answer) -> None:
    policy = answer.headers.get("Content-Security-Policy")
    assert policy, f"no Content-Security-Policy on {answer.request.path}"
    directives = _directives(policy)
    for name, value in CSP.items():
        assert directives.get(name) == value, (answer.request.path, name, policy)
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in policy
    assert answer.headers.get("X-Frame-Options") == "DENY"
    assert answer.headers.get("X-Content-Type-Options") == "nosniff"
    assert answer.headers.get("Referrer-Policy") == "same-origin"


@pytest.fixture
def staff(app, session, clock):
    users.create_user(session, "zhangsan", PASSWORD, "editor", now=clock.now(), actor="测试")
    client, _headers = login(app, "zhangsan", PASSWORD)
    return client


def test_every_kind_of_answer_carries_the_headers(app, client, staff):
    for answer in (client.get("/login"), client.get("/dashboard/"), client.get("/no-such-page"),
                   client.get("/api/v1/cases"), client.get("/wechat/callback"),
                   client.get("/static/app.css"), client.get("/static/report.js")):
        assert_protected(answer)
    for path in ("/dashboard/", "/dashboard/chapters", "/dashboard/calendar", "/dashboard/report",
                 "/dashboard/overview.json", "/preview/", "/api/v1/cases"):
        answer = staff.get(path)
        assert answer.status_code == 200, path
        assert_protected(answer)


def test_a_header_a_route_sets_itself_is_kept(app):
    stricter = "default-src 'none'; img-src 'self'; sandbox"

    @app.get("/_own-policy")
    def own_policy():
        return Response("x", headers={"Content-Security-Policy": stricter})

    answer = app.test_client().get("/_own-policy")
    assert answer.headers["Content-Security-Policy"] == stricter
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            if "src=" not in tag:
                offenders.append(f"{template.name}: {tag}")
        offenders += [f"{template.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text, flags=re.I)]
        offenders += [f"{template.name}: {m}" for m in re.findall(r"javascript:", text, flags=re.I)]
    assert offenders == []


@pytest.mark.browser
def test_dashboard_pages_raise_no_csp_violation_and_the_print_button_prints(live_server, offline_page, session,
                                                                          clock):
    from conftest import login as browser_login

    users.create_user(session, "zhangsan", PASSWORD, "editor", now=clock.now(), actor="测试")
    page = offline_page
    violations, console = [], []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script("""window.__csp = [];
        document.addEventListener('securitypolicyviolation',
          e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));""")
    browser_login(page, live_server.url, "zhangsan", PASSWORD)
    for path in ("/dashboard/", "/dashboard/chapters", "/dashboard/calendar", "/dashboard/report"):
        answer = page.goto(f"{live_server.url}{path}")
        assert answer.status == 200, path
        assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", ""), path
        page.wait_for_load_state("load")
        violations += [f"{path}: {v}" for v in page.evaluate("window.__csp")]
    assert violations == []
    assert not [text for text in console if "Content Security Policy" in text]
    # The report's print button (a script file now, not an onclick attribute) still prints.
    page.goto(f"{live_server.url}/dashboard/report?month=2026-02")
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="打印 / 存为 PDF").click()
    assert page.evaluate("window.__printed") == 1
    assert page.evaluate("window.__csp") == []
    assert page.external_requests == []
