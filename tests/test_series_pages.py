"""Series and chapters in the browser (``/series``) with the Flask test client: create a series with
its chapters (duplicates refused with the typed text kept), edit it, close it (only with the ticked
box) and open it again, upload a cover, add, rename and reorder chapters; reviewers look but cannot
change; every form needs the CSRF token."""

from __future__ import annotations

import io

from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import select

from auth_helpers import login
from test_library_pages import add_cases, flashes, post, soup
from wxpub.models import AuditEntry, Chapter, Series
from wxpub.staff import users

NAME = "2024年度滨海新区优化营商环境创新实践案例展示"
REVIEWER_PASSWORD = "Revi3wer-2026!"


def create(client, name=NAME, chapters="市场环境\n政务环境\n法治环境\n人文环境", intro=""):
    return post(client, "/series", "/series", {"name": name, "chapters": chapters, "intro": intro})


def series_row(session, name=NAME) -> Series:
    session.expire_all()
    return session.scalar(select(Series).where(Series.name == name))


def chapter_names(page: BeautifulSoup) -> list[str]:
    return [h.get_text() for h in page.select("ol.chapters li.chapter h3")]


def test_create_a_series_with_its_chapters_in_order(editor_client, session):
    form = soup(editor_client, "/series")
    assert "还没有系列" in form.get_text()
    assert form.select_one("#new-chapters").get_text().split() == ["市场环境", "政务环境", "法治环境", "人文环境"]
    for field in form.select("main input:not([type=hidden]), main textarea"):
        assert form.find("label", attrs={"for": field["id"]}), f"no label for {field}"
    answer = create(editor_client, chapters="市场环境\n政务环境篇\n\n人文环境",
                    intro="第一段简介。\n第二段简介。")
    row = series_row(session)
    assert answer.status_code == 302 and answer.headers["Location"] == f"/series/{row.id}"
    page = soup(editor_client, f"/series/{row.id}")
    assert "已新建系列“2024年度滨海新区优化营商环境创新实践案例展示”（篇章：市场环境、政务环境、人文环境）" in flashes(page)
    assert chapter_names(page) == ["市场环境", "政务环境", "人文环境"]  # "篇" dropped, the blank line ignored
    assert [p.get_text() for p in page.select("p.intro")] == ["第一段简介。", "第二段简介。"]
    assert row.is_open and row.intro == ["第一段简介。", "第二段简介。"]
    listing = soup(editor_client, "/series")
    line = " ".join(listing.select_one("table.series-table tbody tr").get_text(" ").split())
    assert NAME in line and "开放导入" in line and " 3 0 " in f" {line} "  # 3 chapters, 0 cases


def test_a_duplicate_name_is_refused_with_the_typed_text_kept(editor_client, session):
    create(editor_client)
    again = create(editor_client, chapters="市场环境\n新篇章", intro="我写的简介")
    assert again.status_code == 409
    page = BeautifulSoup(again.get_data(as_text=True), "html.parser")
    assert f"系列“{NAME}”已经存在" in page.select_one("#new .error").get_text()
    assert page.select_one("#new-intro").get_text() == "我写的简介"
    assert page.select_one("#new-chapters").get_text() == "市场环境\n新篇章"
    empty = create(editor_client, name="  ")
    assert empty.status_code == 400 and "系列名称不能为空" in empty.get_data(as_text=True)
    twice = create(editor_client, name="另一个系列", chapters="市场环境\n市场环境篇")
    assert twice.status_code == 400 and "篇章名称重复：市场环境" in twice.get_data(as_text=True)
    assert len(session.scalars(select(Series)).all()) == 1


def test_add_rename_and_reorder_chapters(editor_client, session, runtime):
    create(editor_client)
    row = series_row(session)
    page_path = f"/series/{row.id}"
    added = post(editor_client, f"/series/{row.id}/chapters", page_path, {"name": "创新案例篇", "intro": "新篇章的导语。"})
    assert added.status_code == 302
    page = soup(editor_client, page_path)
    assert "已新建篇章“创新案例”（排在第 5 位）" in flashes(page)
    assert chapter_names(page)[-1] == "创新案例"
    duplicate = post(editor_client, f"/series/{row.id}/chapters", page_path, {"name": "人文环境"})
    assert duplicate.status_code == 409
    assert "已经有篇章“人文环境”" in BeautifulSoup(duplicate.get_data(as_text=True), "html.parser") \
        .select_one("#new-chapter .error").get_text()

    chapters = {c.name: c.id for c in series_row(session).chapters}
    post(editor_client, f"/series/chapters/{chapters['创新案例']}/move", page_path, {"direction": "up"})
    page = soup(editor_client, page_path)
    assert chapter_names(page) == ["市场环境", "政务环境", "法治环境", "创新案例", "人文环境"]
    assert "已把篇章“创新案例”上移，现在排第 4 位" in flashes(page)
    first = page.select("ol.chapters li.chapter")[0]
    assert first.select_one("button[value=up]").has_attr("disabled")

    renamed = post(editor_client, f"/series/chapters/{chapters['创新案例']}", page_path,
                   {"name": "改革创新", "intro": "导语一\n导语二"})
    assert renamed.headers["Location"].endswith(f"#chapter-{chapters['创新案例']}")
    page = soup(editor_client, page_path)
    item = page.select_one(f"#chapter-{chapters['创新案例']}")
    assert item.select_one("h3").get_text() == "改革创新"
    assert [p.get_text() for p in item.select(".chapter-intro p")] == ["导语一", "导语二"]
    clash = post(editor_client, f"/series/chapters/{chapters['创新案例']}", page_path, {"name": "市场环境", "intro": ""})
    assert clash.status_code == 409 and 'open' in str(BeautifulSoup(clash.get_data(as_text=True), "html.parser")
                                                      .select_one(f"#chapter-{chapters['创新案例']} details").attrs)


