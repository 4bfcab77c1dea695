"""``wxpub audit list`` and ``wxpub audit export`` as an auditor at the server uses them: the same
filters as the page, Chinese lines or the API's JSON, and CSV / Excel files of the filtered rows
(``wxpub audit verify`` is in tests/test_audit_chain.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from openpyxl import load_workbook

from wxpub.models import AuditEntry
from wxpub.staff import users

PASSWORD = "Shenhe-2026-ok!"


def _log(runtime, clock):
    """An account made by an admin, two edits of case 7 a day apart, a sign-off of message 3."""
    with runtime.db.session() as s:
        users.create_user(s, "bianji", PASSWORD, "editor", now=clock.now(), actor="guanli",
                          display_name="王编辑")
        s.add(AuditEntry(at=clock.now() + timedelta(minutes=5), actor="bianji", action="case.edit",
                         object_type="case", object_id="7", before_sha256="a" * 64, after_sha256="b" * 64,
                         detail={"version": 2, "from": 1}))
        s.add(AuditEntry(at=clock.now() + timedelta(days=1), actor="bianji", action="case.edit",
                         object_type="case", object_id="7", before_sha256="b" * 64, after_sha256="c" * 64,
                         detail={"version": 3, "from": 2}))
        s.add(AuditEntry(at=clock.now() + timedelta(days=1, minutes=1), actor="zhongshen",
                         action="review.approve", object_type="message", object_id="3",
                         detail={"stage": "终审", "round": 0, "version": 1, "comment": "同意"}))
        s.commit()


def test_list_shows_the_newest_first_in_chinese(runtime, clock, cli):
    _log(runtime, clock)
    result = cli("audit", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "审核通过" in lines[0] and "推送 3" in lines[0] and "终审（v1）：同意" in lines[0]
    assert "2026-03-03 09:00:00" in lines[1] and "王编辑（bianji）" in lines[1] and "修改案例" in lines[1]
    assert "v2 → v3" in lines[1] and "bbbbbbbb→cccccccc" in lines[1]
    assert "新建账号" in lines[3] and "账号 bianji" in lines[3] and "2026-03-02 09:00:00" in lines[3]
    assert lines[-1] == "共 4 条，第 1 / 1 页"


def test_list_filters_like_the_page_and_gives_the_apis_json(runtime, clock, cli):
    _log(runtime, clock)
    data = json.loads(cli("audit", "list", "--object-type", "case", "--object-id", "7", "--json").output)
    assert data["total"] == 2 and [e["detail"]["version"] for e in data["entries"]] == [3, 2]
    assert set(data["entries"][0]) == {"seq", "at", "actor", "action", "object_type", "object_id", "detail",
                                       "before_sha256", "after_sha256", "address", "row_hash"}
    assert data["entries"][0]["at"] == "2026-03-03T09:00:00+08:00"
    one_day = json.loads(cli("audit", "list", "--since", "2026-03-02", "--until", "2026-03-02", "--json").output)
    assert [e["action"] for e in one_day["entries"]] == ["case.edit", "user.create"]
    by_actor = json.loads(cli("audit", "list", "--actor", "zhongshen", "--action", "review.approve",
                              "--json").output)
    assert by_actor["total"] == 1
    paged = json.loads(cli("audit", "list", "--per-page", "1", "--page", "2", "--json").output)
    assert paged["page"] == 2 and paged["per_page"] == 1 and len(paged["entries"]) == 1
    assert cli("audit", "list", "--actor", "nobody").output.strip() == "没有符合条件的记录"


def test_bad_dates_are_refused_in_chinese(runtime, cli):
    result = cli("audit", "list", "--since", "2026-13-01")
    assert result.exit_code == 2 and "开始日期应为 年-月-日（如 2026-03-02），而不是“2026-13-01”" in result.stderr
    assert cli("audit", "list", "--since", "2026/03/01").exit_code == 0  # the slashes people type too
    result = cli("audit", "list", "--since", "2026-03-05", "--until", "2026-03-01")
    assert result.exit_code == 2 and "晚于结束日期" in result.stderr


def test_export_writes_the_filtered_rows_as_csv_or_excel(runtime, clock, cli, tmp_path):
    _log(runtime, clock)
    target = tmp_path / "操作日志.csv"
    result = cli("audit", "export", str(target), "--action", "case.edit")
    assert result.exit_code == 0 and f"已导出 2 条记录到 {target}" in result.output
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["序号", "时间（北京时间）", "人员", "操作", "对象", "内容", "操作前哈希", "操作后哈希",
                       "地址", "本条哈希"]
    assert [r[3] for r in rows[1:]] == ["修改案例", "修改案例"] and rows[1][6] == "b" * 64
    book = tmp_path / "操作日志.xlsx"
    assert cli("audit", "export", str(book)).exit_code == 0
    sheet = load_workbook(book).active
    assert sheet.title == "操作日志" and sheet.max_row == 5 and sheet["D2"].value == "审核通过"
    refused = cli("audit", "export", str(tmp_path / "log.pdf"))
    assert refused.exit_code == 2 and "文件应以 .csv 或 .xlsx 结尾" in refused.stderr
