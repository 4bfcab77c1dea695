"""Pure parts of the statistics: SVG charts, CSV/XLSX files, answer parsing."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook

from wxpub.stats import charts, parse
from wxpub.stats.exports import Column, Table, to_csv, to_xlsx


def test_charts_escape_labels_and_survive_empty_data():
    svg = charts.bar_chart([("<script>", 5), ("人文环境", 10)], title="各篇章")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "人文环境" in svg
    empty = charts.line_chart([], [("阅读人数", [])], title="趋势")
    assert "暂无数据" in empty and empty.startswith("<svg")
    line = charts.line_chart(["03-01", "03-02"], [("阅读人数", [3, 12000])], title="趋势")
    assert "polyline" in line and "2万" in line  # axis rounded up to 20 000
    assert "http" not in svg + empty + line


def test_csv_opens_in_excel_and_xlsx_keeps_numbers():
    table = Table("t", "测试", [Column("d", "日期", "date"), Column("n", "阅读人数", "int"),
                                Column("r", "完读率", "rate"), Column("at", "时间", "datetime")],
                  [{"d": date(2026, 3, 1), "n": 1200, "r": 0.4567,
                    "at": datetime(2026, 3, 1, 1, 30, tzinfo=timezone.utc)}])
    data = to_csv(table)
    assert data.startswith("\ufeff".encode()) and "日期,阅读人数,完读率,时间" in data.decode("utf-8-sig")
    assert "2026-03-01,1200,45.7%,2026-03-01 09:30" in data.decode("utf-8-sig")  # Beijing time
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    row = [c.value for c in sheet[2]]
    assert row[1] == 1200 and row[2] == pytest.approx(0.4567) and sheet["C2"].number_format == "0.0%"


def test_total_detail_is_split_into_latest_totals_and_daily_increments():
    answer = {"is_delay": True, "list": [{"ref_date": "2026-03-01", "msgid": "2247490098_2",
                                          "publish_type": 1, "title": "标题", "content_url": "u",
                                          "detail_list": [
        {"stat_date": "2026-03-02", "read_user": 30, "share_user": 3, "collection_user": 5,
         "zaikan_user": 2, "read_finish_rate": 0.5,
         "read_user_source": [{"scene_desc": "全部", "user_count": 30}, {"scene_desc": "朋友圈", "user_count": 30}]},
        {"stat_date": "2026-03-01", "read_user": 10, "share_user": 1, "collection_user": 1, "zaikan_user": 0}]}]}
    articles, daily = parse.total_detail(answer)
    assert articles[0]["msg_data_id"] == "2247490098" and articles[0]["idx"] == 2
    assert articles[0]["read_user"] == 30 and articles[0]["sources"] == {"朋友圈": 30}
    assert articles[0]["is_delay"] is True
    assert [(d["stat_date"].day, d["collection_user"], d["zaikan_user"]) for d in daily] == [(1, 1, 0), (2, 4, 2)]
    with pytest.raises(ValueError, match="msgid"):
        parse.split_msgid("2247490098")
