"""Import by upload in the browser's forms (/library/import): real Word and Excel files, the dry
run, 确认导入, and every way an upload can go wrong, as an editor sees it (test client, CSRF on)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook

from auth_helpers import login
from library_helpers import SERIES_2023, make_series
from wxpub.library import imports, service
from wxpub.library.series import create_series
from wxpub.staff import users

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
WORD = FIXTURES / "区市场监管局-一企一证改革.docx"
CHAPTER_WORD = FIXTURES / "人文环境篇案例.docx"
EXCEL = FIXTURES / "政务服务案例汇总.xlsx"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
DIGEST = re.compile(r'name="digest" value="([0-9a-f]{64})"')


def text(answer) -> str:
    """The page's text without tags (what a person reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True)))


def csrf(client, path="/library/import") -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def chapter_id(runtime, name: str, series: str = SERIES_2023) -> int:
    from wxpub.library.series import series_by_name
    with runtime.db.session() as session:
        return next(c.id for c in series_by_name(session, series).chapters if c.name == name)


def upload(client, files, *, series="", chapter="", follow=True):
    """Send the upload form; ``files``: paths or (name, bytes)."""
    parts = [(io.BytesIO(f.read_bytes()), f.name) if isinstance(f, Path) else (io.BytesIO(f[1]), f[0])
             for f in files]
    data = {"csrf_token": csrf(client), "series": str(series), "chapter": str(chapter), "files": parts}
    return client.post("/library/import", data=data, content_type="multipart/form-data",
                       follow_redirects=follow)


def confirm(client, answer, digest=None):
    """Press 确认导入 on the dry-run page ``answer`` (its own digest unless given one)."""
    page = answer.get_data(as_text=True)
    path = re.search(r'action="(/library/import/[^"]+/confirm)"', page).group(1)
    return client.post(path, data={"csrf_token": TOKEN.search(page).group(1),
                                   "digest": digest or DIGEST.search(page).group(1)},
                       follow_redirects=True)


def cases(runtime) -> list[tuple[str, str, int]]:
    with runtime.db.session() as session:
        return [(row.chapter.name, row.title, row.current_version.version)
                for row in service.list_cases(session)]


def changed_word() -> bytes:
    """The Word fixture as the department sends it again with one figure corrected."""
    document = Document(io.BytesIO(WORD.read_bytes()))
    for paragraph in document.paragraphs:
        if paragraph.text.startswith("改革以来"):
            paragraph.runs[0].text = paragraph.text.replace("1260张", "1320张")
            for run in paragraph.runs[1:]:
                run.text = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def workbook(rows, title="案例汇总") -> bytes:
    book = Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def market(runtime, sample_series):
    """The id of the 2023 series' 市场环境 chapter (the series is the only open one)."""
    return chapter_id(runtime, "市场环境")


def test_the_form_offers_the_open_series_its_chapters_and_says_the_limits(editor_client, runtime,
                                                                          sample_series):
    with runtime.db.session() as session:
        old = create_series(session, "2019年度旧系列", chapters=["综合"], actor="测试", now=runtime.clock.now())
        from wxpub.library.series import update_series
        update_series(session, old.id, is_open=False, actor="测试", now=runtime.clock.now())
    page = editor_client.get("/library/import").get_data(as_text=True)
    assert 'type="file" id="files" name="files" multiple' in page
    assert 'accept=".docx,.xlsx,.md,.markdown,.txt,.html,.htm"' in page
    for field in ("files", "series", "chapter"):
        assert f'<label for="{field}">' in page
    # The only open series is chosen; a closed one is not offered.
    assert f'<option value="{sample_series}" selected>{SERIES_2023}</option>' in page
    assert "2019年度旧系列" not in page
    assert f'<optgroup label="{SERIES_2023}"' in page
    chapters = re.findall(r'<option value="\d+" data-series="\d+"[^>]*>([^<]+)</option>', page)
    assert chapters == ["市场环境", "政务环境", "法治环境", "人文环境"]
    assert "（按文件中写的）" in page
    words = text(editor_client.get("/library/import"))
    assert "一次最多 50 个文件，每个文件最多 20 MB，合计最多 60 MB" in words
    assert "Word（.docx）、Excel（.xlsx）" in words