def test_each_chapter_links_to_its_cases_and_composer_with_its_counts(editor_client, session, runtime):
    create(editor_client)
    row = series_row(session)
    add_cases(runtime, NAME, "人文环境", ["案例甲", "案例乙", "案例丙"])
    chapter = session.scalar(select(Chapter).where(Chapter.series_id == row.id, Chapter.name == "人文环境"))
    item = soup(editor_client, f"/series/{row.id}").select_one(f"#chapter-{chapter.id}")
    assert "入选 0 待定 3 淘汰 0 共 3 个" in " ".join(item.select_one(".counts").get_text(" ").split())
    links = {a.get_text(): a["href"] for a in item.select(".chapter-links a")}
    assert links["案例（3）"] == f"/library?series={row.id}&chapter={chapter.id}"
    assert links["排版与预览"] == f"/chapters/{chapter.id}/compose"


def test_edit_close_and_reopen_a_series(editor_client, session):
    create(editor_client)
    row = series_row(session)
    page_path = f"/series/{row.id}"
    post(editor_client, page_path, page_path, {"name": NAME + "（修订）", "intro": "新简介"})
    assert "已保存系列" in flashes(soup(editor_client, page_path))
    assert series_row(session, NAME + "（修订）").intro == ["新简介"]
    refused = post(editor_client, f"/series/{row.id}/state", page_path, {})
    assert refused.status_code == 400 and "请勾选确认框" in refused.get_data(as_text=True)
    assert series_row(session, NAME + "（修订）").is_open
    post(editor_client, f"/series/{row.id}/state", page_path, {"confirm": "y"})
    page = soup(editor_client, page_path)
    assert "已关闭：不再接受导入" in flashes(page) and "开放导入" in page.select_one("#state button").get_text()
    assert not series_row(session, NAME + "（修订）").is_open
    post(editor_client, f"/series/{row.id}/state", page_path, {"open": "1"})
    assert series_row(session, NAME + "（修订）").is_open


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (90, 38), (183, 28, 28)).save(buffer, "PNG")
    return buffer.getvalue()


def test_upload_a_cover(editor_client, session):
    create(editor_client)
    row = series_row(session)
    page_path = f"/series/{row.id}"
    answer = post(editor_client, f"/series/{row.id}/cover", page_path,
                  {"cover": (io.BytesIO(_png()), "cover.png")}, content_type="multipart/form-data")
    assert answer.status_code == 302
    page = soup(editor_client, page_path)
    assert "已更换系列封面（cover.png）" in flashes(page)
    image = page.select_one("#cover img.cover")
    assert editor_client.get(image["src"]).data == _png()
    bad = post(editor_client, f"/series/{row.id}/cover", page_path,
               {"cover": (io.BytesIO(b"not an image"), "cover.pdf")}, content_type="multipart/form-data")
    assert bad.status_code == 400 and "cover.pdf：不是可识别的图片文件" in bad.get_data(as_text=True)


def test_a_reviewer_sees_series_but_no_forms_and_gets_403_on_changes(app, editor_client, session, clock):
    create(editor_client)
    row = series_row(session)
    users.create_user(session, "lisi", REVIEWER_PASSWORD, "reviewer", now=clock.now(), actor="测试")
    client, _ = login(app, "lisi", REVIEWER_PASSWORD)
    for path in ("/series", f"/series/{row.id}"):
        page = soup(client, path)
        assert NAME in page.get_text()
        assert not page.select("main form[method=post]"), path
    chapter = row.chapters[0]
    for path, data in (("/series", {"name": "别的系列"}), (f"/series/{row.id}", {"name": "改名"}),
                       (f"/series/{row.id}/state", {"confirm": "y"}),
                       (f"/series/{row.id}/chapters", {"name": "新篇章"}),
                       (f"/series/chapters/{chapter.id}", {"name": "改名"}),
                       (f"/series/chapters/{chapter.id}/move", {"direction": "down"})):
        assert post(client, path, "/series", data).status_code == 403, path
    assert [s.name for s in session.scalars(select(Series))] == [NAME]
    assert app.test_client().get("/series").status_code == 302  # to the login page


def test_series_forms_need_the_csrf_token(editor_client, session):
    answer = editor_client.post("/series", data={"name": NAME, "chapters": "市场环境"})
    assert answer.status_code == 400 and "安全令牌" in answer.get_data(as_text=True)
    assert series_row(session) is None
    create(editor_client)
    assert session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "series.create")) == "zhangsan"


def test_an_unknown_series_is_a_404(editor_client):
    assert editor_client.get("/series/4242").status_code == 404
