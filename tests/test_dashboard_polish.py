"""What staff notice on the reading-figure pages and their downloads: Chinese file names (and an
article's daily figures named after the article), no msgid and a 数据状态 that says something, a
Chinese month chooser, the site menu in its order with the current section marked, and chart labels
drawn at their real size."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from auth_helpers import login
from wxpub.models import StatArticle, StatArticleDaily
from wxpub.stats import charts
from wxpub.stats.dates import beijing_today
from wxpub.stats.exports import content_disposition, file_stem

import responsive_site

MENU = ["工作台", "发布日历", "发布", "排期", "案例库", "导入", "系列与篇章", "预览", "审核", "通知", "告警", "留言",
        "阅读数据", "评选", "操作日志", "账号管理", "公众号", "个人设置"]


@pytest.fixture
def office(runtime, tmp_path, app):
    """The responsive_site office; ``clients[name]`` logs in on first use."""
    ids = responsive_site.build(runtime, tmp_path)
    clients = {}

    def client(name):
        if name not in clients:
            clients[name] = login(app, name, ids["password"])[0]
        return clients[name]
    return ids, client


def _names(response) -> tuple[str, str]:
    """(the ASCII fallback name, the UTF-8 name) of a download."""
    header = response.headers["Content-Disposition"]
    assert "\n" not in header and "\r" not in header
    plain = re.search(r'filename="([^"]*)"', header).group(1)
    full = re.search(r"filename\*=UTF-8''(\S+)", header).group(1)
    assert full.isascii() and plain.isascii()
    return plain, unquote(full)


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_downloads_are_named_in_chinese_and_each_article_by_its_title(runtime, office):
    ids, client = office
    editor = client(ids["editor"])
    today = beijing_today(runtime.clock.now()).isoformat()
    month = today[:7]
    plain, name = _names(editor.get(f"/dashboard/export/articles.xlsx?month={month}"))
    assert name == f"文章数据-{month}.xlsx" and plain == f"articles-{month}.xlsx"
    plain, name = _names(editor.get("/dashboard/export/chapters.csv"))
    assert name == f"篇章阅读概况-{today}.csv"
    first = _names(editor.get("/dashboard/export/daily.csv?msgid=2247490098_1"))
    second = _names(editor.get("/dashboard/export/daily.csv?msgid=2247490098_2"))
    assert first[1] == f"每日数据-{responsive_site.LONG_TITLE[:16]}-{today}.csv"
    assert second[1] == f"每日数据-市场环境篇丨案例二：一网通办-{today}.csv"
    assert first[0] == f"daily-2247490098_1-{today}.csv" != second[0]
    assert _names(editor.get(f"/dashboard/export/account.xlsx?month={month}"))[1] == f"账号每日概况-{month}.xlsx"
    assert _names(editor.get("/dashboard/export/sources.csv?msgid=2247490098_2"))[1].startswith("阅读来源-市场环境篇")


def test_a_hostile_title_makes_a_safe_file_name(runtime, office):
    ids, client = office
    with runtime.db.session() as s:
        s.add(StatArticle(msgid="999_1", msg_data_id="999", idx=1, title='=../..\\a"b;\r\nSet-Cookie: x=1/?*',
                          publish_date=beijing_today(runtime.clock.now()), publish_type=1))
        s.commit()
    answer = client(ids["editor"]).get("/dashboard/export/daily.csv?msgid=999_1")
    assert answer.status_code == 200 and "Set-Cookie: x" not in str(answer.headers.get("Set-Cookie"))
    _plain, name = _names(answer)
    assert not set('/\\"\r\n;?*') & set(name) and not name.startswith(("=", ".")) and name.startswith("每日数据-")
    assert file_stem("", "  ") == "数据"
    assert content_disposition("文章数据-2026-11", "xlsx", ascii_stem="articles-2026-11") == (
        'attachment; filename="articles-2026-11.xlsx"; '
        "filename*=UTF-8''%E6%96%87%E7%AB%A0%E6%95%B0%E6%8D%AE-2026-11.xlsx")


def test_tables_show_a_status_and_no_msgid_but_downloads_keep_it(runtime, office):
    ids, client = office
    today = beijing_today(runtime.clock.now())
    with runtime.db.session() as s:  # one article long settled, one WeChat has no day for yet
        s.add(StatArticle(msgid="555_1", msg_data_id="555", idx=1, title="四十天前的文章",
                          publish_date=today - timedelta(days=40), publish_type=1, read_user=9))
        s.add(StatArticleDaily(msgid="555_1", stat_date=today - timedelta(days=35), read_user=9))
        s.add(StatArticle(msgid="556_1", msg_data_id="556", idx=1, title="昨天的文章",
                          publish_date=today - timedelta(days=1), publish_type=0, read_user=0))
        s.commit()
    editor = client(ids["editor"])
    page = _soup(editor.get("/dashboard/"))
    table = page.select_one("#table-articles table")
    headers = [th.get_text() for th in table.select("thead th")]
    assert "数据状态" in headers and not any("msgid" in h for h in headers)
    assert "2247490098" not in table.get_text()
    status = {tr.select_one("td.col-title").get_text(): tr.select_one("td.col-delay").get_text()
              for tr in table.select("tbody tr")}
    assert status[responsive_site.LONG_TITLE] == f"已更新至 {today - timedelta(days=1):%m-%d}"
    assert status["市场环境篇丨案例二：一网通办"] == "临时，微信可能更新"
    assert status["四十天前的文章"] == "超过30天，不再统计"
    assert status["昨天的文章"] == "等待微信数据"
    for td in table.select("tbody td"):  # every cell names its column (the phone's cards show it)
        assert td["data-label"] in headers
    last_month = today.replace(day=1) - timedelta(days=1)
    report = _soup(editor.get(f"/dashboard/report?month={last_month:%Y-%m}"))
    assert "msgid" not in report.get_text() and "2247490098" not in report.select_one("main").get_text()
    account = [td.get_text() for td in report.select("#table-account td.col-delay")]
    assert account and set(account) <= {"已确定", "临时，微信可能更新"} and "已确定" in account
    sheet = load_workbook(io.BytesIO(editor.get("/dashboard/export/articles.xlsx").data)).active
    header = [c.value for c in sheet[1]]
    assert header[-1] == "文章编号（msgid）"
    assert {row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)} >= {"2247490098_1", "555_1"}
    daily = editor.get("/dashboard/export/daily.csv?msgid=2247490098_1").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(daily)))
    assert rows[0][-1] == "数据状态" and {r[-1] for r in rows[1:]} == {"已确定", "临时，微信可能更新"}


def test_the_report_has_a_chinese_month_chooser_that_works_without_javascript(runtime, office):
    ids, client = office
    editor = client(ids["editor"])
    today = beijing_today(runtime.clock.now())
    page = _soup(editor.get("/dashboard/report"))
    assert page.select('input[type="month"]') == []
    form = page.select_one("form.month-chooser")
    assert form["method"] == "get" and form.select_one("button[type=submit]").get_text() == "查看"
    select = form.select_one("select[name=month]")
    assert select.find_parent("label").get_text().strip().startswith("月份")
    chosen = select.select_one("option[selected]")
    assert chosen["value"] == f"{today:%Y-%m}" and chosen.get_text() == f"{today.year}年{today.month}月"
    assert f"{today.year}年" in [g["label"] for g in select.select("optgroup")]
    assert page.select_one("h1").get_text() == f"“新政服”公众号 {today.year}年{today.month}月阅读月报"
    earlier = _soup(editor.get("/dashboard/report", query_string={"month": "2025-01"}))
    chooser = earlier.select_one("form.month-chooser")
    assert chooser.select_one("option[selected]").get_text() == "2025年1月"
    steps = {a.get_text().strip(): a["href"] for a in chooser.select("a.step")}
    assert steps["‹ 上月"].endswith("month=2024-12") and steps["下月 ›"].endswith("month=2025-02")
    assert chooser.select_one("[data-action=print]") is not None
    assert editor.get("/dashboard/report?month=2025-13").status_code == 400


def test_the_menu_lists_every_section_in_order_and_marks_the_current_one(office):
    ids, client = office
    admin = client(ids["admin"])
    page = _soup(admin.get("/dashboard/report"))
    menu = page.select_one('nav[aria-label="主菜单"]')
    names = [re.sub(r"（\d+）$", "", a.get_text()) for a in menu.select("a")]
    assert names == MENU
    assert [a.get_text() for a in menu.select("[aria-current=page]")] == ["阅读数据"]
    assert page.select_one("details#site-menu[open] > summary").get_text() == "菜单"  # open without JS
    sub = page.select_one('nav.subnav[aria-label="阅读数据"]')
    assert [a.get_text() for a in sub.select("a")] == ["概览", "篇章对比", "月度报告"]
    assert [a.get_text() for a in sub.select("[aria-current=page]")] == ["月度报告"]
    for path, current in (("/library", "案例库"), (f"/library/cases/{ids['case']}", "案例库"),
                          ("/library/import", "导入"), (f"/chapters/{ids['chapter']}/compose", "系列与篇章"),
                          (f"/dashboard/article/{ids['msgid']}", "阅读数据"), ("/admin/users", "账号管理"),
                          ("/admin/accounts", "公众号"), ("/password", "个人设置")):
        marked = _soup(admin.get(path)).select('nav[aria-label="主菜单"] [aria-current=page]')
        assert [a.get_text() for a in marked] == [current], path
    users_page = _soup(admin.get("/admin/users"))
    assert users_page.select("nav.subnav") == []  # the account pages have no reading-figure row
    editor_menu = _soup(client(ids["editor"]).get("/library")).select_one('nav[aria-label="主菜单"]')
    editor_names = [re.sub(r"（\d+）$", "", a.get_text()) for a in editor_menu.select("a")]
    assert editor_names == [n for n in MENU if n not in ("操作日志", "账号管理", "公众号")]
    reviewer_names = [a.get_text() for a in _soup(client(ids["reviewer"]).get("/library")).select(
        'nav[aria-label="主菜单"] a')]
    assert "导入" not in reviewer_names and "操作日志" in reviewer_names


def test_chart_labels_are_drawn_at_their_size_whatever_the_width():
    bars = charts.bar_chart([("市场环境", 3702), ("一个名字非常非常非常非常长的篇章（第二部分）", 12)], title="各篇章")
    svg = BeautifulSoup(str(bars), "html.parser").svg
    assert svg.get("viewbox") is None and svg["width"] == "100%"  # no scaling: 13 px on a phone too
    sizes = {int(t["font-size"]) for t in svg.select("text")}
    assert min(sizes) >= 12
    long_label = svg.select("text")[2]
    assert long_label.title.get_text() == "一个名字非常非常非常非常长的篇章（第二部分）"
    assert long_label.get_text().endswith("…") and "市场环境" in svg.get_text()
    line = BeautifulSoup(str(charts.line_chart([f"03-{d:02d}" for d in range(1, 31)],
                                               [("阅读人数", list(range(30)))], title="趋势")), "html.parser").svg
    assert line.get("viewbox") is None and min(int(t["font-size"]) for t in line.select("text")) >= 12
    ticks = [t.get_text() for t in line.select("text") if re.fullmatch(r"03-\d\d", t.get_text())]
    assert ticks[0] == "03-01" and ticks[-1] == "03-30" and len(ticks) <= 6
    assert line.select_one("polyline")["vector-effect"] == "non-scaling-stroke"