def test_several_open_series_and_none(editor_client, runtime):
    assert "还没有可以导入的系列" in text(editor_client.get("/library/import"))
    make_series(runtime)
    make_series(runtime, "2024年度案例", chapters=["市场环境"])
    page = editor_client.get("/library/import").get_data(as_text=True)
    assert '<option value="" selected>（按文件中写的）</option>' in page  # no series is guessed
    assert page.count("<optgroup") == 2


def test_word_and_excel_dry_run_then_confirm_then_the_same_again_is_unchanged(editor_client, runtime,
                                                                             market):
    answer = upload(editor_client, [WORD, EXCEL], chapter=market)
    assert answer.status_code == 200 and "/library/import/" in answer.request.path
    words = text(answer)
    assert "导入预览 （尚未导入）" in words
    assert "新增 4" in words and "更新 0" in words and "未变 0" in words
    assert "推行“一企一证”改革 实现准入准营“一次办”" in words and "区市场监管局" in words
    assert "建设“滨海政务”掌上办 服务指尖可达" in words and "工作表“案例汇总”第6行" in words
    assert cases(runtime) == []  # a dry run writes nothing
    assert ">确认导入</button>" in answer.get_data(as_text=True)

    done = confirm(editor_client, answer)
    words = text(done)
    assert "已导入：新增 4，更新 0，未变 0" in words and "导入完成" in words
    assert sorted(cases(runtime)) == sorted([
        ("市场环境", "推行“一企一证”改革 实现准入准营“一次办”", 1),
        ("市场环境", "打造“无差别综合窗口” 实现“一窗通办”", 1),
        ("市场环境", "推行告知承诺制审批 项目开工再提速", 1),
        ("市场环境", "建设“滨海政务”掌上办 服务指尖可达", 1)])
    series_id = sample_series_id(runtime)
    assert f'href="/library?series={series_id}&amp;chapter={market}"' in done.get_data(as_text=True)
    with runtime.db.session() as session:
        (word_case,) = [r for r in service.list_cases(session) if r.number is None]
        content = word_case.current_version.content
        assert content["unit"] == "区市场监管局" and content["contact"]["name"] == "王明"
        assert [p["lead"] for p in content["points"]] == ["一是整合证照信息，", "二是优化办理流程，",
                                                         "三是强化事后监管，"]
        assert content["images"][0]["caption"] == "图1 “一企一证”办理流程"

    again = upload(editor_client, [WORD, EXCEL], chapter=market)
    assert "新增 0" in text(again) and "未变 4" in text(again)
    assert "已导入：新增 0，更新 0，未变 4" in text(confirm(editor_client, again))


def sample_series_id(runtime) -> int:
    from wxpub.library.series import series_by_name
    with runtime.db.session() as session:
        return series_by_name(session, SERIES_2023).id


def test_a_changed_file_is_an_update_showing_the_change(editor_client, runtime, market):
    confirm(editor_client, upload(editor_client, [WORD], chapter=market))
    answer = upload(editor_client, [("区市场监管局-一企一证改革（修改稿）.docx", changed_word())], chapter=market)
    page = answer.get_data(as_text=True)
    assert "更新 1" in text(answer) and "新增 0" in text(answer)
    assert "<summary>查看 1 处改动</summary>" in page
    assert "<dt>结尾第1段</dt>" in page
    diff = page.split('<dd class="diff">')[1].split("</dd>")[0]  # the characters that changed
    assert diff == "改革以来，全区已发放行业综合许可证1<del>26</del><ins>32</ins>0张，企业办事时间平均压缩80%以上。"
    assert "已导入：新增 0，更新 1，未变 0" in text(confirm(editor_client, answer))
    assert cases(runtime) == [("市场环境", "推行“一企一证”改革 实现准入准营“一次办”", 2)]


