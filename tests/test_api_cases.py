"""The curation JSON API: login required, CSRF on writes, clear errors."""

from pathlib import Path

import pytest

from wxpub.library import service as library

from wxpub.library import sources

from wxpub.staff import users

from auth_helpers import login

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"


@pytest.fixture
def logged_in(app, session, clock, sample_series):
    users.create_user(session, "editor", "correct-horse-9", "editor", now=clock.now(), actor="测试")
    library.apply_import(session, [sources.load(sources.Unit(str(SAMPLE), SAMPLE))], now=clock.now())
    return login(app, "editor", "correct-horse-9")


def test_select_score_and_order_through_the_api(logged_in):
    client, headers = logged_in
    cases = client.get("/api/v1/cases?chapter=人文环境").get_json()["cases"]
    assert [c["number"] for c in cases] == [1, 2, 3, 4, 5]
    first = cases[0]["id"]
    assert client.patch(f"/api/v1/cases/{first}", json={"status": "selected"}).status_code == 400  # no CSRF
    updated = client.patch(f"/api/v1/cases/{first}", json={"status": "selected", "score": 88},
                           headers=headers)
    assert updated.status_code == 200
    assert updated.get_json()["status"] == "selected" and updated.get_json()["score"] == 88
    bad = client.patch(f"/api/v1/cases/{first}", json={"status": "maybe"}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid" and "maybe" in bad.get_json()["message"]
    missing = client.get("/api/v1/cases/9999")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    detail = client.get(f"/api/v1/cases/{first}").get_json()
    assert detail["versions"][0]["version"] == 1
    chapter_id = client.get("/api/v1/cases?chapter=人文环境").get_json()["cases"][0]["chapter_id"]
    reordered = client.post(f"/api/v1/chapters/{chapter_id}/order", json={"case_ids": [cases[3]["id"]]}, headers=headers)
    assert reordered.status_code == 200
    assert reordered.get_json()["cases"][0]["id"] == cases[3]["id"]


def test_a_reviewer_may_read_but_not_change_the_library(app, session, clock, sample_series):
    users.create_user(session, "reviewer", "correct-horse-9", "reviewer", now=clock.now(), actor="测试")
    library.apply_import(session, [sources.load(sources.Unit(str(SAMPLE), SAMPLE))], now=clock.now())
    client, headers = login(app, "reviewer", "correct-horse-9")
    cases = client.get("/api/v1/cases").get_json()["cases"]
    refused = client.patch(f"/api/v1/cases/{cases[0]['id']}", json={"status": "selected"}, headers=headers)
    assert refused.status_code == 403 and "编辑" in refused.get_json()["message"]
