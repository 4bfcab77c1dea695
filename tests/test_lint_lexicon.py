"""The office's lexicon file: loading, using, and errors that name the line."""

from __future__ import annotations

import dataclasses

import pytest

from wxpub.core.lint import LexiconError, lint_message, load_lexicon, parse_lexicon
from wxpub.core.render import render_chapter
from wxpub.core.render.samples import sample_chapter


def test_seed_lexicon_loads_with_all_three_kinds():
    lexicon = load_lexicon()
    kinds = {e.kind for e in lexicon.entries}
    assert kinds == {"wording", "term", "pattern"}
    assert any(e.regex.search("中华人民共合国") for e in lexicon.entries if e.kind == "wording")


def test_office_file_extends_the_checks(tmp_path):
    path = tmp_path / "词库.yaml"
    path.write_text(
        "version: 1\n"
        "wording_errors:\n"
        "  - {wrong: 滨海新区政务服务办公室主任办, right: 区政务服务办}\n"
        "terms:\n"
        "  - word: 示范项目\n"
        "    category: 待核实\n"
        "    severity: warning\n"
        "    note: 请核对项目名称\n",
        encoding="utf-8")
    lexicon = load_lexicon(path)
    msg = render_chapter(sample_chapter(5))
    hits = [f for f in lint_message(msg, lexicon) if f.rule == "lexicon.sensitive"]
    assert hits and all(f.severity == "warning" and f.location.case == 5 for f in hits)
    assert "待核实" in hits[0].message
    # The seed's words are not in the office file, so they are not checked with it.
    base = sample_chapter(1)
    bad = dataclasses.replace(base.cases[0], lead=("攻府工作报告",))
    msg = render_chapter(dataclasses.replace(base, cases=(bad,)))
    assert not [f for f in lint_message(msg, lexicon) if f.rule == "lexicon.wording"]
    assert [f for f in lint_message(msg) if f.rule == "lexicon.wording"]


@pytest.mark.parametrize("text, line, words", [
    ("version: 1\nterms:\n  - {word: 秘密, severity: high}\n", 3, "blocking 或 warning"),
    ("version: 1\nterms:\n  - {word: 秘密, colour: red}\n", 3, "未知字段“colour”"),
    ("version: 1\nwording_errors:\n  - {wrong: 攻府}\n", 3, "缺少 right"),
    ("version: 1\npatterns:\n  - {pattern: '(秘密'}\n", 3, "正则表达式有误"),
    ("version: 1\nterms:\n  word: 秘密\n", 3, "应为列表"),
    ("version: 1\nterms: [\n  - a\n", 3, "YAML 格式错误"),
    ("version: 1\nthings: []\n", 2, "未知字段“things”"),
])
def test_bad_lexicon_names_the_line(text, line, words):
    with pytest.raises(LexiconError) as err:
        parse_lexicon(text, "office.yaml")
    message = str(err.value)
    assert f"office.yaml 第 {line} 行" in message and words in message


def test_missing_or_empty_file_gives_a_chinese_error(tmp_path):
    with pytest.raises(LexiconError, match="无法读取词库文件"):
        load_lexicon(tmp_path / "none.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(LexiconError, match="空文件"):
        load_lexicon(empty)
