"""Character diffs and field-by-field diffs of case content."""

from __future__ import annotations

import random
import time

import pytest

from wxpub.core.content import CaseContent, Image, Point
from wxpub.core.textdiff import FieldDiff, char_diff, diff_fields, diff_html, field_label

ALPHABET = "滨海新区营商环境优化创新服务企业群众政务一网通办，。、“”（）0123456789ab "


def _sides(ops):
    a = "".join(t for op, t in ops if op in ("equal", "delete"))
    b = "".join(t for op, t in ops if op in ("equal", "insert"))
    return a, b


def _mutate(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        k = rng.randrange(len(chars) + 1)
        what = rng.random()
        if what < 0.4 and chars and k < len(chars):
            del chars[k:k + rng.randint(1, 5)]
        elif what < 0.7:
            chars[k:k] = rng.choices(ALPHABET, k=rng.randint(1, 6))
        elif chars and k < len(chars):
            chars[k] = rng.choice(ALPHABET)
    return "".join(chars)


def _well_formed(ops):
    assert all(op in ("equal", "insert", "delete") and text for op, text in ops)
    assert all(x[0] != y[0] for x, y in zip(ops, ops[1:]))      # adjacent ops merged
    assert all(not (x[0] == "insert" and y[0] == "delete") for x, y in zip(ops, ops[1:]))


@pytest.mark.parametrize("seed", range(40))
def test_ops_reconstruct_both_strings(seed):
    rng = random.Random(seed)
    a = "".join(rng.choices(ALPHABET, k=rng.randint(0, 300)))
    b = _mutate(rng, a, rng.randint(0, 12)) if seed % 4 else "".join(rng.choices(ALPHABET, k=80))
    ops = char_diff(a, b)
    _well_formed(ops)
    assert _sides(ops) == (a, b)


@pytest.mark.parametrize("seed", range(5))
def test_long_texts_go_paragraph_first_and_stay_fast(seed):
    rng = random.Random(1000 + seed)
    paras = ["".join(rng.choices(ALPHABET[:-1], k=rng.randint(50, 400))) + "。\n" for _ in range(60)]
    a = "".join(paras)
    changed = list(paras)
    for k in rng.sample(range(60), 5):
        changed[k] = _mutate(rng, changed[k], 3)
    changed.insert(10, "新增的一段内容。\n")
    b = "".join(changed)
    start = time.perf_counter()
    ops = char_diff(a, b)
    assert time.perf_counter() - start < 2.0
    _well_formed(ops)
    assert _sides(ops) == (a, b)
    assert sum(len(t) for op, t in ops if op != "equal") < 400  # edits stay small, not "all new"


def test_small_examples():
    assert char_diff("营商环境", "营商新环境") == [("equal", "营商"), ("insert", "新"), ("equal", "环境")]
    assert char_diff("企业,群众", "企业，群众") == [("equal", "企业"), ("delete", ","), ("insert", "，"),
                                                   ("equal", "群众")]
    assert char_diff("一网通办", "") == [("delete", "一网通办")]
    assert char_diff("", "一网通办") == [("insert", "一网通办")]
    assert char_diff("同", "同") == [("equal", "同")]
    assert char_diff("", "") == []


def test_diff_html_escapes_and_marks_up():
    ops = char_diff("<b>旧</b>&", "<b>新</b>&<script>alert(1)</script>")
    out = diff_html(ops)
    assert "<del>旧</del><ins>新</ins>" in out
    assert "<script" not in out and "&lt;script&gt;" in out and "&lt;b&gt;" in out
    assert "&amp;" in out and "style" not in out
    assert diff_html([("equal", '"引号"')]) == "&quot;引号&quot;"


def _case(**changes) -> dict:
    base = dict(series="系列", chapter="人文环境", number=1, title="创新模式 集聚人才",
                unit="区委人才办", contact={"电话": "022-66666666", "联系人": "王老师"},
                lead=("第一段导语内容比较长。", "第二段导语内容。"),
                points=(Point("一是强化引领，", "做好服务。"), Point("二是优化流程，", "提高效率。")),
                closing=("结尾段落。",),
                images=(Image("a.png", b"AAA", "image/png", caption="活动现场"),))
    base.update(changes)
    return CaseContent(**base).content_dict()


def test_unchanged_content_has_no_diff():
    assert diff_fields(_case(), _case()) == []


def test_each_field_path_and_label():
    old = _case()
    new = _case(title="创新模式 集聚英才", unit="区人才办",
                contact={"电话": "022-88888888", "联系人": "王老师", "邮箱": "rc@bh.gov.cn"},
                points=(Point("一是强化引领，", "做好服务。"), Point("二是优化流程，", "大幅提高效率。")),
                closing=(),
                images=(Image("a.png", b"AAA", "image/png", caption="活动现场照片"),))
    got = {(d.field, d.label, d.kind) for d in diff_fields(old, new)}
    assert got == {
        ("title", "标题", "changed"),
        ("unit", "报送单位", "changed"),
        ("contact.电话", "联系方式·电话", "changed"),
        ("contact.邮箱", "联系方式·邮箱", "added"),
        ("points.2", "要点2", "changed"),
        ("closing.1", "结尾第1段", "removed"),
        ("images.1.caption", "图片1说明", "changed"),
    }
    title = next(d for d in diff_fields(old, new) if d.field == "title")
    assert isinstance(title, FieldDiff) and (title.old, title.new) == ("创新模式 集聚人才", "创新模式 集聚英才")
    assert _sides(title.ops) == (title.old, title.new)
    point = next(d for d in diff_fields(old, new) if d.field == "points.2")
    assert point.old == "二是优化流程，提高效率。" and ("insert", "大幅") in point.ops


def test_inserted_paragraph_is_one_added():
    old = _case(lead=("甲段：滨海新区优化营商环境。", "乙段：持续深化放管服改革。", "丙段：服务企业群众。"))
    new = _case(lead=("甲段：滨海新区优化营商环境。", "新段：全新插入的一段。", "乙段：持续深化放管服改革。",
                      "丙段：服务企业群众。"))
    diffs = diff_fields(old, new)
    assert [(d.field, d.label, d.kind, d.old, d.new) for d in diffs] == [
        ("lead.2", "导语第2段", "added", "", "新段：全新插入的一段。")]
    back = diff_fields(new, old)
    assert [(d.field, d.kind) for d in back] == [("lead.2", "removed")]


def test_insert_next_to_an_edit_pairs_the_similar_paragraph():
    old = _case(closing=("第一段结尾文字保持不变。", "第二段结尾讲成效显著。"))
    new = _case(closing=("第一段结尾文字保持不变。", "完全不同的新内容", "第二段结尾讲成效十分显著。"))
    got = [(d.field, d.kind) for d in diff_fields(old, new)]
    assert got == [("closing.2", "added"), ("closing.3", "changed")]


def test_points_compare_lead_plus_rest():
    old = _case(points=(Point("一是强化引领，", "做好服务。"),))
    moved = _case(points=(Point("一是强化引领，做好", "服务。"),))
    assert diff_fields(old, moved) == []   # same text, only the bold split moved
    edited = _case(points=(Point("一是强化引领,", "做好服务。"),))
    (d,) = diff_fields(old, edited)
    assert (d.field, d.kind) == ("points.1", "changed")
    assert d.ops == (("equal", "一是强化引领"), ("delete", "，"), ("insert", ","), ("equal", "做好服务。"))


def test_images_added_and_removed():
    old = _case()
    new = _case(images=(Image("a.png", b"AAA", "image/png", caption="活动现场"),
                        Image("b.png", b"BBB", "image/png", caption="签约仪式")))
    (d,) = diff_fields(old, new)
    assert (d.field, d.label, d.kind, d.new) == ("images.2", "图片2", "added", "b.png：签约仪式")
    (gone,) = diff_fields(new, old)
    assert (gone.field, gone.kind) == ("images.2", "removed")


def test_field_labels():
    assert field_label("lead.3") == "导语第3段"
    assert field_label("closing.1") == "结尾第1段"
    assert field_label("points.12") == "要点12"
    assert field_label("images.2.caption") == "图片2说明"
