"""The readership dashboard: pages behind the login, figures as pulled, exports, print report,
no external URL anywhere."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from wxpub import create_app
from wxpub.staff import users
from wxpub.infra.clock import FrozenClock
from wxpub.models import StatArticle
from wxpub.stats import pull
from wxpub.stats.dates import BEIJING
from wxpub.stats.testing import follow_sandbox, move_sandbox_to, publish, record_release, sandbox_now
from wxpub.wechat import WeChat

from auth_helpers import login

SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"
EXTERNAL = re.compile(r"""https?://(?!127\.0\.0\.1[:/"'])[^\s"'<>]+""")


pytestmark = pytest.mark.sandbox(publish_delay=1.0)


@pytest.fixture
def site(module_sandbox, sandbox_runtime):
    """Two chapters published and pulled; the app with an editor account; an anonymous client; the
    published articles."""
    sandbox = module_sandbox
    sandbox.control("reset", {})
    move_sandbox_to(sandbox, 9, 30)
    clock = FrozenClock(sandbox_now(sandbox))
    rt = sandbox_runtime(sandbox, clock=clock)
    wx = WeChat(rt.settings, rt.db, clock=clock)
    sent = []
    for chapter, titles, mass in (("市场环境", ["市场环境篇丨创新实践案例", "市场环境篇丨案例二"], False),
                                  ("人文环境", ["人文环境篇丨创新实践案例"], True)):
        one = publish(wx, sandbox, titles, mass=mass)
        with rt.db.session() as s:
            record_release(s, one, series=SERIES, chapter=chapter, scheduled_at=sandbox_now(sandbox),
                           case_titles=["创新“双招双引”模式 集聚创新创业领军人才"])
            s.commit()
        sent.append(one)
        sandbox.control("clock", {"advance_days": 1})
    move_sandbox_to(sandbox, 10, 30, days=2)
    follow_sandbox(clock, sandbox)
    pull(rt)
    with rt.db.session() as s:
        users.create_user(s, "editor", "correct-horse-9", "editor", now=clock.now(), actor="测试")
    app = create_app(runtime=rt)
    app.config.update(TESTING=True)
    return rt, app.test_client(), sent, app


def _login(app):
    """A client logged in as the editor through the real form (CSRF on)."""
    client, _headers = login(app, "editor", "correct-horse-9")
    return client


def _month(rt):
    return rt.clock.now().astimezone(BEIJING).strftime("%Y-%m")


def test_pages_need_a_login(site):
    rt, client, sent, _ = site
    for path in ("/dashboard/", "/dashboard/overview.json", "/dashboard/chapters", "/dashboard/calendar",
                 "/dashboard/report", f"/dashboard/article/{sent[0].msgids()[0]}",
                 "/dashboard/export/chapters.csv"):
        response = client.get(path)
        assert response.status_code in (302, 401), path
        assert "/login" in response.headers.get("Location", "/login")


def test_overview_shows_chapters_with_the_pulled_figures(site):
    rt, _, sent, app = site
    client = _login(app)
    html = client.get("/dashboard/").get_data(as_text=True)
    with rt.db.session() as s:
        market = sum(a.read_user for a in s.scalars(select(StatArticle).where(
            StatArticle.msg_data_id == sent[0].msg_data_id)))
    assert market > 0
    assert "市场环境" in html and "人文环境" in html and "<svg" in html
    assert f">{market}<" in html
    assert "数据新鲜度" in html and "案例库概况" in html
    data = client.get("/dashboard/overview.json").get_json()
    chapters = {c["chapter"]: c for c in data["chapters"]}
    assert chapters["市场环境"]["read_user"] == market and chapters["市场环境"]["articles"] == 2
    assert data["freshness"]["last_pull"] and data["totals"]["articles"] == 3
    assert len(data["account_trend"]) >= 3


def test_article_page_shows_trend_sources_and_cases(site):
    rt, _, sent, app = site
    client = _login(app)
    msgid = sent[1].msgids()[0]
    page = client.get(f"/dashboard/article/{msgid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "人文环境篇丨创新实践案例" in html and "公众号消息" in html  # mass send: read from messages
    assert "创新“双招双引”模式" in html and html.count("<svg") == 2
    assert client.get("/dashboard/article/999_1").status_code == 404


def test_calendar_shows_states_in_beijing_time(site):
    rt, _, sent, app = site
    client = _login(app)
    with rt.db.session() as s:
        from wxpub.models import Release
        release = s.scalars(select(Release).order_by(Release.id)).first()
    month = release.scheduled_at.astimezone(BEIJING).strftime("%Y-%m")
    html = client.get(f"/dashboard/calendar?month={month}").get_data(as_text=True)
    assert "已发布" in html and "市场环境" in html and "北京时间" in html
    shown = release.scheduled_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert shown in html and shown.endswith("09:30")
    bad = client.get("/dashboard/calendar?month=2026-13")
    assert bad.status_code == 400 and "YYYY-MM" in bad.get_data(as_text=True)  # a Chinese error page


def test_exports_download_what_the_tables_show(site):
    rt, _, sent, app = site
    client = _login(app)
    response = client.get("/dashboard/export/chapters.csv")
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["系列", "篇章", "文章数", "阅读人数"]
    by_chapter = {r[1]: r for r in rows[1:]}
    json_chapters = {c["chapter"]: c for c in client.get("/dashboard/overview.json").get_json()["chapters"]}
    assert int(by_chapter["市场环境"][3]) == json_chapters["市场环境"]["read_user"]

    xlsx = client.get("/dashboard/export/articles.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["发布日期", "标题", "篇章"]
    titles = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(titles) == {"市场环境篇丨创新实践案例", "市场环境篇丨案例二", "人文环境篇丨创新实践案例"}
    reads = titles["人文环境篇丨创新实践案例"][header.index("阅读人数")]
    with rt.db.session() as s:
        assert reads == s.get(StatArticle, sent[1].msgids()[0]).read_user

    msgid = sent[0].msgids()[0]
    daily = client.get(f"/dashboard/export/daily.csv?msgid={msgid}").get_data().decode("utf-8-sig")
    assert daily.splitlines()[0].startswith("日期,阅读人数") and len(daily.splitlines()) >= 4
    for name in ("library", "sources", "calendar", "account"):
        got = client.get(f"/dashboard/export/{name}.xlsx?msgid={msgid}&month={_month(rt)}")
        assert got.status_code == 200 and got.get_data()[:2] == b"PK", name
    assert client.get("/dashboard/export/nothing.csv").status_code == 404
    assert client.get("/dashboard/export/chapters.pdf").status_code == 404


def test_monthly_report_prints_and_no_page_links_outside(site):
    rt, _, sent, app = site
    client = _login(app)
    report = client.get(f"/dashboard/report?month={_month(rt)}").get_data(as_text=True)
    assert "阅读月报" in report and "打印" in report and "<svg" in report
    css = client.get("/static/app.css").get_data(as_text=True)
    assert "@media print" in css and "@page" in css
    pages = ["/dashboard/", "/dashboard/overview.json", "/dashboard/chapters", "/dashboard/calendar",
             f"/dashboard/report?month={_month(rt)}", f"/dashboard/article/{sent[0].msgids()[0]}"]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert not EXTERNAL.findall(body), (path, EXTERNAL.findall(body)[:3])
