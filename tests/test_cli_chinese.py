"""The `wxpub` command speaks Chinese (issue 11, item 7): click's usage lines, headings, `--help` and
error messages; help text for every option; `case order` by chapter name; chapter ids in
`case list --json`; unsupported file types refused by name."""

from __future__ import annotations

import ast
import gettext
import json
import re
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select

from wxpub.cli import i18n
from wxpub.cli.main import main
from wxpub.core.importers import SourceError
from wxpub.library import sources
from wxpub.models import Case, Chapter

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "articles"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_CLICK = ("Usage:", "Options:", "Commands:", "Show this message", "Show the version", "[OPTIONS]",
                 "COMMAND [ARGS]", "Error:", "Try '", "[default:", "[required]")


def _commands(command: click.Command = main, path: tuple[str, ...] = ("wxpub",)):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, path + (name,))


def _failure(result, *expected: str) -> str:
    """A usage error: exit status 2, Chinese on standard error, no English click boilerplate."""
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.stderr, result.stderr
    for english in ENGLISH_CLICK:
        assert english not in result.output
    return result.stderr


# --- click's own texts ----------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_group_help_is_chinese(cli, flag):
    result = cli(flag)
    assert result.exit_code == 0, result.output
    for text in ("用法：", "wxpub [选项] 命令 [参数]...", "选项：", "命令：", "显示此帮助并退出。",
                 "显示版本号并退出。", "案例择优"):
        assert text in result.output
    for english in ENGLISH_CLICK:
        assert english not in result.output


def test_subcommand_help_is_chinese_and_documents_its_arguments(cli):
    render = cli("render", "--help")
    assert render.exit_code == 0
    for text in ("用法：", "wxpub render [选项]", "选项：", "--chapter 篇章名", "[必填]", "[默认：政务红]",
                 "显示此帮助并退出。"):
        assert text in render.output
    order = cli("case", "order", "-h")
    assert "wxpub case order [选项] 篇章名 案例编号..." in order.output
    assert "wxpub case order 市场环境" in order.output
    for result in (render, order):
        for english in ENGLISH_CLICK:
            assert english not in result.output


def test_help_lines_fit_the_terminal_counting_chinese_as_two_columns(cli):
    import unicodedata

    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["user", "create", "--help"], terminal_width=60)
    widths = [sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
              for line in result.output.splitlines()]
    assert max(widths) <= 60 and len(widths) > 12  # wrapped, not cut
    assert not any(line.lstrip().startswith(("，", "。", "、", "；", "）")) for line in result.output.splitlines())


def test_unknown_command_is_chinese_with_status_2(cli):
    _failure(cli("nope"), "错误：没有命令“nope”。", "运行“wxpub --help”查看帮助。", "用法：")


@pytest.mark.parametrize("args,expected", [
    (("render",), "错误：缺少选项“--chapter”。"),
    (("case", "order"), "错误：缺少参数“篇章名”。"),
    (("user", "set-role", "zhangsan"), "错误：缺少参数“角色”。"),
    (("serve", "--port", "abc"), "错误：“--port”的值无效：“abc”不是有效的整数。"),
    (("case", "score", "1", "很好"), "“评分”的值无效：“很好”不是有效的数字。"),
    (("demo", "--gap", "0"), "“--gap”的值无效：0 不在允许的范围 1<=x<=600 内。"),
    (("scheduler", "--log-level", "LOUD"), "“LOUD”不是可选值之一：“DEBUG”、“INFO”、“WARNING”、“ERROR”。"),
    (("serve", "--prot", "1"), "没有选项“--prot”。"),
    (("db", "current", "extra"), "多余的参数（extra）"),
    (("series", "cover", "某系列", "/no/such/cover.png"), "文件“/no/such/cover.png”不存在。"),
    (("import", "--series"), "选项“--series”需要一个值。"),
])
def test_usage_errors_are_chinese(cli, args, expected):
    _failure(cli(*args), expected)


def test_a_mistyped_option_gets_a_chinese_suggestion(cli):
    _failure(cli("serve", "--prot", "1"), "是不是要输入", "“--port”")


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and "wxpub，版本 " in result.output


def test_every_option_of_every_command_has_chinese_help():
    """The guard: adding an option (or a command) without Chinese help text fails here."""
    missing = []
    for path, command in _commands():
        if not CHINESE.search(command.help or command.short_help or ""):
            missing.append(f"{' '.join(path)}：命令没有中文说明")
        for param in command.params:
            name = "/".join(param.opts)
            if isinstance(param, click.Option) and not CHINESE.search(param.help or ""):
                missing.append(f"{' '.join(path)} {name}：选项没有中文 help")
            if isinstance(param, click.Argument) and not CHINESE.search(param.metavar or ""):
                missing.append(f"{' '.join(path)} {name}：参数没有中文 metavar（并在命令说明中解释它）")
    assert missing == []
    assert len(list(_commands())) > 30  # the walk really went through the sub-groups


