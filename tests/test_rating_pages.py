"""评选 as the office and the experts use it in the browser (through the test client, forms with CSRF
on): the office creates a round over the published cases, puts a 评审专家 on the panel and invites an
outside expert (the link shown once); each expert fills the sheet case by case, declares a conflict,
submits (refused until complete and confirmed), corrects; the office closes the round (confirmed),
reads the results, commends a case (the badge shows), records the sign-off, downloads the XLSX and
opens the printable 评选结果. Outsiders get 403/404; an invitation link that expired is refused."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import unquote, urlparse

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from auth_helpers import login
from rating_pages_helpers import build, csrf
from wxpub.models import Article, AuditEntry
from sqlalchemy import select


@pytest.fixture
def office(runtime, tmp_path, app):
    ids = build(runtime, tmp_path)
    clients = {}

    def client(name):
        if name not in clients:
            clients[name] = login(app, name, ids["password"])[0]
        return clients[name]
    return ids, client


def _soup(response, status: int = 200) -> BeautifulSoup:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _flash(page: BeautifulSoup) -> str:
    return " ".join(p.get_text() for p in page.select(".flash"))


def _post(client, page_path: str, action: str, data: dict, *, follow: bool = True):
    token = csrf(client.get(page_path).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data}, follow_redirects=follow)


def _deadline(runtime, days: int = 10) -> str:
    return (runtime.clock.now() + timedelta(days=days, hours=8)).strftime("%Y-%m-%dT%H:%M")


def _create(runtime, client, ids, **extra) -> int:
    form = {"series": ids["series_name"], "name": "2023年度创新实践案例评选", "deadline": _deadline(runtime)}
    for n, (name, weight, top) in enumerate((("创新性", 30, 10), ("实效性", 30, 10),
                                             ("可复制推广性", 20, 10), ("示范带动性", 20, 10)), start=1):
        form.update({f"crit-name-{n}": name, f"crit-weight-{n}": weight, f"crit-max-{n}": top})
    form.update(extra)
    answer = _post(client, "/ratings/new", "/ratings/new", form, follow=False)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    return int(re.search(r"/ratings/(\d+)$", answer.headers["Location"]).group(1))


def _invite(client, round_id: int, name: str, unit: str = "", days: int = 14) -> str:
    page = _soup(_post(client, f"/ratings/{round_id}", f"/ratings/{round_id}/invite",
                       {"name": name, "unit": unit, "days": days}))
    link = page.select_one("#rt-invite-link").get_text()
    assert "只显示这一次" in page.get_text() and "/rate/i/wxr_" in link
    return urlparse(link).path


def _fill(client, sheet_path: str, *, scores=(8, 7, 6, 9), conflict_on=None) -> None:
    """Save every case of the sheet at ``sheet_path`` (the declared-conflict one by its title)."""
    page = _soup(client.get(sheet_path))
    for form in page.select("form.rt-score-form"):
        case = form.find_parent("li")
        data = {"comment": "做法新颖，可推广"}
        if conflict_on and conflict_on in case.h2.get_text():
            data["conflict"] = "1"
        else:
            data.update({f"score-{i}": v for i, v in enumerate(scores, start=1)})
        answer = _post(client, sheet_path, form["action"], data, follow=False)
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"#{case['id']}")
        assert "已保存" in _flash(_soup(client.get(answer.headers["Location"].split("#")[0])))


def _submit(client, sheet_path: str, confirm: bool = True) -> BeautifulSoup:
    action = _soup(client.get(sheet_path)).select_one("#submit form")["action"]
    return _soup(_post(client, sheet_path, action, {"confirm": "1"} if confirm else {}))


def test_a_round_from_creation_to_the_printed_result(office, runtime, app):
    ids, client = office
    editor = client("bianji")
    assert "还没有评选" in _soup(editor.get("/ratings")).get_text()
    form = _soup(editor.get("/ratings/new"))
    for field in form.select("form input:not([type=hidden]), form select"):  # a label on every field
        assert field.find_parent("label") or form.select_one(f'label[for="{field["id"]}"]'), field
    assert [i["value"] for i in form.select('input[name^="crit-name-"]') if i.get("value")] == \
        ["创新性", "实效性", "可复制推广性", "示范带动性"]
    bad = _post(editor, "/ratings/new", "/ratings/new", {"series": ids["series_name"], "name": "x",
                                                         "deadline": "明天"}, follow=False)
    assert bad.status_code == 400 and "截止时间" in _soup(bad, 400).select_one(".flash-error").get_text()
    round_id = _create(runtime, editor, ids)
    page = _soup(editor.get(f"/ratings/{round_id}"))
    assert "已创建评选" in _flash(page)
    titles = [li.select_one(".rt-title").get_text() for li in page.select(".rt-case-list li")]
    assert len(titles) == len(ids["cases"]) >= 2

    # The panel: a 评审专家 account, and an outside expert from the first case's unit (by link).
    first_unit = page.select(".rt-case-list li")[0].select_one(".rt-unit").get_text()
    added = _soup(_post(editor, f"/ratings/{round_id}", f"/ratings/{round_id}/experts",
                        {"username": "zhuanjia", "unit": "南开大学"}))
    assert "已将 zhuanjia 加入" in _flash(added)
    link = _invite(editor, round_id, "郑专家", unit=first_unit)
    again = editor.get(f"/ratings/{round_id}").get_data(as_text=True)
    assert link not in again and "邀请链接" in again  # shown once only

    # The 评审专家 logs in and lands on 评选: the menu has nothing else.
    expert = client("zhuanjia")
    assert expert.get("/workbench").headers["Location"].endswith("/rate")
    mine = _soup(expert.get("/rate"))
    assert [a.get_text() for a in mine.select('nav[aria-label="主菜单"] a')] == ["评选"]
    sheet_path = mine.select_one(".rt-card h2 a")["href"]
    assert sheet_path == f"/rate/{round_id}"
    sheet = _soup(expert.get(sheet_path))
    assert len(sheet.select("li.rt-sheet-case")) == len(titles)
    assert sheet.select_one(".rt-article")  # the article as published
    assert sheet.select_one('input[name="score-1"][step="0.5"][max="10"]')
    refused = _soup(_post(expert, sheet_path, f"{sheet_path}/submit", {"confirm": "1"}))
    assert "flash-error" in str(refused)  # nothing filled yet
    action = sheet.select_one("form.rt-score-form")["action"]
    wrong = _soup(_post(expert, sheet_path, action, {"score-1": "12"}))
    assert "创新性" in _flash(wrong)
    _fill(expert, sheet_path)
    assert "请先勾选" in _flash(_submit(expert, sheet_path, confirm=False))
    done = _submit(expert, sheet_path)
    assert "已提交" in _flash(done) and not done.select("form.rt-score-form")
    assert done.select_one("#rt-reason")  # 更正 is offered instead

    # A correction: a new sheet (number 2), filled and submitted again.
    corrected = _soup(_post(expert, sheet_path, f"{sheet_path}/correct", {"reason": "第二个案例分数填错"}))
    assert "已开始更正" in _flash(corrected) and "第 2 版" in corrected.get_text()
    _fill(expert, sheet_path, scores=(9, 9, 8, 9))
    _submit(expert, sheet_path)

    # The invited expert (no login), from the first case's unit: the 回避 box is ticked for them.
    outsider = app.test_client()
    invited = _soup(outsider.get(link))
    boxes = invited.select('input[name="conflict"]')
    assert boxes[0].has_attr("checked") and not boxes[1].has_attr("checked")
    assert "跳到正文" in invited.get_text() and not invited.select('nav[aria-label="主菜单"]')
    assert outsider.get(link).headers["Cache-Control"] == "no-store"
    _fill(outsider, link, scores=(5, 5, 5, 5), conflict_on=titles[0])
    assert "已提交" in _flash(_submit(outsider, link))

    # Before close, the other expert is not shown anything of others' scores; the office sees results.
    results = _soup(editor.get(f"/ratings/{round_id}/results"))
    rows = results.select("table.rt-results tbody tr")
    assert len(rows) == len(titles)
    assert rows[0].select_one('[data-label="名次"]').get_text().strip() == "1"
    abstained = {r.select_one(".rt-title").get_text(): r.select_one('[data-label="回避"]').get_text() for r in rows}
    assert abstained[titles[0]] == "郑专家"
    assert "评选结束后" in results.get_text()  # the sign-off waits for the close

    # Close: refused without the tick, done with it; the invitation link is dead after.
    assert "请先勾选" in _flash(_soup(_post(editor, f"/ratings/{round_id}", f"/ratings/{round_id}/close", {})))
    closed = _soup(_post(editor, f"/ratings/{round_id}", f"/ratings/{round_id}/close", {"confirm": "1"}))
    assert "评选已结束" in _flash(closed)
    assert outsider.get(link).status_code == 404
    frozen = _soup(expert.get(sheet_path))
    assert not frozen.select("form.rt-score-form") and not frozen.select("#rt-reason")

    # Commend the winner; the badge shows on the results, the library case and the dashboard.
    results_path = f"/ratings/{round_id}/results"
    top = _soup(editor.get(results_path)).select("table.rt-results tbody tr")[0]
    top_case = top.select_one('input[name="case_id"]')["value"]
    commended = _soup(_post(editor, results_path, f"/ratings/{round_id}/commend",
                            {"case_id": top_case, "level": "一等"}))
    assert "优秀案例·一等" in _flash(commended)
    assert commended.select_one("tr.rt-commended .rt-badge").get_text() == "优秀案例·一等"
    case_page = editor.get(f"/library/cases/{top_case}").get_data(as_text=True)
    assert "优秀案例·一等" in case_page
    with runtime.db.session() as s:
        msgid = next(ids["article_msgids"][a.id] for a in s.scalars(select(Article).where(
            Article.id.in_(list(ids["article_msgids"])))) if int(top_case) in (a.case_ids or []))
    overview = _soup(editor.get("/dashboard/"))
    row = overview.select_one(f'#table-articles a[href$="{msgid}"]').find_parent("tr")
    assert row.select_one(".rt-badge").get_text() == "优秀案例·一等"
    assert "优秀案例·一等" in _soup(editor.get(f"/dashboard/article/{msgid}")).select_one(".rt-badge").get_text()
    # The 表彰 article: a new chapter of the commended cases, composed like any other.
    honours = _soup(_post(editor, results_path, f"/ratings/{round_id}/honours", {"name": "优秀案例表彰"}))
    assert "已生成篇章“优秀案例表彰”（1 个案例）" in _flash(honours)
    from wxpub.models import Case, Chapter
    with runtime.db.session() as s:
        chapter = s.scalar(select(Chapter).where(Chapter.name == "优秀案例表彰"))
        [copy] = chapter.cases
        original = s.get(Case, int(top_case))
        assert copy.title == original.title and copy.status == "selected" and copy.id != original.id
        assert copy.current_version.content["lead"][0].endswith("优秀案例·一等。")
    again = _soup(_post(editor, results_path, f"/ratings/{round_id}/honours", {"name": "优秀案例表彰"}))
    assert "已有篇章“优秀案例表彰”" in _flash(again)
    signed = _soup(_post(editor, results_path, f"/ratings/{round_id}/signoff", {"names": "周教授\n郑专家\n"}))
    assert "已记录评审组签字名单" in _flash(signed)

    # XLSX: a Chinese name with an ASCII fallback; the sheets the office recomputes from.
    download = editor.get(f"/ratings/{round_id}/results.xlsx")
    assert download.status_code == 200
    header = download.headers["Content-Disposition"]
    assert re.search(r'filename="rating-\d+-results\.xlsx"', header)
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", header).group(1)) == "2023年度创新实践案例评选-评选结果.xlsx"
    book = load_workbook(io.BytesIO(download.data))
    assert {"评分明细", "评选结果", "评分标准"} <= set(book.sheetnames)

    printed = _soup(editor.get(f"/ratings/{round_id}/results/print"))
    assert "评选结果" in printed.h1.get_text()
    assert [s.get_text() for s in printed.select(".rt-signoff .rt-sname")] == ["周教授", "郑专家"]
    assert "优秀案例·一等" in printed.select_one("table.rt-ptable").get_text()
    css = app.test_client().get("/static/rating.css").get_data(as_text=True)
    assert "@media print" in css

    with runtime.db.session() as s:
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "rating_round")))
    assert {"rating.create", "rating.expert_add", "rating.invite", "rating.entry_save", "rating.submit",
            "rating.correct", "rating.close", "rating.commend", "rating.honours", "rating.signoff"} <= actions


def test_outsiders_are_kept_out(office, runtime, app):
    ids, client = office
    editor = client("bianji")
    round_id = _create(runtime, editor, ids)
    assert client("fushen").get("/ratings").status_code == 403  # a reviewer is not the office's 评选
    assert client("zhuanjia").get("/ratings").status_code == 403
    assert client("zhuanjia").get(f"/ratings/{round_id}/results").status_code == 403
    assert client("zhuanjia").get(f"/rate/{round_id}").status_code == 404  # not on this panel
    assert "目前没有" in _soup(client("zhuanjia2").get("/rate")).get_text()
    assert editor.get(f"/rate/{round_id}").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get("/ratings").status_code == 302
    assert anonymous.get("/rate/i/wxr_notarealtoken").status_code == 404
    assert editor.get("/ratings/99999").status_code == 404
    menu = [a.get_text() for a in _soup(editor.get("/ratings")).select('nav[aria-label="主菜单"] a')]
    assert "评选" in menu
    assert [a.get_text() for a in _soup(editor.get("/ratings")).select("[aria-current=page]")] == ["评选"]


def test_an_invitation_link_is_refused_after_it_expires(office, runtime, app, clock):
    ids, client = office
    editor = client("bianji")
    round_id = _create(runtime, editor, ids)
    link = _invite(editor, round_id, "郑专家", days=1)
    outsider = app.test_client()
    assert outsider.get(link).status_code == 200
    clock.advance(days=1, hours=1)
    refused = outsider.get(link)
    assert refused.status_code == 404 and "已过期" in refused.get_data(as_text=True)


def test_the_login_of_an_expert_lands_on_their_rounds(office, app):
    ids, _ = office
    from auth_helpers import CSRF_FIELD
    browser = app.test_client()
    token = CSRF_FIELD.search(browser.get("/login").get_data(as_text=True)).group(1)
    answer = browser.post("/login", data={"username": "zhuanjia", "password": ids["password"], "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/rate"


def test_an_expert_reaches_only_the_rating_pages(office):
    ids, client = office
    expert = client("zhuanjia")
    assert expert.get("/rate").status_code == 200 and expert.get("/password").status_code == 200
    for path in ("/library", "/releases", "/dashboard/", "/calendar", "/comments", "/api/v1/cases"):
        assert expert.get(path).status_code == 403, path
