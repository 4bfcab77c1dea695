"""Every list of the JSON API comes a page at a time (``?page`` from 1, ``?per_page`` 50 by default,
at most 200) with ``page``, ``per_page`` and ``total`` beside its list key, which keeps its name and
its items' shape; and every answer the office below gets matches the schema the OpenAPI document
declares for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from auth_helpers import login
from publishing_helpers import plan_file
from review_helpers import OFFICE_PASSWORD, make_office, planned_message
from wxpub.models import Case, Series


@pytest.fixture
def office(app, runtime, tmp_path):
    """The samples imported, one chapter planned (composed: a message to review) and three more
    through the API (so a plan is stored); the editor and a reviewer (who may read the log) logged in."""
    make_office(runtime)
    message_id, release_id = planned_message(runtime, tmp_path)
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    text = plan_file(tmp_path, chapters=("政务环境", "法治环境", "人文环境"),
                     start=runtime.clock.now() + timedelta(days=5), name="more.yaml").read_text(encoding="utf-8")
    applied = client.post("/api/v1/plans", json={"yaml": text, "dry_run": False}, headers=headers)
    assert applied.status_code == 200, applied.get_json()
    with runtime.db.session() as session:
        case_id = session.scalar(select(Case.id).order_by(Case.id))
        series_id = session.scalar(select(Series.id))
    reviewer, _ = login(app, "fushen", OFFICE_PASSWORD)
    return {"client": client, "headers": headers, "reviewer": reviewer, "message": message_id,
            "release": release_id, "case": case_id, "series": series_id}


# (path, list key, the fixture client that may read it)
LISTS = [("/cases", "cases"), ("/series", "series"), ("/series/{series}/chapters", "chapters"),
         ("/releases", "releases"), ("/plans", "plans"), ("/alerts", "alerts"), ("/comments", "comments"),
         ("/cases/{case}/versions", "versions"), ("/cases/{case}/releases", "releases"),
         ("/messages/{message}/comments", "threads"), ("/audit", "entries")]


def _schema(doc: dict, path: str, method: str = "get", status: str = "200") -> Draft202012Validator:
    template = path.replace("{series}", "{series_id}").replace("{case}", "{case_id}") \
        .replace("{message}", "{message_id}").replace("{release}", "{release_id}")
    schema = doc["paths"][template][method]["responses"][status]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return Draft202012Validator(schema)


def test_every_list_is_paged_and_keeps_its_key(office):
    client = office["client"]
    doc = client.get("/api/v1/openapi.json").get_json()
    for template, key in LISTS:
        reader = office["reviewer"] if key == "entries" else client
        url = "/api/v1" + template.format(**office)
        whole = reader.get(url).get_json()
        assert (whole["page"], whole["per_page"], whole["total"]) == (1, 50, len(whole[key])), url
        _schema(doc, template).validate(whole)
        first = reader.get(url, query_string={"per_page": 1}).get_json()
        assert first[key] == whole[key][:1] and first["per_page"] == 1 and first["total"] == whole["total"], url
        second = reader.get(url, query_string={"per_page": 1, "page": 2}).get_json()
        assert second[key] == whole[key][1:2] and second["page"] == 2, url
        past = reader.get(url, query_string={"page": 99}).get_json()
        assert past[key] == [] and past["total"] == whole["total"], url
        assert reader.get(url, query_string={"per_page": 5000}).get_json()["per_page"] == 200, url
        for bad in ({"page": 0}, {"page": "二"}, {"per_page": -1}):
            refused = reader.get(url, query_string=bad)
            name = next(iter(bad))
            assert refused.status_code == 400 and refused.get_json()["error"] == "invalid", (url, bad)
            assert f"参数 {name} 应为正整数" in refused.get_json()["message"], (url, bad)
    listed = {key: client.get("/api/v1" + t.format(**office)).get_json()["total"] for t, key in LISTS[:5]}
    assert listed["cases"] >= 2 and listed["releases"] >= 2 and listed["chapters"] >= 2 and listed["plans"] >= 1


def test_every_answer_matches_its_declared_schema(office):
    client, headers = office["client"], office["headers"]
    doc = client.get("/api/v1/openapi.json").get_json()
    reads = ["/cases/{case}", "/cases/{case}/content", "/series/{series}", "/releases/{release}",
             "/messages/{message}/reviews", "/csrf-token"]
    for template in reads:
        answer = client.get("/api/v1" + template.format(**office))
        assert answer.status_code == 200, template
        _schema(doc, template).validate(answer.get_json())
    chapter = client.get(f"/api/v1/series/{office['series']}/chapters").get_json()["chapters"][0]["id"]
    settings = client.get(f"/api/v1/chapters/{chapter}/settings").get_json()
    _schema(doc, "/chapters/{chapter_id}/settings").validate(settings)
    plan = client.get("/api/v1/plans").get_json()["plans"][0]["id"]
    _schema(doc, "/plans/{plan_id}").validate(client.get(f"/api/v1/plans/{plan}").get_json())
    planned = next(r["id"] for r in client.get("/api/v1/releases").get_json()["releases"] if r["state"] == "planned")
    canceled = client.post(f"/api/v1/releases/{planned}/cancel", headers=headers)
    assert canceled.status_code == 200 and canceled.get_json()["state"] == "canceled"
    _schema(doc, "/releases/{release_id}/cancel", "post").validate(canceled.get_json())
    series = client.post("/api/v1/series", json={"name": "新系列", "chapters": ["一", "二"]}, headers=headers)
    assert series.status_code == 201
    _schema(doc, "/series", "post", "201").validate(series.get_json())
    missing = client.get("/api/v1/releases/999999")
    _schema(doc, "/releases/{release}", "get", "404").validate(missing.get_json())
