"""The 操作日志 page (/audit), its CSV/Excel downloads and GET /api/v1/audit, as the people who use
them see them: who may look, the filters (person, action, object, dates in Beijing time), newest
first a page at a time, links to the objects, the chain's state at the top, and the JSON shape."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from auth_helpers import login
from review_helpers import OFFICE_PASSWORD, make_office
from wxpub.models import AuditEntry
from wxpub.staff import users


@pytest.fixture
def office(runtime, clock):
    make_office(runtime)
    with runtime.db.session() as s:
        users.create_user(s, "guanli", OFFICE_PASSWORD, "admin", now=clock.now(), actor="测试",
                          display_name="周管理")
    return runtime


def _rows(runtime, clock, n: int, *, actor="bianji", action="case.edit", object_type="case",
          object_id="7", step=timedelta(minutes=1), **fields):
    """``n`` audit rows, one a ``step`` apart from the clock's time on, each committed (sealed)."""
    with runtime.db.session() as s:
        for i in range(n):
            s.add(AuditEntry(at=clock.now() + step * i, actor=actor, action=action,
                             object_type=object_type, object_id=object_id,
                             detail={"version": i + 2, "from": i + 1}, **fields))
        s.commit()


def _page(client, **args):
    answer = client.get("/audit", query_string=args)
    return answer.status_code, answer.get_data(as_text=True)


def _records(html: str) -> list[str]:
    return re.findall(r'<tr id="entry-[^"]+">(.*?)</tr>', html, flags=re.S)


@pytest.mark.parametrize("who,status", [("bianji", 403), ("jiaodui", 403), ("fushen", 200),
                                        ("zhongshen", 200), ("guanli", 200)])
def test_reviewers_approvers_and_admins_may_read_the_log(app, office, who, status):
    client, _ = login(app, who, OFFICE_PASSWORD)
    assert client.get("/audit").status_code == status
    assert client.get("/audit/export.csv").status_code == status
    assert client.get("/api/v1/audit").status_code == status


def test_the_log_needs_a_login(client):
    assert client.get("/audit").status_code == 302
    assert client.get("/api/v1/audit").status_code == 401


def test_the_page_shows_actions_in_chinese_in_beijing_time_newest_first_with_links(app, office, runtime, clock):
    _rows(runtime, clock, 1, before_sha256="a" * 64, after_sha256="b" * 64)
    _rows(runtime, clock, 1, actor="zhongshen", action="review.approve", object_type="message",
          object_id="3", step=timedelta(minutes=5))
    client, _ = login(app, "zhongshen", OFFICE_PASSWORD)
    status, html = _page(client)
    assert status == 200 and "操作日志" in html
    records = _records(html)
    newest = records[0]  # zhongshen's own login, written last
    assert "登录" in newest and "张主任（zhongshen）" in newest and "127.0.0.1" in newest
    edit = next(r for r in records if "修改案例" in r)
    assert "王编辑（bianji）" in edit and "2026-03-02 09:00:00" in edit  # 01:00 UTC
    assert 'href="/library/cases/7"' in edit and "aaaaaaaa" in edit and "bbbbbbbb" in edit
    approve = next(r for r in records if "审核通过" in r)
    assert 'href="/review/messages/3"' in approve
    creation = next(r for r in records if "新建账号" in r)
    assert "/admin/users/" not in creation  # an approver cannot open the account pages
    assert re.search(r"共 \d+ 条，链完整", html)
    admin, _ = login(app, "guanli", OFFICE_PASSWORD)
    assert 'href="/admin/users/bianji"' in _page(admin)[1]


def test_the_filters_narrow_the_log(app, office, runtime, clock):
    _rows(runtime, clock, 3)
    _rows(runtime, clock, 2, actor="fushen", action="review.reject", object_type="message", object_id="3")
    client, _ = login(app, "fushen", OFFICE_PASSWORD)
    _, html = _page(client, actor="fushen", action="review.reject")
    assert len(_records(html)) == 2 and "符合条件的 2 条记录" in html
    _, html = _page(client, object_type="case", object_id="7")
    assert len(_records(html)) == 3 and all("修改案例" in r for r in _records(html))
    _, html = _page(client, action="user.login")
    assert [("李科长（fushen）" in r) for r in _records(html)] == [True]
    # the form keeps what was chosen, every field has its label
    _, html = _page(client, actor="fushen", action="review.reject", since="2026-03-01")
    assert '<option value="fushen" selected>' in html and '<option value="review.reject" selected>' in html
    assert 'id="f-since" name="since" value="2026-03-01"' in html
    for field in ("f-actor", "f-action", "f-type", "f-id", "f-since", "f-until"):
        assert f'<label for="{field}">' in html


def test_dates_are_beijing_days_both_included(app, office, runtime, clock):
    late = clock.now().replace(hour=15, minute=30)  # 2026-03-02 23:30 in Beijing
    with runtime.db.session() as s:
        s.add(AuditEntry(at=late, actor="bianji", action="case.edit", object_type="case", object_id="9"))
        s.add(AuditEntry(at=late + timedelta(hours=1), actor="bianji", action="case.edit",
                         object_type="case", object_id="10"))  # 03-03 00:30 in Beijing
        s.commit()
    client, _ = login(app, "fushen", OFFICE_PASSWORD)
    _, html = _page(client, action="case.edit", until="2026-03-02")
    assert [("案例 9" in r) for r in _records(html)] == [True]
    _, html = _page(client, action="case.edit", since="2026-03-03")
    assert [("案例 10" in r) for r in _records(html)] == [True]
    assert "2026-03-03 00:30:00" in html
    status, html = _page(client, since="2026-03-05", until="2026-03-01")
    assert status == 400 and "开始日期 2026-03-05 晚于结束日期 2026-03-01" in html
    status, html = _page(client, since="3月1日")
    assert status == 400 and "开始日期应为 年-月-日" in html
    # a plain text field (a date input shows "mm/dd/yyyy" in an English browser): what a Chinese
    # input method types is understood
    _, html = _page(client, action="case.edit", since="２０２６/3/3")
    assert [("案例 10" in r) for r in _records(html)] == [True]