def test_broken_files_say_what_is_wrong_and_where_and_the_others_still_import(editor_client, runtime,
                                                                             market):
    files = [WORD,
             ("损坏的文件.docx", CHAPTER_WORD.read_bytes()[:4000]),
             ("没有表头.xlsx", workbook([["这是说明"], ["每行一个案例"]])),
             ("缺标题.xlsx", workbook([["序号", "标题", "正文"], [1, "好案例", "正文。"], [2, None, "正文。"]])),
             ("扫描件.pdf", b"%PDF-1.7\n..."),
             ("人文环境篇案例.docx", CHAPTER_WORD.read_bytes())]  # names 人文环境, 市场环境 chosen
    answer = upload(editor_client, files, chapter=market)
    words = text(answer)
    assert "共 6 个文件： 1 个可以导入， 5 个有错误（不会导入）" in words
    assert "损坏的文件.docx" in words and "文件已损坏" in words
    assert "没有找到表头" in words and "这是说明" in words
    assert "工作表“案例汇总”第3行" in words and "没有标题" in words
    assert "不支持导入“.pdf”类型的文件" in words and "Word（.docx）" in words
    assert "第1段" in words and "篇章不一致：文件中写的是“人文环境”，导入时指定的是“市场环境”" in words
    assert "新增 1" in words
    page = answer.get_data(as_text=True)
    assert "导入没有问题的 1 个文件（跳过 5 个有错误的文件）" in page
    done = confirm(editor_client, answer)
    assert "已导入：新增 1，更新 0，未变 0；跳过 5 个有错误的文件" in text(done)
    assert "扫描件.pdf" in text(done) and "有错误，未导入" in text(done)
    assert cases(runtime) == [("市场环境", "推行“一企一证”改革 实现准入准营“一次办”", 1)]


