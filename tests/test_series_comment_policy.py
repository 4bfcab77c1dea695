"""A series' 留言 setting (who may comment on its articles): everyone by default; an editor (or an
admin) chooses 所有人可留言 / 仅关注者可留言 / 不开放留言 on the series page or through the API;
one audit row ``series.comment_policy``; the list and the page show it; others may not change it."""

from __future__ import annotations

from sqlalchemy import select

from auth_helpers import login
from conftest import EDITOR_PASSWORD
from test_library_pages import flashes, post, soup
from wxpub.models import AuditEntry, Series
from wxpub.staff import users

NAME = "2024年度滨海新区优化营商环境创新实践案例展示"
OTHER_PASSWORD = "Revi3wer-2026!"


def _row(session) -> Series:
    session.expire_all()
    return session.scalar(select(Series).where(Series.name == NAME))


def _audits(session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "series.comment_policy")
                                .order_by(AuditEntry.id)))


def test_a_new_series_lets_everyone_comment_and_the_page_explains_the_choice(editor_client, session):
    post(editor_client, "/series", "/series", {"name": NAME, "chapters": "市场环境", "intro": ""})
    row = _row(session)
    assert row.comment_policy == "everyone"
    page = soup(editor_client, f"/series/{row.id}")
    text = " ".join(page.get_text(" ").split())
    assert "留言 所有人可留言" in text
    assert "文章发布时是否打开留言，以及谁可以留言；不开放留言时读者无法互动，检查时可能被视为缺少互动渠道" in text
    radios = page.select("#comments input[type=radio][name=policy]")
    assert [r["value"] for r in radios] == ["everyone", "followers", "closed"]
    assert [page.find("label", attrs={"for": r["id"]}).get_text(strip=True) for r in radios] == \
        ["所有人可留言", "仅关注者可留言", "不开放留言"]
    assert [r.has_attr("checked") for r in radios] == [True, False, False]
    assert page.select_one("#comments fieldset legend").get_text(strip=True) == "留言"
    listing = " ".join(soup(editor_client, "/series").select_one("table.series-table tbody tr").get_text(" ").split())
    assert "所有人可留言" in listing


def test_an_editor_chooses_followers_only_then_closed(editor_client, session):
    post(editor_client, "/series", "/series", {"name": NAME, "chapters": "市场环境", "intro": ""})
    row = _row(session)
    answer = post(editor_client, f"/series/{row.id}/comments", f"/series/{row.id}", {"policy": "followers"})
    assert answer.status_code == 302
    page = soup(editor_client, f"/series/{row.id}")
    assert "留言设置：仅关注者可留言" in flashes(page)
    assert page.select_one("#policy-followers").has_attr("checked")
    assert _row(session).comment_policy == "followers"
    post(editor_client, f"/series/{row.id}/comments", f"/series/{row.id}", {"policy": "closed"})
    assert _row(session).comment_policy == "closed"
    assert "不开放留言" in soup(editor_client, "/series").select_one("table.series-table tbody tr").get_text()
    audits = _audits(session)
    assert [(a.actor, a.object_type, a.object_id, a.detail["from"], a.detail["to"]) for a in audits] == [
        ("zhangsan", "series", str(row.id), "everyone", "followers"),
        ("zhangsan", "series", str(row.id), "followers", "closed")]


def test_a_bad_choice_is_refused_in_chinese_and_nothing_changes(editor_client, session):
    post(editor_client, "/series", "/series", {"name": NAME, "chapters": "市场环境", "intro": ""})
    row = _row(session)
    answer = post(editor_client, f"/series/{row.id}/comments", f"/series/{row.id}", {"policy": "fans"})
    assert answer.status_code == 400
    assert "留言设置无效" in answer.get_data(as_text=True) and "仅关注者可留言" in answer.get_data(as_text=True)
    assert _row(session).comment_policy == "everyone" and _audits(session) == []


def test_the_api_shows_and_changes_the_policy(app, session, clock):
    users.create_user(session, "zhangsan", EDITOR_PASSWORD, "editor", now=clock.now(), actor="测试")
    client, headers = login(app, "zhangsan", EDITOR_PASSWORD)
    created = client.post("/api/v1/series", json={"name": NAME}, headers=headers).get_json()
    assert created["comment_policy"] == "everyone" and created["comment_policy_name"] == "所有人可留言"
    patched = client.patch(f"/api/v1/series/{created['id']}", json={"comment_policy": "followers"}, headers=headers)
    assert patched.status_code == 200 and patched.get_json()["comment_policy"] == "followers"
    assert client.get(f"/api/v1/series/{created['id']}").get_json()["comment_policy_name"] == "仅关注者可留言"
    bad = client.patch(f"/api/v1/series/{created['id']}", json={"comment_policy": "fans"}, headers=headers)
    assert bad.status_code == 400 and "留言设置无效" in bad.get_json()["message"]
    both = client.patch(f"/api/v1/series/{created['id']}", json={"intro": "一段", "comment_policy": "closed"},
                        headers=headers).get_json()
    assert both["comment_policy"] == "closed" and both["intro"] == ["一段"]
    assert [a.detail["to"] for a in _audits(session)] == ["followers", "closed"]


def test_reviewers_see_the_policy_but_cannot_change_it(app, editor_client, session, clock):
    post(editor_client, "/series", "/series", {"name": NAME, "chapters": "市场环境", "intro": ""})
    row = _row(session)
    users.create_user(session, "lisi", OTHER_PASSWORD, "reviewer", now=clock.now(), actor="测试")
    reviewer, headers = login(app, "lisi", OTHER_PASSWORD)
    page = soup(reviewer, f"/series/{row.id}")
    assert "所有人可留言" in page.get_text() and page.select("#comments form") == []
    assert post(reviewer, f"/series/{row.id}/comments", f"/series/{row.id}", {"policy": "closed"}).status_code == 403
    api = reviewer.patch(f"/api/v1/series/{row.id}", json={"comment_policy": "closed"}, headers=headers)
    assert api.status_code == 403
    assert _row(session).comment_policy == "everyone" and _audits(session) == []