def test_fifty_a_page_and_the_downloads_hold_the_whole_filtered_set(app, office, runtime, clock):
    _rows(runtime, clock, 60)
    _rows(runtime, clock, 2, actor="fushen", action="review.approve", object_type="message", object_id="3")
    client, _ = login(app, "fushen", OFFICE_PASSWORD)
    _, first = _page(client, action="case.edit")
    assert len(_records(first)) == 50 and "第 1 / 2 页" in first and "下一页" in first
    _, second = _page(client, action="case.edit", page=2)
    assert len(_records(second)) == 10 and "上一页" in second
    answer = client.get("/audit/export.csv", query_string={"action": "case.edit"})
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=audit-")
    lines = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert lines[0][:5] == ["序号", "时间（北京时间）", "人员", "操作", "对象"]
    assert len(lines) == 61 and {line[3] for line in lines[1:]} == {"修改案例"}
    assert int(lines[1][0]) - int(lines[-1][0]) == 59  # newest first, the seconds shown
    assert lines[1][1] == "2026-03-02 09:59:00" and lines[-1][1] == "2026-03-02 09:00:00"
    sheet = load_workbook(io.BytesIO(client.get("/audit/export.xlsx",
                                                query_string={"action": "case.edit"}).get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 61 and values[1][3] == "修改案例" and values[1][0] == int(lines[1][0])
    assert client.get("/audit/export.pdf").status_code == 404


def test_the_top_line_warns_when_the_chain_was_tampered_with(app, office, runtime, clock):
    _rows(runtime, clock, 3)
    client, _ = login(app, "guanli", OFFICE_PASSWORD)
    assert re.search(r"共 \d+ 条，链完整", _page(client)[1])
    with runtime.db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'someone' WHERE seq = 2"))
    _, html = _page(client)
    assert "警告：操作日志可能被改动过，发现 1 处问题" in html and "wxpub audit verify" in html
    assert "第 2 条记录" in html
    with runtime.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    _, html = _page(client)
    assert "有记录被删除或插入" in html


def test_the_api_gives_the_entries_page_by_page_with_the_same_filters(app, office, runtime, clock):
    _rows(runtime, clock, 5, before_sha256="c" * 64, after_sha256="d" * 64)
    client, _ = login(app, "zhongshen", OFFICE_PASSWORD)
    data = client.get("/api/v1/audit", query_string={"action": "case.edit", "per_page": 2}).get_json()
    assert data["total"] == 5 and data["page"] == 1 and data["per_page"] == 2
    entry = data["entries"][0]
    assert set(entry) == {"seq", "at", "actor", "action", "object_type", "object_id", "detail",
                          "before_sha256", "after_sha256", "address", "row_hash"}
    assert entry["actor"] == "bianji" and entry["object_type"] == "case" and entry["object_id"] == "7"
    assert entry["at"] == "2026-03-02T09:04:00+08:00" and entry["detail"] == {"version": 6, "from": 5}
    assert entry["before_sha256"] == "c" * 64 and len(entry["row_hash"]) == 64
    assert [e["seq"] for e in data["entries"]] == sorted((e["seq"] for e in data["entries"]), reverse=True)
    third = client.get("/api/v1/audit", query_string={"action": "case.edit", "per_page": 2, "page": 3}).get_json()
    assert len(third["entries"]) == 1
    assert client.get("/api/v1/audit", query_string={"per_page": 5000}).get_json()["per_page"] == 200
    logins = client.get("/api/v1/audit", query_string={"actor": "zhongshen", "action": "user.login",
                                                        "since": "2026-03-02", "until": "2026-03-02"}).get_json()
    assert logins["total"] == 1 and logins["entries"][0]["address"] == "127.0.0.1"
    bad = client.get("/api/v1/audit", query_string={"until": "yesterday"})
    assert bad.status_code == 400 and "结束日期应为 年-月-日" in bad.get_json()["message"]
    editor, _ = login(app, "bianji", OFFICE_PASSWORD)
    answer = editor.get("/api/v1/audit")
    assert answer.status_code == 403 and "复审、终审和管理员" in answer.get_json()["message"]


def _no_overflow(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(375, 812), (1280, 900)])
def test_the_page_fits_a_phone_and_a_desk(live_server, offline_page, office, runtime, clock, width, height):
    _rows(runtime, clock, 3, before_sha256="e" * 64, after_sha256="f" * 64)
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    from conftest import login as browser_login
    browser_login(page, live_server.url, "zhongshen", OFFICE_PASSWORD)
    page.goto(f"{live_server.url}/audit")
    assert page.inner_text("h1") == "操作日志"
    _no_overflow(page, width)
    page.get_by_label("操作", exact=True).select_option("case.edit")
    with page.expect_navigation():  # the filtered page, its stylesheets loaded, before measuring
        page.get_by_role("button", name="筛选").click()
    assert "符合条件的 3 条记录" in page.inner_text("main")
    _no_overflow(page, width)
    assert page.external_requests == []