def test_the_catalogue_uses_clicks_own_msgids_and_covers_every_one_staff_can_see():
    """Each msgid is spelt exactly as in the installed click; a click upgrade adding one shows here."""
    used, plural_pairs = set(), set()
    for path in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if node.func.id == "_" and texts:
                    used.add(texts[0])
                elif node.func.id == "ngettext" and len(texts) == 2:
                    plural_pairs.add(tuple(texts))
    used.add("required")  # click translates the constant extra["required"]
    assert set(i18n.MESSAGES) <= used
    assert {(one, entry[0]) for one, entry in i18n.PLURALS.items()} <= plural_pairs
    developer_errors = {m for m in used if m.startswith(("Could not determine name", "No options defined",
                                                         "Arguments take exactly", "Name '{name}' defined",
                                                         "Boolean option", "Choice(", "Windows error"))}
    assert used - set(i18n.MESSAGES) - developer_errors == set()
    assert {one for one, _ in plural_pairs} == set(i18n.PLURALS)
    pairs = list(i18n.MESSAGES.items()) + [pair for one, (many, chinese_one, chinese_many) in i18n.PLURALS.items()
                                           for pair in ((one, chinese_one), (many, chinese_many))]
    for source, text in pairs:  # the placeholders of a translation are click's own
        assert _placeholders(text) <= _placeholders(source), source


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)", text)) | set(re.findall(r"%\((\w+)\)", text))


def test_only_clicks_own_names_are_replaced():
    assert gettext.gettext("Usage:") == "Usage:"  # Python's global gettext is untouched
    assert click.core._("Usage:") == "用法："
    i18n.uninstall()
    try:
        assert click.core._("Usage:") == "Usage:" and click.formatting._ is gettext.gettext
    finally:
        i18n.install()
    assert click.formatting._("Options") == "选项"


# --- case order by chapter name, chapter ids in case list -----------------------------------------

def _cases(cli, *args) -> list[dict]:
    result = cli("case", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["cases"]


def test_case_list_json_has_chapter_and_series_ids(cli, runtime):
    assert cli("import", str(ARTICLES)).exit_code == 0
    cases = _cases(cli)
    assert cases
    with runtime.db.session() as s:
        for case in cases:
            chapter = s.get(Chapter, case["chapter_id"])
            assert chapter.name == case["chapter"] and chapter.series_id == case["series_id"]
            assert chapter.series.name == case["series"]


def test_case_order_takes_the_chapter_by_name(cli, runtime):
    assert cli("import", str(ARTICLES)).exit_code == 0
    ids = [c["id"] for c in _cases(cli, "--chapter", "市场环境")]
    assert len(ids) >= 2
    wanted = list(reversed(ids))
    result = cli("case", "order", "市场环境", *map(str, wanted))
    assert result.exit_code == 0, result.output
    assert [c["id"] for c in _cases(cli, "--chapter", "市场环境")] == wanted
    assert f"第1位：[{wanted[0]}]" in result.output

    series = _cases(cli)[0]["series"]
    assert cli("case", "order", "市场环境篇", str(ids[0]), "--series", series).exit_code == 0
    assert [c["id"] for c in _cases(cli, "--chapter", "市场环境")][0] == ids[0]

    chapter_id = _cases(cli, "--chapter", "市场环境")[0]["chapter_id"]  # scripts may still give the id
    assert cli("case", "order", str(chapter_id), str(ids[1])).exit_code == 0
    assert [c["id"] for c in _cases(cli, "--chapter", "市场环境")][0] == ids[1]


def test_case_order_with_an_unknown_chapter_names_it(cli, runtime):
    assert cli("import", str(ARTICLES)).exit_code == 0
    some_id = _cases(cli)[0]["id"]
    result = cli("case", "order", "旅游环境", str(some_id))
    assert result.exit_code == 2
    assert "错误：" in result.stderr and "没有篇章“旅游环境”" in result.stderr
    unknown_id = cli("case", "order", "99999", str(some_id))
    assert unknown_id.exit_code == 2 and "没有编号为 99999 的篇章" in unknown_id.stderr


# --- unsupported file types -------------------------------------------------------------------------

def _count(runtime) -> int:
    with runtime.db.session() as s:
        return s.scalar(select(func.count(Case.id)))


@pytest.mark.parametrize("name,data", [
    ("营商环境案例.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
    ("案例.pdf", "创新“双招双引”模式\n这其实是一页文字。\n".encode()),  # the name decides, not a sniff
    ("旧案例.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64),
    ("案例表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64),
    ("汇报.pptx", b"PK\x03\x04" + b"\0" * 64),
    ("材料.zip", b"PK\x03\x04" + b"\0" * 64),
    ("现场.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64),
])
def test_an_unsupported_type_is_refused_by_name_and_nothing_is_imported(cli, runtime, tmp_path, name, data):
    source = tmp_path / name
    source.write_bytes(data)
    result = cli("import", str(source), "--json")
    assert result.exit_code == 2, result.output
    suffix = source.suffix
    assert f"错误：{source}：不支持导入 {suffix} 文件" in result.stderr
    assert ".docx .xlsx .md .txt .html" in result.stderr
    if suffix in (".doc", ".xls"):
        assert f"“另存为” {suffix}x 格式" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output
    assert _count(runtime) == 0


def test_one_unsupported_file_stops_the_whole_batch(cli, runtime, tmp_path):
    pdf = tmp_path / "附件.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    result = cli("import", str(ARTICLES), str(pdf))
    assert result.exit_code == 2
    assert str(pdf) in result.stderr and "本批次未导入任何内容" in result.stderr
    assert _count(runtime) == 0


def test_check_supported_for_a_single_upload():
    sources.check_supported("案例.docx")
    sources.check_supported("页面.HTML")
    with pytest.raises(SourceError) as error:
        sources.check_supported("案例.doc")
    assert error.value.code == "unsupported" and error.value.file == "案例.doc"
    assert "Word" in error.value.message and ".docx" in error.value.message
