"""The composer's JSON API: settings GET/PUT and POST /api/v1/chapters/<id>/compose (login + CSRF)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from wxpub.core.content import ImportResult
from wxpub.core.render.samples import INTRO, sample_chapter
from wxpub.library import service as library
from wxpub.models import Chapter, Message
from wxpub.staff import users

from auth_helpers import login
from library_helpers import make_series

PASSWORD = "Zh4ngsan-2026!"


def _import(runtime, cases) -> int:
    make_series(runtime, intro=INTRO)
    with runtime.db.session() as session:
        library.apply_import(session, [ImportResult(cases=tuple(cases))], now=runtime.clock.now(),
                             actor="测试")
        return session.scalar(select(Chapter.id).where(Chapter.name == "人文环境"))


@pytest.fixture
def api(app, runtime):
    with runtime.db.session() as s:
        users.create_user(s, "zhangsan", PASSWORD, "editor", now=runtime.clock.now(), actor="测试")
    return login(app, "zhangsan", PASSWORD)


ARTICLE_KEYS = {"index", "title", "digest", "chars", "sha256", "case_ids"}
FINDING_KEYS = {"rule", "severity", "message", "text", "location", "article", "case", "paragraph", "field"}


def test_compose_answers_the_version_its_articles_and_findings(api, runtime):
    client, headers = api
    chapter_id = _import(runtime, sample_chapter(10).cases)
    answer = client.post(f"/api/v1/chapters/{chapter_id}/compose", headers=headers)
    assert answer.status_code == 200
    data = answer.get_json()
    assert {"message_id", "version_hash", "articles", "findings", "installments", "version"} <= set(data)
    assert data["version"] == 1 and data["created"] is True and len(data["version_hash"]) == 64
    assert [a["index"] for a in data["articles"]] == [1, 2]
    assert all(ARTICLE_KEYS <= set(a) for a in data["articles"])
    assert data["articles"][0]["title"] == "人文环境篇（上）丨2023年度滨海新区优化营商环境创新实践案例"
    with runtime.db.session() as s:
        ids = [r.id for r in sorted(s.get(Chapter, chapter_id).cases, key=lambda r: r.position)]
    assert data["articles"][0]["case_ids"] + data["articles"][1]["case_ids"] == ids
    assert data["findings"] and all(FINDING_KEYS <= set(f) for f in data["findings"])
    assert any(f["rule"] == "punct.halfwidth" and f["case"] == 1 for f in data["findings"])
    assert data["installments"] == [{"message_id": data["message_id"], "part": 1, "version": 1,
                                      "version_hash": data["version_hash"], "created": True,
                                      "version_id": data["installments"][0]["version_id"],
                                      "created_at": "2026-03-02T01:00:00+00:00", "articles": 2}]
    again = client.post(f"/api/v1/chapters/{chapter_id}/compose", json={}, headers=headers).get_json()
    assert again["version"] == 1 and again["created"] is False
    assert again["version_hash"] == data["version_hash"]


def test_a_body_applies_to_this_composition_only(api, runtime):
    client, headers = api
    chapter_id = _import(runtime, sample_chapter(3).cases)
    body = {"title_template": "{chapter}专题{part}", "theme": "简约蓝", "editors": ["张三", "李四"],
            "intro": "只在这一次使用的导语。"}
    data = client.post(f"/api/v1/chapters/{chapter_id}/compose", json=body, headers=headers).get_json()
    assert data["articles"][0]["title"] == "人文环境专题"
    settings = client.get(f"/api/v1/chapters/{chapter_id}/settings").get_json()
    assert settings["title_template"] == "{chapter}篇丨{series}" and settings["theme"] == "政务红"
    assert settings["intro"] == [] and settings["intro_used"] == list(INTRO)
    with runtime.db.session() as s:
        message = s.scalar(select(Message))
        html = message.current_version.articles[0].html
        assert message.options["theme"] == "简约蓝" and message.options["intro"] == ["只在这一次使用的导语。"]
    assert "只在这一次使用的导语。" in html and "编辑：张三、李四" in html


def test_settings_are_read_and_saved_with_errors_that_name_the_field(api, runtime):
    client, headers = api
    chapter_id = _import(runtime, sample_chapter(2).cases)
    url = f"/api/v1/chapters/{chapter_id}/settings"
    shown = client.get(url).get_json()
    assert shown["themes"] == ["政务红", "政务红·署名", "简约蓝"] and shown["covers"] == ["series", "chapter", "generated"]
    assert set(shown["placeholders"]) == {"chapter", "series", "part"}
    assert shown["intro_default"] == list(INTRO)
    assert client.put(url, json={"theme": "简约蓝"}).status_code == 400  # no CSRF token
    saved = client.put(url, json={"theme": "简约蓝", "editors": "王五、赵六", "author": "新政服"},
                       headers=headers)
    assert saved.status_code == 200
    assert saved.get_json()["theme"] == "简约蓝" and saved.get_json()["editors"] == ["王五", "赵六"]
    assert client.get(url).get_json()["title_template"] == "{chapter}篇丨{series}"  # the others stay
    for body, words in [({"title_template": "{章节}篇"}, ("占位符", "{章节}", "未知")),
                        ({"title_template": "{chapter!r}"}, ("格式说明",)),
                        ({"title_template": "x" * 61}, ("标题模板最多 60 个字",)),
                        ({"theme": "粉红"}, ("主题“粉红”不存在", "政务红")),
                        ({"cover": "chapter"}, ("还没有上传本篇的封面",)),
                        ({"author": "作" * 17}, ("作者最多 16 个字",)),
                        ({"colour": "red"}, ("不认识的设置：colour",))]:
        refused = client.put(url, json=body, headers=headers)
        assert refused.status_code == 400 and refused.get_json()["error"] == "invalid", body
        assert all(w in refused.get_json()["message"] for w in words), refused.get_json()["message"]
    bad = client.post(f"/api/v1/chapters/{chapter_id}/compose", json={"theme": "粉红"}, headers=headers)
    assert bad.status_code == 400 and "粉红" in bad.get_json()["message"]
    assert client.post("/api/v1/chapters/999/compose", headers=headers).status_code == 404
    assert client.get("/api/v1/chapters/999/settings").status_code == 404


def test_a_chapter_of_more_than_eight_articles_answers_every_installment(api, runtime):
    client, headers = api
    ten = sample_chapter(10).cases
    cases = [replace(c, number=n + 1, title=f"{c.title}（第{n // 10 + 1}组）")
             for n, c in enumerate(ten * 9)]
    chapter_id = _import(runtime, cases)
    data = client.post(f"/api/v1/chapters/{chapter_id}/compose", headers=headers).get_json()
    parts = data["installments"]
    assert len(parts) >= 2 and [p["part"] for p in parts] == list(range(1, len(parts) + 1))
    assert (data["message_id"], data["version_hash"]) == (parts[0]["message_id"], parts[0]["version_hash"])
    assert len({p["message_id"] for p in parts}) == len(parts)
    assert sum(p["articles"] for p in parts) == len(data["articles"]) > 8
    assert {a["part"] for a in data["articles"]} == {p["part"] for p in parts}
    page = client.get(f"/chapters/{chapter_id}/compose").get_data(as_text=True)
    assert f"分 <b>{len(parts)} 期消息</b>" in page and "第 2 期消息" in page
    assert 'id="m2-a1"' in page and 'id="m2-a1-c' in page  # the second message's anchors