def test_when_every_file_has_an_error_there_is_nothing_to_confirm(editor_client, runtime, market):
    answer = upload(editor_client, [("旧格式.doc", b"\xd0\xcf\x11\xe0" + b"\0" * 600),
                                    ("报表.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 600)], chapter=market)
    words, page = text(answer), answer.get_data(as_text=True)
    assert "另存为” .docx" in words and "另存为” .xlsx" in words
    assert "<button" not in page.split("confirm-panel")[1].split("</section>")[0]
    assert "每个文件都有错误" in words and "重新选择文件" in words


def test_an_unknown_chapter_is_refused_with_the_nearest_suggested(editor_client, runtime, market):
    rows = [["序号", "案例名称", "所属篇章", "案例内容"], [1, "文化惠民新举措", "人文", "正文。"],
            [2, "人才公寓", "人文", "正文。"]]
    answer = upload(editor_client, [("人文篇.xlsx", workbook(rows))])
    words = text(answer)
    assert "工作表“案例汇总”第2行等 2 个案例" in words
    assert "没有篇章“人文”。是否指“人文环境”？现有篇章：市场环境、政务环境、法治环境、人文环境" in words


def test_a_file_naming_no_series_with_several_open_lists_the_choices(editor_client, runtime, market):
    make_series(runtime, "2024年度案例", chapters=["市场环境"])
    words = text(upload(editor_client, [WORD]))
    assert "文件中没有写明所属系列，请选择导入到哪个系列" in words
    assert f"“{SERIES_2023}”" in words and "“2024年度案例”" in words


def test_a_chapter_line_names_series_and_chapter_itself(editor_client, runtime, sample_series):
    answer = upload(editor_client, [CHAPTER_WORD])
    assert "新增 2" in text(answer) and "人文环境" in text(answer)
    confirm(editor_client, answer)
    assert [c[0] for c in cases(runtime)] == ["人文环境", "人文环境"]


def test_a_chapter_of_another_series_than_the_chosen_one_is_refused(editor_client, runtime, market):
    other = make_series(runtime, "2024年度案例", chapters=["市场环境"])
    answer = upload(editor_client, [WORD], series=other, chapter=market)
    assert answer.status_code == 400
    assert f"篇章“市场环境”属于系列“{SERIES_2023}”，不属于所选的系列“2024年度案例”" in text(answer)
    assert f'<option value="{other}" selected>' in answer.get_data(as_text=True)  # choices kept
    gone = upload(editor_client, [WORD], series=other, chapter=987654)
    assert gone.status_code == 400 and "没有编号为 987654 的篇章" in text(gone)


def test_confirm_after_the_library_changed_shows_the_new_plan(editor_client, runtime, market):
    answer = upload(editor_client, [WORD], chapter=market)
    assert "新增 1" in text(answer)
    with runtime.db.session() as session:  # a colleague imports the same file meanwhile
        imports.import_now(session, [(WORD.name, WORD.read_bytes())], chapter="市场环境", actor="lisi",
                           now=runtime.clock.now())
    refused = confirm(editor_client, answer)
    words = text(refused)
    assert "预览之后案例库有了变化" in words and "导入预览" in words
    assert "新增 0" in words and "未变 1" in words  # the new plan
    assert "已导入" not in words
    assert "已导入：新增 0，更新 0，未变 1" in text(confirm(editor_client, refused))
    assert cases(runtime) == [("市场环境", "推行“一企一证”改革 实现准入准营“一次办”", 1)]


def test_confirming_twice_imports_once(editor_client, runtime, market):
    answer = upload(editor_client, [WORD], chapter=market)
    confirm(editor_client, answer)
    again = confirm(editor_client, answer)
    assert "这批文件已经导入过了" in text(again) and "导入完成" in text(again)
    assert cases(runtime) == [("市场环境", "推行“一企一证”改革 实现准入准营“一次办”", 1)]


def test_another_persons_upload_is_not_found(app, editor_client, runtime, market):
    answer = upload(editor_client, [WORD], chapter=market)
    path = answer.request.path
    with runtime.db.session() as session:
        users.create_user(session, "lisi", "Li4si-Editor-2026", "editor", now=runtime.clock.now(), actor="测试")
    other, _ = login(app, "lisi", "Li4si-Editor-2026")
    assert other.get(path).status_code == 404
    token = csrf(other)
    digest = DIGEST.search(answer.get_data(as_text=True)).group(1)
    assert other.post(f"{path}/confirm", data={"csrf_token": token, "digest": digest}).status_code == 404
    assert cases(runtime) == []
    assert editor_client.get("/library/import/no-such-token").status_code == 404


def test_an_upload_waits_a_day_for_its_confirmation(editor_client, runtime, market):
    from datetime import timedelta
    first = upload(editor_client, [WORD], chapter=market)
    assert editor_client.get(first.request.path).status_code == 200
    with runtime.db.session() as session:  # anybody's upload a day later clears the day-old ones
        imports.stage(session, [(EXCEL.name, EXCEL.read_bytes())], chapter="市场环境", actor="lisi",
                      now=runtime.clock.now() + timedelta(days=1, minutes=1))
    gone = editor_client.get(first.request.path)
    assert gone.status_code == 404 and "没有这批上传的文件（可能已过期，请重新上传）" in text(gone)


def test_an_upload_over_the_limit_says_so_clearly(app, editor_client, runtime, market, monkeypatch):
    monkeypatch.setattr(app.view_functions["importing.upload"], "upload_limit", 20_000)
    answer = upload(editor_client, [WORD], chapter=market, follow=False)
    assert answer.status_code == 413
    words = text(answer)
    assert "超过了一次最多 20 KB 的上限，没有导入任何内容" in words
    assert "请分批上传：每批最多 50 个文件" in words and "导入案例" in words
    monkeypatch.undo()
    # The service's own check (the route's limit leaves room for the form's other fields).
    monkeypatch.setattr(imports, "MAX_BATCH_BYTES", 40_000)
    answer = upload(editor_client, [WORD, EXCEL], chapter=market, follow=False)
    assert answer.status_code == 400
    assert "这批文件共 43 KB，一次最多 39 KB，请分批导入" in text(answer)
    assert cases(runtime) == []


def test_no_file_chosen_and_a_reviewer(app, editor_client, runtime, market):
    answer = upload(editor_client, [], chapter=market, follow=False)
    assert answer.status_code == 400 and "请选择要导入的文件" in text(answer)
    with runtime.db.session() as session:
        users.create_user(session, "wangfs", "Wang-Review-2026", "reviewer", now=runtime.clock.now(), actor="测试")
    reviewer, _ = login(app, "wangfs", "Wang-Review-2026")
    assert reviewer.get("/library/import").status_code == 403


def test_a_list_imported_into_the_wrong_chapter_is_flagged_before_it_replaces_other_cases(runtime):
    """Cases are found again by number: 政务服务's 01–03 uploaded into 市场环境 (which has its own
    01–03) would become new versions of other cases. The dry run says so, case by case."""
    from publishing_helpers import import_samples
    from wxpub.library import imports

    import_samples(runtime)
    data = (FIXTURES / "政务服务案例汇总.xlsx").read_bytes()
    with runtime.db.session() as s:
        plan = imports.plan(s, [("政务服务案例汇总.xlsx", data)], chapter="市场环境")
    (file_plan,) = plan.files
    updated = [o for o in file_plan.outcomes if o.action == "updated"]
    assert updated, "the sample 市场环境 has cases numbered like the list"
    messages = [w.message for w in file_plan.warnings]
    assert len([m for m in messages if "标题却不同的案例" in m]) == len(updated)
    assert all("请确认导入的篇章是否选对" in m for m in messages if "标题却不同" in m)
