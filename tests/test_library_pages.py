"""The case library (``/library``) with the Flask test client, as an editor uses it: chapters as tabs
with their counts, each case with state, score, order, unit and latest version; bulk 入选 / 淘汰 /
恢复待定 in one transaction; ↑/↓ and the drag-and-drop endpoint; filter, search and paging done in
the database (a constant number of queries however many cases); reviewers look but cannot change."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event, func, select

from auth_helpers import login
from library_helpers import make_series
from publishing_helpers import SERIES, import_samples
from wxpub.core.content import CaseContent, ImportResult
from wxpub.library import service
from wxpub.models import AuditEntry, Case, Chapter, Series
from wxpub.staff import users

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
REVIEWER_PASSWORD = "Revi3wer-2026!"


def add_cases(runtime, series: str, chapter: str, titles, *, units=None) -> list[int]:
    """Import cases numbered 1, 2, 3 … into an existing series and chapter (through the service);
    returns their ids in order."""
    cases = [CaseContent(series=series, chapter=chapter, number=n, title=title,
                         unit=(units[n - 1] if units else f"单位{n}"), lead=(f"{title}的导语。",))
             for n, title in enumerate(titles, start=1)]
    with runtime.db.session() as session:
        report = service.apply_import(session, [ImportResult(cases=tuple(cases))],
                                      now=runtime.clock.now(), actor="测试")
        return [o.case_id for o in report.outcomes]


def token(page: str) -> str:
    return TOKEN.search(page).group(1)


def post(client, path: str, page_path: str, data: dict, **kwargs):
    """Submit a form of ``page_path`` as a browser would (with the page's CSRF token)."""
    page = client.get(page_path).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": token(page)}, **kwargs)


def soup(client, path: str) -> BeautifulSoup:
    answer = client.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return BeautifulSoup(answer.get_data(as_text=True), "html.parser")


def rows(page: BeautifulSoup) -> list[dict]:
    """The case rows as a person reads them: {label: text}."""
    found = []
    for tr in page.select("table.cases tbody tr"):
        found.append({td["data-label"]: " ".join(td.get_text(" ").split())
                      for td in tr.select("td[data-label]")} | {"id": int(tr["data-case-id"])})
    return found


def flashes(page: BeautifulSoup) -> str:
    return " ".join(p.get_text() for p in page.select(".flash"))


def chapter_id(session, name: str) -> int:
    return session.scalar(select(Chapter.id).join(Series).where(Series.name == SERIES,
                                                                Chapter.name == name))


@pytest.fixture
def samples(runtime):
    import_samples(runtime)


def test_the_library_shows_every_case_with_its_chapter_counts(editor_client, samples, session):
    page = soup(editor_client, "/library")
    assert SERIES in page.select_one(".series-line").get_text()
    tabs = [" ".join(a.get_text(" ").split()) for a in page.select("nav.tabs a")]
    assert tabs[0].startswith("全部篇章 12")
    assert [t.split()[0] for t in tabs[1:]] == ["市场环境", "政务环境", "法治环境", "人文环境"]
    assert "人文环境 5 入选 0 · 待定 5 · 淘汰 0" in tabs
    listed = rows(page)
    assert len(listed) == 12
    first = listed[0]
    assert first["篇章"] == "市场环境" and first["编号"] == "01" and first["顺序"] == "1"
    assert first["报送单位"] == "区市场监管局（示例）" and first["状态"] == "待定"
    assert first["最新版本"] == "v1 2026-03-02 09:00"  # Beijing time of the import (01:00 UTC)
    link = page.select_one("table.cases tbody tr td.title a")
    assert link["href"] == f"/library/cases/{first['id']}"  # the case editor


def test_every_field_has_a_label_and_ids_are_unique(editor_client, samples, session):
    page = soup(editor_client, f"/library?chapter={chapter_id(session, '人文环境')}")
    fields = [f for f in page.select("main input, main select, main textarea") if f.get("type") != "hidden"]
    assert fields
    for field in fields:
        labelled = field.find_parent("label") is not None or (
            field.get("id") and page.find("label", attrs={"for": field["id"]}) is not None)
        assert labelled, f"no label for {field}"
    ids = [f["id"] for f in page.select("[id]")]
    assert len(ids) == len(set(ids))


def test_bulk_select_then_reject_then_reset_in_one_transaction_each(editor_client, samples, session):
    ids = [r["id"] for r in rows(soup(editor_client, "/library"))]
    back = "/library?status=pending"
    answer = post(editor_client, "/library/status", "/library",
                  {"case_id": [str(ids[0]), str(ids[2])], "status": "selected", "back": back})
    assert answer.status_code == 302 and answer.headers["Location"] == back
    page = soup(editor_client, "/library")
    assert "已将 2 个案例设为“入选”" in flashes(page)
    assert {r["id"]: r["状态"] for r in rows(page)}[ids[0]] == "入选"
    assert "全部篇章 12 入选 2 · 待定 10 · 淘汰 0" in " ".join(page.select_one("nav.tabs").get_text(" ").split())
    bulk = session.scalars(select(AuditEntry).where(AuditEntry.action == "case.bulk_selected")).all()
    assert len(bulk) == 1 and bulk[0].detail["case_ids"] == [ids[0], ids[2]] and bulk[0].actor == "zhangsan"

    post(editor_client, "/library/status", "/library", {"case_id": [str(ids[0])], "status": "rejected"})
    post(editor_client, "/library/status", "/library", {"case_id": [str(ids[2])], "status": "pending"})
    session.expire_all()
    assert session.get(Case, ids[0]).status == "rejected" and session.get(Case, ids[2]).status == "pending"


def test_a_bulk_action_with_an_unknown_case_changes_nothing(editor_client, samples, session):
    ids = [r["id"] for r in rows(soup(editor_client, "/library"))]
    post(editor_client, "/library/status", "/library",
         {"case_id": [str(ids[0]), "999999"], "status": "selected"})
    page = soup(editor_client, "/library")
    assert "没有这些编号的案例：999999" in flashes(page)
    session.expire_all()
    assert session.get(Case, ids[0]).status == "pending"
    post(editor_client, "/library/status", "/library", {"status": "selected"})
    assert "没有勾选案例" in flashes(soup(editor_client, "/library"))


def test_move_a_case_down_and_up_with_the_buttons(editor_client, samples, session):
    renwen = chapter_id(session, "人文环境")
    view = f"/library?chapter={renwen}"
    before = rows(soup(editor_client, view))
    assert [r["顺序"] for r in before] == ["1", "2", "3", "4", "5"]
    page = soup(editor_client, view)
    assert page.select("table.cases tbody tr")[0].select_one("button.up").has_attr("disabled")
    assert page.select("table.cases tbody tr")[-1].select_one("button.down").has_attr("disabled")
    answer = post(editor_client, "/library/move", view, {"move": f"{before[0]['id']}:down", "back": view})
    assert answer.headers["Location"] == f"{view}#case-{before[0]['id']}"
    after = soup(editor_client, view)
    assert [r["id"] for r in rows(after)][:2] == [before[1]["id"], before[0]["id"]]
    assert "下移到第 2 位" in flashes(after)
    post(editor_client, "/library/move", view, {"move": f"{before[0]['id']}:up"})
    assert [r["id"] for r in rows(soup(editor_client, view))] == [r["id"] for r in before]
    post(editor_client, "/library/move", view, {"move": f"{before[0]['id']}:up"})
    assert "已经在篇章“人文环境”的最前" in flashes(soup(editor_client, view))


def test_drag_and_drop_saves_the_order_of_the_rows_shown(editor_client, samples, session):
    renwen = chapter_id(session, "人文环境")
    view = f"/library?chapter={renwen}"
    ids = [r["id"] for r in rows(soup(editor_client, view))]
    dragged = [ids[1], ids[2], ids[0], ids[3], ids[4]]  # the first row dropped onto the third
    answer = post(editor_client, "/library/order", view,
                  {"chapter": str(renwen), "case_ids": [str(i) for i in dragged]},
                  headers={"X-Requested-With": "fetch"})
    assert answer.status_code == 200 and answer.get_json()["ok"] is True
    assert answer.get_json()["positions"] == {str(i): n for n, i in enumerate(dragged, start=1)}
    assert [r["id"] for r in rows(soup(editor_client, view))] == dragged
    other = chapter_id(session, "市场环境")
    foreign = post(editor_client, "/library/order", view,
                   {"chapter": str(other), "case_ids": [str(ids[0])]}, headers={"X-Requested-With": "fetch"})
    assert foreign.status_code == 400 and "不属于篇章“市场环境”" in foreign.get_json()["message"]


def test_scores_are_shown_and_saved_from_the_list(editor_client, samples, session):
    ids = [r["id"] for r in rows(soup(editor_client, "/library"))]
    post(editor_client, "/library/scores", "/library",
         {f"score-{ids[0]}": "88.5", f"was-{ids[0]}": "", f"score-{ids[1]}": "", f"was-{ids[1]}": ""})
    page = soup(editor_client, "/library")
    assert "已保存评分：“推行“一企一证”改革 准入准营一次办结（示例）” 88.5" in flashes(page)
    assert page.select_one(f"#score-{ids[0]}")["value"] == "88.5"
    post(editor_client, "/library/scores", "/library", {f"score-{ids[1]}": "120", f"was-{ids[1]}": ""})
    assert "评分应在 0 到 100 之间，而不是 120" in flashes(soup(editor_client, "/library"))
    session.expire_all()
    assert session.get(Case, ids[0]).score == 88.5 and session.get(Case, ids[1]).score is None


def test_filter_by_state_and_search_title_or_unit_case_insensitively(editor_client, runtime):
    make_series(runtime, "测试系列", chapters=["市场环境"])
    add_cases(runtime, "测试系列", "市场环境", ["推广 APP 掌上办", "优化审批流程", "智慧 App 平台"],
              units=["区数据局", "区政务服务办", "区科技局"])
    found = rows(soup(editor_client, "/library?q=app"))
    assert [r["标题"] for r in found] == ["推广 APP 掌上办", "智慧 App 平台"]
    assert [r["标题"] for r in rows(soup(editor_client, "/library?q=政务服务"))] == ["优化审批流程"]
    assert "没有符合条件的案例" in soup(editor_client, "/library?q=100%").get_text()
    ids = [r["id"] for r in rows(soup(editor_client, "/library"))]
    post(editor_client, "/library/status", "/library", {"case_id": [str(ids[1])], "status": "selected"})
    assert [r["标题"] for r in rows(soup(editor_client, "/library?status=selected"))] == ["优化审批流程"]
    assert len(rows(soup(editor_client, "/library?status=pending&q=app"))) == 2
    # Filtered or searched, the order cannot be changed (the buttons would move hidden neighbours).
    filtered = soup(editor_client, "/library?chapter=1&q=app")
    assert not filtered.select("button.up") and "筛选或搜索时不能调整顺序" in filtered.get_text()
    assert client_status(editor_client, "/library?status=bogus") == 400


def client_status(client, path: str) -> int:
    return client.get(path).status_code


def test_a_large_series_is_paged_in_the_database_with_a_fixed_number_of_queries(editor_client, runtime):
    make_series(runtime, "大系列", chapters=["市场环境", "政务环境"])
    add_cases(runtime, "大系列", "市场环境", [f"案例{n:03d}" for n in range(1, 71)])
    add_cases(runtime, "大系列", "政务环境", [f"政务案例{n:03d}" for n in range(1, 51)])
    statements = []
    soup(editor_client, "/library")  # the first page also fills the header's cached 我的待办 count

    def count(*_args):
        statements.append(1)
    event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        first = soup(editor_client, "/library")
        queries_first = len(statements)
        statements.clear()
        third = soup(editor_client, "/library?page=3")
        queries_third = len(statements)
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", count)
    assert len(rows(first)) == 50 and rows(first)[0]["标题"] == "案例001"
    assert [r["标题"] for r in rows(third)][:1] == ["政务案例031"] and len(rows(third)) == 20
    assert "共 120 个案例，本页第 101–120 个" in third.select_one("#summary").get_text()
    assert "第 3 / 3 页" in third.select_one("nav.pager").get_text()
    assert queries_first == queries_third <= 12, (queries_first, queries_third)
    # A page past the end shows the last one.
    assert rows(soup(editor_client, "/library?page=99"))[0]["标题"] == "政务案例031"


def test_the_library_without_any_series_points_to_the_series_page(editor_client):
    page = soup(editor_client, "/library")
    assert "还没有系列" in page.get_text() and page.find("a", href="/series")


def test_a_reviewer_sees_the_library_but_no_controls_and_cannot_change_it(app, runtime, samples, session, clock):
    users.create_user(session, "lisi", REVIEWER_PASSWORD, "reviewer", now=clock.now(), actor="测试")
    client, _ = login(app, "lisi", REVIEWER_PASSWORD)
    renwen = chapter_id(session, "人文环境")
    page = soup(client, f"/library?chapter={renwen}")
    assert len(rows(page)) == 5
    assert not page.select("form[method=post] button[name=status]") and not page.select("input[type=checkbox]")
    assert not page.select("button.up") and not page.select("input[type=number]")
    case_id = rows(page)[0]["id"]
    for path, data in (("/library/status", {"case_id": str(case_id), "status": "selected"}),
                       ("/library/move", {"move": f"{case_id}:down"}),
                       ("/library/scores", {f"score-{case_id}": "90"}),
                       ("/library/order", {"chapter": str(renwen), "case_ids": str(case_id)})):
        assert post(client, path, "/library", data).status_code == 403
    assert session.scalar(select(func.count()).select_from(Case).where(Case.status != "pending")) == 0


def test_library_forms_need_the_csrf_token(editor_client, samples, session):
    case_id = session.scalar(select(Case.id).limit(1))
    answer = editor_client.post("/library/status", data={"case_id": str(case_id), "status": "selected"})
    assert answer.status_code == 400 and "安全令牌" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get(Case, case_id).status == "pending"


def test_back_never_leaves_the_library(editor_client, samples):
    answer = post(editor_client, "/library/status", "/library",
                  {"status": "selected", "back": "https://evil.example/library?x=1"})
    assert answer.headers["Location"] == "/library"
