"""POST /api/v1/imports: the contract of ``wxpub import --json`` over HTTP (multipart upload, login,
CSRF, editor role), the dry run, the all-or-nothing import, and the same cases as the command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from auth_helpers import login
from conftest import EDITOR_PASSWORD
from library_helpers import SERIES_2023
from wxpub.library import service
from wxpub.staff import users

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
WORD = FIXTURES / "区市场监管局-一企一证改革.docx"
CHAPTER_WORD = FIXTURES / "人文环境篇案例.docx"
EXCEL = FIXTURES / "政务服务案例汇总.xlsx"


@pytest.fixture
def api(app, editor_client):
    """(client, CSRF headers) of the logged-in editor zhangsan."""
    return login(app, "zhangsan", EDITOR_PASSWORD)


def post(api, files, **fields):
    client, headers = api
    parts = [(io.BytesIO(f.read_bytes()), f.name) if isinstance(f, Path) else (io.BytesIO(f[1]), f[0])
             for f in files]
    return client.post("/api/v1/imports", data={**fields, "files": parts}, headers=headers,
                       content_type="multipart/form-data")


def stored(runtime) -> list[str]:
    with runtime.db.session() as session:
        return [row.title for row in service.list_cases(session)]


def test_dry_run_then_import_then_unchanged(api, runtime, sample_series):
    answer = post(api, [WORD, EXCEL], chapter="市场环境", dry_run="true")
    assert answer.status_code == 200
    data = answer.get_json()
    assert (data["created"], data["updated"], data["unchanged"]) == (4, 0, 0)
    assert data["dry_run"] is True and data["applied"] is False and data["errors"] == []
    assert [c["action"] for c in data["cases"]] == ["created"] * 4
    assert all(c["id"] is None and c["series"] == SERIES_2023 and c["chapter"] == "市场环境"
               for c in data["cases"])
    assert [(f["name"], f["ok"], len(f["cases"])) for f in data["files"]] == [
        (WORD.name, True, 1), (EXCEL.name, True, 3)]
    assert data["cases"][1]["source"] == {"file": EXCEL.name, "position": "工作表“案例汇总”第4行"}
    assert stored(runtime) == []

    data = post(api, [WORD, EXCEL], chapter="市场环境").get_json()
    assert data["dry_run"] is False and data["applied"] is True and data["created"] == 4
    assert all(isinstance(c["id"], int) and c["version"] == 1 for c in data["cases"])
    assert len(stored(runtime)) == 4

    for flag in ("1", "yes"):
        again = post(api, [WORD, EXCEL], chapter="市场环境", dry_run=flag).get_json()
        assert again["unchanged"] == 4 and again["dry_run"] is True
    assert post(api, [WORD, EXCEL], chapter="市场环境").get_json()["unchanged"] == 4


def test_an_update_carries_its_changes(api, runtime, sample_series):
    post(api, [EXCEL], chapter="政务环境")
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(EXCEL.read_bytes()))
    book.active["B5"] = "推行告知承诺制审批 项目开工再提速增效"
    buffer = io.BytesIO()
    book.save(buffer)
    data = post(api, [(EXCEL.name, buffer.getvalue())], chapter="政务环境").get_json()
    assert (data["created"], data["updated"], data["unchanged"]) == (0, 1, 2)
    (updated,) = [c for c in data["cases"] if c["action"] == "updated"]
    assert updated["version"] == 2
    assert updated["changes"] == [{"field": "title", "label": "标题", "kind": "changed",
                                   "old": "推行告知承诺制审批 项目开工再提速",
                                   "new": "推行告知承诺制审批 项目开工再提速增效",
                                   "ops": [["equal", "推行告知承诺制审批 项目开工再提速"], ["insert", "增效"]]}]


def test_any_error_imports_nothing_unless_a_dry_run(api, runtime, sample_series):
    files = [WORD, ("扫描件.pdf", b"%PDF-1.7\n"), ("坏表.xlsx", EXCEL.read_bytes()[:500])]
    answer = post(api, files, chapter="市场环境")
    assert answer.status_code == 400
    data = answer.get_json()
    assert data["error"] == "invalid" and data["applied"] is False
    assert data["message"].startswith("2 个文件有错误，本批次未导入任何内容：扫描件.pdf、坏表.xlsx。")
    assert "不支持导入“.pdf”类型的文件" in data["message"]
    assert [e["file"] for e in data["errors"]] == ["扫描件.pdf", "坏表.xlsx"]
    assert data["errors"][0]["code"] == "unsupported_type"
    assert [f["ok"] for f in data["files"]] == [True, False, False]
    assert stored(runtime) == []
    dry = post(api, files, chapter="市场环境", dry_run="1")
    assert dry.status_code == 200 and "error" not in dry.get_json()
    assert dry.get_json()["created"] == 1 and len(dry.get_json()["errors"]) == 2


def test_where_the_files_do_not_say_and_an_unknown_chapter(api, runtime, sample_series):
    data = post(api, [WORD], dry_run="1").get_json()  # the series is the only open one
    (error,) = data["errors"]
    assert error["code"] == "target" and error["location"] == "第1段"
    assert "没有指定篇章，请选择导入到系列" in error["message"] and "市场环境、政务环境" in error["message"]
    data = post(api, [WORD], series=SERIES_2023, chapter="人文", dry_run="1").get_json()
    assert "是否指“人文环境”？" in data["errors"][0]["message"]
    answer = post(api, [WORD], series="2019年度", chapter="市场环境")
    assert answer.status_code == 400 and "没有系列“2019年度”" in answer.get_json()["message"]


def test_a_file_name_is_its_own_name_without_folders(api, sample_series):
    data = post(api, [("报送材料/市场监管局/一企一证.docx", WORD.read_bytes())], chapter="市场环境",
                dry_run="1").get_json()
    assert data["files"][0]["name"] == "一企一证.docx"
    assert data["cases"][0]["source"]["file"] == "一企一证.docx"


def test_no_files_and_who_may(app, api, runtime, sample_series):
    client, headers = api
    answer = client.post("/api/v1/imports", data={"chapter": "市场环境"}, headers=headers,
                         content_type="multipart/form-data")
    assert answer.status_code == 400 and "没有收到文件" in answer.get_json()["message"]
    assert client.post("/api/v1/imports", json={"files": []}, headers=headers).status_code == 400
    no_csrf = client.post("/api/v1/imports", data={"files": [(io.BytesIO(WORD.read_bytes()), WORD.name)]},
                          content_type="multipart/form-data")
    assert no_csrf.status_code == 400 and no_csrf.get_json()["error"] == "csrf"
    assert app.test_client().post("/api/v1/imports").status_code in (400, 401)  # CSRF or login
    with runtime.db.session() as session:
        users.create_user(session, "wangfs", "Wang-Review-2026", "reviewer", now=runtime.clock.now(), actor="测试")
    reviewer = login(app, "wangfs", "Wang-Review-2026")
    assert post(reviewer, [WORD], chapter="市场环境").status_code == 403
    assert stored(runtime) == []


def test_over_the_upload_limit(app, api, sample_series, monkeypatch):
    monkeypatch.setattr(app.view_functions["api.api_imports_create_import"], "upload_limit", 10_000)
    answer = post(api, [WORD], chapter="市场环境")
    assert answer.status_code == 413
    assert answer.get_json() == {"error": "too_large",
                                 "message": "上传的文件或提交的内容超过了允许的大小（上限 9.77 KB）。"}


@pytest.mark.parametrize("fixture,options", [
    (WORD, ["--chapter", "市场环境"]), (EXCEL, ["--chapter", "政务环境"]), (CHAPTER_WORD, [])])
def test_the_same_cases_as_the_command_line(api, cli, sample_series, monkeypatch, fixture, options):
    form = {"chapter": options[1]} if options else {}
    over_http = post(api, [fixture], dry_run="1", **form).get_json()
    monkeypatch.chdir(FIXTURES)
    result = cli("import", "--json", fixture.name, *options)
    assert result.exit_code == 0, result.output
    command = json.loads(result.stdout)

    def without_ids(cases):
        return [{k: v for k, v in c.items() if k not in ("id", "changes")} for c in cases]
    assert without_ids(over_http["cases"]) == without_ids(command["cases"])
    assert {k: over_http[k] for k in ("created", "updated", "unchanged", "errors", "warnings")} == \
           {k: command[k] for k in ("created", "updated", "unchanged", "errors", "warnings")}
    after = post(api, [fixture], dry_run="1", **form).get_json()
    assert after["unchanged"] == len(command["cases"]) and after["created"] == 0
    assert [c["id"] for c in after["cases"]] == [c["id"] for c in command["cases"]]
