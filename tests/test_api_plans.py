"""POST /api/v1/plans: the dry run (calendar, errors with their YAML lines, warnings) and the apply
(editors and approvers, CSRF, nothing written when the plan has errors); GET the stored plans."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from auth_helpers import login
from publishing_helpers import SERIES, import_samples
from review_helpers import OFFICE_PASSWORD, make_office
from wxpub.models import Release
from wxpub.models.plans import ReleasePlan


def _yaml(rt, *, days: int = 3, extra: str = "", chapters=("市场环境", "政务环境", "法治环境")) -> str:
    start = (rt.clock.now() + timedelta(days=days)).astimezone(rt.settings.tz)
    lines = "".join(f"  - {c}\n" for c in chapters)
    return (f"# 注释\nseries: {SERIES}\naccount: 新政服\nmode: publish\nstart: {start:%Y-%m-%dT09:00}\n"
            f"interval: 1d\n{extra}chapters:\n{lines}")


@pytest.fixture
def office(app, runtime):
    make_office(runtime)
    import_samples(runtime)
    return runtime


def _post(client, headers, body):
    return client.post("/api/v1/plans", json=body, headers=headers)


def test_a_dry_run_gives_the_calendar_and_writes_nothing(app, office):
    client, headers = login(app, "jiaodui", OFFICE_PASSWORD)  # a proofreader may check
    answer = _post(client, headers, {"yaml": _yaml(office), "dry_run": True})
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["errors"] == []
    assert [(r["chapter"], r["at"], r["mode"]) for r in data["calendar"]] == [
        ("市场环境", "2026-03-05T09:00:00+08:00", "publish"), ("政务环境", "2026-03-06T09:00:00+08:00", "publish"),
        ("法治环境", "2026-03-07T09:00:00+08:00", "publish")]
    assert data["calendar"][0]["title"] == f"市场环境篇丨{SERIES}"
    assert all(r["skipped"] is False for r in data["calendar"])
    # 2026-03-07 is a Saturday and the plan does not keep to workdays: a warning, with its line.
    assert any("周六" in w["message"] or "周末" in w["message"] for w in data["warnings"])
    with office.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Release)) == 0
        assert session.scalar(select(func.count()).select_from(ReleasePlan)) == 0


def test_errors_come_with_their_yaml_lines(app, office):
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    typo = _post(client, headers, {"yaml": _yaml(office, extra="workday_only: true\n"), "dry_run": True}).get_json()
    assert typo["calendar"] == []
    [error] = typo["errors"]
    assert error["line"] == 7 and "workdays_only" in error["message"]
    past = _post(client, headers, {"yaml": _yaml(office, days=-2), "dry_run": True}).get_json()
    assert past["calendar"] and past["errors"]
    assert {e["line"] for e in past["errors"] if "已经过去" in e["message"]} == {8, 9, 10}
    unknown = _post(client, headers, {"yaml": _yaml(office, chapters=("市场环境", "没有的篇章")),
                                      "dry_run": True}).get_json()
    assert any(e["line"] == 9 and "没有的篇章" in e["message"] for e in unknown["errors"])


def test_apply_creates_the_releases_stores_the_plan_and_is_idempotent(app, office):
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    text = _yaml(office)
    answer = _post(client, headers, {"yaml": text, "dry_run": False})
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    assert len(data["applied"]["created"]) == 3 and data["applied"]["moved"] == []
    assert [r["chapter"] for r in data["releases"]] == ["市场环境", "政务环境", "法治环境"]
    assert {r["id"] for r in data["releases"]} == set(data["applied"]["created"])
    again = _post(client, headers, {"yaml": text, "dry_run": False}).get_json()
    assert again["applied"]["created"] == [] and sorted(again["applied"]["unchanged"]) == sorted(data["applied"]["created"])
    plans = client.get("/api/v1/plans").get_json()["plans"]
    assert [(p["series"], p["account"], p["updated_by"]) for p in plans] == [(SERIES, "新政服", "bianji")]
    assert client.get(f"/api/v1/plans/{plans[0]['id']}").get_json()["yaml"] == text


def test_a_published_chapter_is_skipped_on_the_next_dry_run(app, office):
    client, headers = login(app, "zhongshen", OFFICE_PASSWORD)  # an approver may apply
    created = _post(client, headers, {"yaml": _yaml(office), "dry_run": False}).get_json()["applied"]["created"]
    with office.db.session() as session:
        session.execute(update(Release).where(Release.id == created[0])
                        .values(state="published", published_at=office.clock.now()))
        session.commit()
    data = _post(client, headers, {"yaml": _yaml(office), "dry_run": True}).get_json()
    first = data["calendar"][0]
    assert first["skipped"] is True and first["skip_note"] == "已发布，跳过" and "已发布，跳过" in first["notes"]
    applied = _post(client, headers, {"yaml": _yaml(office), "dry_run": False}).get_json()["applied"]
    assert applied["skipped"] == [created[0]]


def test_a_plan_with_errors_is_400_and_writes_nothing(app, office):
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    answer = _post(client, headers, {"yaml": _yaml(office, days=-2), "dry_run": False})
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"] == "plan_invalid" and body["errors"] and all("message" in e for e in body["errors"])
    with office.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Release)) == 0
        assert session.scalar(select(func.count()).select_from(ReleasePlan)) == 0


def test_roles_csrf_and_bad_fields(app, office):
    reader, headers = login(app, "jiaodui", OFFICE_PASSWORD)
    refused = _post(reader, headers, {"yaml": _yaml(office), "dry_run": False})
    assert refused.status_code == 403 and "不能应用发布计划" in refused.get_json()["message"]
    editor, headers = login(app, "bianji", OFFICE_PASSWORD)
    assert editor.post("/api/v1/plans", json={"yaml": _yaml(office), "dry_run": False}).status_code == 400  # no CSRF
    for body, named in (({"dry_run": True}, "yaml"), ({"yaml": 3}, "yaml"), ({"yaml": "a: 1", "dry_run": "yes"}, "dry_run"),
                        ({"yaml": "a: 1", "extra": 1}, "extra")):
        answer = _post(editor, headers, body)
        assert answer.status_code == 400 and named in answer.get_json()["message"], body
    with office.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Release)) == 0
    assert app.test_client().get("/api/v1/plans").status_code == 401


def test_the_form_fields_stand_for_the_yaml_and_an_unchanged_form_for_its_source(app, office):
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    text = _yaml(office)
    start = (office.clock.now() + timedelta(days=3)).astimezone(office.settings.tz)
    form = {"series": SERIES, "account": "新政服", "account_type": "subscription", "mode": "publish",
            "start_date": f"{start:%Y-%m-%d}", "start_time": "09:00", "repeat": "interval", "interval": "1d",
            "workdays_only": False, "chapters": [{"name": c} for c in ("市场环境", "政务环境", "法治环境")]}
    same = _post(client, headers, {"form": form, "source_yaml": text, "dry_run": True}).get_json()
    assert same["yaml"] == text and same["errors"] == []
    changed = _post(client, headers, {"form": {**form, "mode": "mass_send"}, "source_yaml": text,
                                      "dry_run": True}).get_json()
    assert "mode: mass_send" in changed["yaml"] and "# 注释" not in changed["yaml"]
    assert {r["mode"] for r in changed["calendar"]} == {"mass_send"}
    # 订阅号: one 群发 a day — three days in a row are fine; two chapters on one day are not.
    crowded = {**form, "mode": "mass_send", "chapters": form["chapters"][:2] + [
        {"name": "法治环境", "at_date": f"{start:%Y-%m-%d}", "at_time": "15:00"}]}
    errors = _post(client, headers, {"form": crowded, "dry_run": True}).get_json()["errors"]
    assert any("群发" in e["message"] for e in errors)
    bad = _post(client, headers, {"form": {**form, "blackout": "下周一"}, "dry_run": True}).get_json()
    assert bad["errors"][0]["field"] == "blackout" and "停发日期第 1 行" in bad["errors"][0]["message"]


def test_a_plan_from_the_browser_may_name_only_a_holiday_file_of_schedules(app, office):
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    for path in ("../../etc/passwd", "/etc/passwd", "sub/holidays.yaml"):
        data = _post(client, headers, {"yaml": _yaml(office, extra=f"holidays_file: {path}\n"),
                                       "dry_run": True}).get_json()
        assert data["calendar"] == [] and "只能写 schedules/ 目录中的文件名" in data["errors"][0]["message"], path
    known = _post(client, headers, {"yaml": _yaml(office, extra="holidays_file: holidays-2027.example.yaml\n"),
                                    "dry_run": True}).get_json()
    assert known["errors"] == [] and known["calendar"]
    missing = _post(client, headers, {"yaml": _yaml(office, extra="holidays_file: holidays-2031.yaml\n"),
                                      "dry_run": True}).get_json()
    assert "找不到节假日文件" in missing["errors"][0]["message"]
