"""`wxpub import` through its CLI contract: JSON shape, idempotence, versions, dry runs, bad batches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from wxpub.models import Case, CaseVersion

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PAGE = ROOT / "tests" / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"


@pytest.fixture
def wxpub(cli):
    """The `wxpub` command, in-process, on the test database."""
    return cli


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_sample_page_imports_with_the_json_contract(wxpub, sample_series):
    data = _json(wxpub("import", str(SAMPLE_PAGE), "--json"))
    assert {"cases", "created", "updated", "unchanged"} <= set(data)
    assert data["created"] == 5 and data["updated"] == 0 and data["unchanged"] == 0
    first = data["cases"][0]
    assert set(first) >= {"number", "title", "chapter", "unit", "points", "paragraphs"}
    assert first["number"] == 1
    assert first["title"] == "创新“双招双引”模式 集聚创新创业领军人才"
    assert first["chapter"] == "人文环境"
    assert first["points"][0].startswith("一是全领域覆盖发布招才榜")
    assert len(first["points"]) == 3
    every_text = " ".join(p for c in data["cases"] for p in c["points"] + c["paragraphs"])
    for chrome in ("当前位置", "发布日期", "扫一扫", "checktaskdate", "重点链接", "字号"):
        assert chrome not in every_text


def test_reimport_changes_nothing_and_an_edit_adds_a_version(wxpub, runtime, tmp_path, sample_series):
    source = tmp_path / "page.txt"
    shutil.copy(SAMPLE_PAGE, source)
    _json(wxpub("import", str(source), "--json"))
    again = _json(wxpub("import", str(source), "--json"))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)

    text = source.read_text(encoding="utf-8").replace("比2022年增长50%", "比2022年增长52%")
    source.write_text(text, encoding="utf-8")
    preview = _json(wxpub("import", str(source), "--json", "--dry-run"))
    assert preview["updated"] == 1 and preview["dry_run"] is True
    with runtime.db.session() as s:
        assert s.scalar(select(func.count(CaseVersion.id))) == 5  # dry run wrote nothing

    applied = _json(wxpub("import", str(source), "--json"))
    assert applied["updated"] == 1 and applied["unchanged"] == 4
    with runtime.db.session() as s:
        case = s.scalar(select(Case).where(Case.number == 1))
        assert [v.version for v in case.versions] == [1, 2]
        assert "52%" in json.dumps(case.current_version.content, ensure_ascii=False)
        assert "50%" in json.dumps(case.versions[0].content, ensure_ascii=False)


def test_articles_folder_imports_a_whole_series(wxpub):
    data = _json(wxpub("import", str(ROOT / "articles"), "--json"))
    chapters = {c["chapter"] for c in data["cases"]}
    assert chapters == {"市场环境", "政务环境", "法治环境", "人文环境"}
    assert any(c["images"] for c in data["cases"])
    # Contacts stay out of every body.
    assert not any("联系人" in p for c in data["cases"] for p in c["paragraphs"] + c["points"])


def test_a_bad_file_stops_the_whole_batch(wxpub, runtime, tmp_path, sample_series):
    good = tmp_path / "good.txt"
    shutil.copy(SAMPLE_PAGE, good)
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = wxpub("import", str(good), str(bad), str(empty))
    assert result.exit_code != 0
    assert "broken.docx" in result.stderr and "empty.txt" in result.stderr
    with runtime.db.session() as s:
        assert s.scalar(select(func.count(Case.id))) == 0

    kept = wxpub("import", str(good), str(bad), "--keep-going", "--json")
    assert kept.exit_code != 0
    data = json.loads(kept.stdout)
    assert data["created"] == 5
    assert [e["file"] for e in data["errors"]] == [str(bad)]


def test_missing_path_is_named(wxpub, tmp_path):
    result = wxpub("import", str(tmp_path / "nope.docx"))
    assert result.exit_code == 2 and "nope.docx" in result.stderr


def test_curation_commands(wxpub, runtime, sample_series):
    _json(wxpub("import", str(SAMPLE_PAGE), "--json"))
    cases = _json(wxpub("case", "list", "--json"))["cases"]
    ids = [c["id"] for c in cases]
    assert wxpub("case", "select", str(ids[0]), str(ids[2])).exit_code == 0
    assert wxpub("case", "reject", str(ids[1])).exit_code == 0
    assert wxpub("case", "score", str(ids[0]), "91.5").exit_code == 0
    bad = wxpub("case", "score", str(ids[0]), "150")
    assert bad.exit_code == 2 and "0 到 100" in bad.stderr
    with runtime.db.session() as s:
        chapter_id = s.get(Case, ids[0]).chapter_id
    assert wxpub("case", "order", str(chapter_id), str(ids[4]), str(ids[0])).exit_code == 0
    after = _json(wxpub("case", "list", "--json", "--status", "selected"))["cases"]
    assert [c["id"] for c in after] == [ids[0], ids[2]]
    ordered = _json(wxpub("case", "list", "--json"))["cases"]
    assert [c["id"] for c in ordered][:2] == [ids[4], ids[0]]
    assert ordered[1]["score"] == 91.5
