"""Where an import goes: into series and chapters staff created — never a new chapter by accident."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from library_helpers import SERIES_2023, make_series
from wxpub.models import Case, Chapter, Series

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
WORD = FIXTURES / "区市场监管局-一企一证改革.docx"   # names neither series nor chapter
EXCEL = FIXTURES / "政务服务案例汇总.xlsx"


def count(runtime, model) -> int:
    with runtime.db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_unknown_chapter_is_refused_with_the_chapters_and_the_nearest_one(cli, runtime, sample_series):
    result = cli("import", str(WORD), "--chapter", "人文")
    assert result.exit_code == 2
    assert str(WORD) in result.stderr and "没有篇章“人文”" in result.stderr
    assert "是否指“人文环境”" in result.stderr
    assert "市场环境、政务环境、法治环境、人文环境" in result.stderr
    assert count(runtime, Case) == 0 and count(runtime, Chapter) == 4  # no fifth chapter


def test_a_file_naming_no_series_goes_to_the_only_open_one(cli, runtime, sample_series):
    data = json.loads(cli("import", str(WORD), "--chapter", "市场环境", "--json").stdout)
    assert [c["action"] for c in data["cases"]] == ["created"]
    with runtime.db.session() as s:
        (case,) = s.scalars(select(Case))
        assert case.chapter.series.name == SERIES_2023 and case.chapter.name == "市场环境"


def test_with_several_open_series_the_error_names_the_file_and_the_choices(cli, runtime, sample_series):
    make_series(runtime, "2024年度案例", ["市场环境"])
    result = cli("import", str(WORD), "--chapter", "市场环境")
    assert result.exit_code == 2
    assert str(WORD) in result.stderr and "没有写明所属系列" in result.stderr
    assert f"“{SERIES_2023}”" in result.stderr and "“2024年度案例”" in result.stderr
    assert count(runtime, Case) == 0
    # closing the older series leaves one open: the same import then goes there
    assert cli("series", "close", SERIES_2023).exit_code == 0
    assert cli("import", str(WORD), "--chapter", "市场环境").exit_code == 0
    with runtime.db.session() as s:
        (case,) = s.scalars(select(Case))
        assert case.chapter.series.name == "2024年度案例"


def test_an_unknown_series_is_refused_and_nothing_is_created(cli, runtime, sample_series):
    result = cli("import", str(EXCEL), "--series", "2023年度滨海新区优化营商环境创新实践", "--chapter", "政务环境")
    assert result.exit_code == 2
    assert "没有系列“2023年度滨海新区优化营商环境创新实践”" in result.stderr
    assert f"是否指“{SERIES_2023}”" in result.stderr
    assert count(runtime, Series) == 1 and count(runtime, Case) == 0


def test_keep_going_skips_only_the_file_whose_chapter_is_unknown(cli, runtime, sample_series):
    result = cli("import", str(WORD), str(EXCEL), "--chapter", "政务", "--keep-going")
    assert result.exit_code == 3 and result.stderr.count("已跳过") == 2  # both skipped
    assert count(runtime, Case) == 0
    result = cli("import", str(EXCEL), "--chapter", "政务环境", "--keep-going", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["created"] == 3


def test_series_commands_create_and_add_a_chapter_deliberately(cli, runtime):
    assert cli("series", "create", "测试系列", "--chapters", "市场环境、政务环境").exit_code == 0
    refused = cli("import", str(WORD), "--chapter", "法治环境")
    assert refused.exit_code == 2 and "现有篇章：市场环境、政务环境" in refused.stderr
    added = cli("series", "add-chapter", "测试系列", "法治环境")
    assert added.exit_code == 0 and "第 3 篇" in added.stdout
    assert cli("import", str(WORD), "--chapter", "法治环境").exit_code == 0
    listed = json.loads(cli("series", "list", "--json").stdout)["series"]
    (series,) = listed
    assert [c["name"] for c in series["chapters"]] == ["市场环境", "政务环境", "法治环境"]
    assert series["chapters"][2]["counts"]["pending"] == 1
    duplicate = cli("series", "create", "测试系列")
    assert duplicate.exit_code != 0 and "已经存在" in duplicate.stderr
