"""Half-width punctuation in Chinese text: what is converted, what stays, and the lint wiring."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest

from wxpub.core.lint import Location, lint_article, lint_message
from wxpub.core.lint.punctuation import (RULE, check_punctuation, find_halfwidth, fix_halfwidth,
                                         fix_halfwidth_split)
from wxpub.core.render import render_chapter
from wxpub.core.render.samples import sample_chapter

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"


@pytest.mark.parametrize("text, fixed", [
    ("企业,群众", "企业，群众"),
    ("企业, 群众", "企业，群众"),
    ("企业 ,  群众", "企业，群众"),
    ("一是强化政策引领;二是优化服务:三是", "一是强化政策引领；二是优化服务：三是"),
    ("真的吗?", "真的吗？"),
    ("真的吗?!", "真的吗？！"),
    ("!?企业", "！？企业"),
    ("营商环境(试行)", "营商环境（试行）"),
    ("“一网通办”(政务服务)", "“一网通办”（政务服务）"),
    ("生产总值(GDP)增长", "生产总值（GDP）增长"),
    ("(1)加强组织领导", "（1）加强组织领导"),
    ("方案 (试行) 以来", "方案（试行）以来"),
    ("实施办法（试行)以来", "实施办法（试行）以来"),  # a mixed pair is made whole
    ("比2022年增长42%,青年创客组", "比2022年增长42%，青年创客组"),
    ("“组合拳”,吸引", "“组合拳”，吸引"),
    ("工作方案》,编制", "工作方案》，编制"),
    ("时间10:30,地点", "时间10:30，地点"),
    ("价格,3,000元", "价格，3,000元"),
    ("发布日期: 2024-02-04 08:47", "发布日期：2024-02-04 08:47"),
    ("访问http://a.b/c?x=1,了解详情", "访问http://a.b/c?x=1，了解详情"),
    ("邮箱a.b@c.gov.cn,电话", "邮箱a.b@c.gov.cn，电话"),
    ("他说:Hello, world! 然后离开", "他说：Hello, world！然后离开"),
])
def test_half_width_marks_in_chinese_are_converted(text, fixed):
    assert fix_halfwidth(text) == fixed
    assert find_halfwidth(fixed) == []


@pytest.mark.parametrize("text", [
    "3,000",
    "共3,000元",
    "10:30",
    "比例为1:2",
    "会议于10:30开始",
    "http://a.b/c?x=1",
    "详见https://www.tj.gov.cn/a/b(1).html?id=3;v=2",
    "mailto:office@bh.gov.cn",
    "office@bh.gov.cn",
    "Hello, world! How are you? Fine: thanks; (really).",
    "Wi-Fi, 5G",
    "使用Wi-Fi, 5G等网络",
    "Wi-Fi (IEEE 802.11)",
    "企业，群众（试行）",
    "",
])
def test_numbers_latin_urls_and_full_width_text_stay(text):
    assert find_halfwidth(text) == []
    assert fix_halfwidth(text) is text


def test_finder_reports_index_mark_and_replacement():
    text = "企业,群众(代表)到场,3,000人"
    assert find_halfwidth(text) == [(2, ",", "，"), (5, "(", "（"), (8, ")", "）"), (11, ",", "，")]
    assert text[13] == ","  # 3,000 stays


def test_url_next_to_chinese_keeps_its_own_marks_only():
    text = "请访问http://a.b/c?x=1,或(见http://a.b/d)。"
    hits = find_halfwidth(text)
    assert [c for _, c, _ in hits] == [",", "(", ")"]
    assert fix_halfwidth(text) == "请访问http://a.b/c?x=1，或（见http://a.b/d）。"


@pytest.mark.parametrize("text", [
    "企业, 群众", "真的吗?!", "!?企业", "Total (GDP),增长", "a, b,c,中文, d", "( (试行) )",
    "见(http://a.b/c),然后", "1, 2, 3,共计", "今天:  10:30 ,明天",
])
def test_fixing_is_idempotent(text):
    once = fix_halfwidth(text)
    assert fix_halfwidth(once) == once
    assert find_halfwidth(once) == []


def test_point_split_is_kept_and_matches_fixing_the_whole_paragraph():
    lead, rest = "一是全领域覆盖发布招才榜,", " 广聚天下才,更加精准(试行)"
    new_lead, new_rest = fix_halfwidth_split(lead, rest)
    assert new_lead == "一是全领域覆盖发布招才榜，"
    assert new_lead + new_rest == fix_halfwidth(lead + rest) == "一是全领域覆盖发布招才榜，广聚天下才，更加精准（试行）"
    # the lead alone ends in a comma whose right-hand neighbour is only in ``rest``
    assert fix_halfwidth_split("推广Wi-Fi,", "覆盖全区") == ("推广Wi-Fi，", "覆盖全区")
    assert fix_halfwidth_split("一是，", "好。") == ("一是，", "好。")


def test_check_gives_one_finding_per_paragraph_with_count_and_excerpt():
    text = "滨海新区区委人才办创新“双招双引”模式,实现以赛聚人、以赛招商,通过打造领军人才和青年创客双赛制,吸引3,000人"
    where = Location(0, 1, 2)
    (finding,) = check_punctuation(text, where)
    assert finding.rule == RULE == "punct.halfwidth"
    assert finding.severity == "warning" and not finding.blocking
    assert finding.location == where
    assert finding.message == "有 3 处半角标点（,）夹在中文里，应为全角（，）"
    assert "模式,实现" in finding.text and len(finding.text) <= 22
    assert check_punctuation(fix_halfwidth(text), where) == []
    mixed = check_punctuation("方案(试行);以来,持续", where)[0].message
    assert mixed.startswith("有 4 处") and "( ) ;" in mixed and "（）；，" in mixed


def test_the_published_sample_page():
    text = SAMPLE.read_text(encoding="utf-8")
    hits = find_halfwidth(text)
    commas = [i for i, c, _ in hits if c == ","]
    between_ideographs = [m.start() for m in re.finditer(r"(?<=[\u4e00-\u9fff]),(?=[\u4e00-\u9fff])", text)]
    print(f"sample: {len(hits)} marks to convert, {len(commas)} commas "
          f"({len(between_ideographs)} directly between two ideographs), {text.count(',')} commas in all")
    assert set(between_ideographs) <= set(commas)
    assert 200 <= len(commas) <= 300          # the brief: "260 half-width commas" in the chapter
    assert len(commas) == text.count(",") == 244  # every comma of this page is in Chinese text
    fixed = fix_halfwidth(text)
    assert find_halfwidth(fixed) == [] and fix_halfwidth(fixed) == fixed
    # what is left are the colons of clock times ("08:47", "0:00:00") in the page's footer
    assert re.findall(r"[,;?!()]", fixed) == []
    assert len(re.findall(r"(?<=\d):(?=\d)", fixed)) == fixed.count(":") == 5
    assert "08:47" in fixed and "（4667名团队成员）" in fixed and "实施办法（试行）》" in fixed


def test_a_realistic_paragraph():
    para = next(line.strip() for line in SAMPLE.read_text(encoding="utf-8").splitlines()
                if line.strip().startswith("为持续优化人才工作生活环境"))
    hits = find_halfwidth(para)
    assert [c for _, c, _ in hits].count(",") == para.count(",") == 7
    assert {c for _, c, _ in hits} == {",", "(", ")"}
    fixed = fix_halfwidth(para)
    assert "《滨城人才服务证制度实施办法（试行）》以来，持续增量扩面" in fixed
    assert "（以下简称用人主体）" in fixed and len(fixed) == len(para)


def _punct(findings):
    return [f for f in findings if f.rule == RULE]


def test_lint_message_reports_one_warning_per_block():
    msg = render_chapter(sample_chapter(2), author="新政服")
    found = _punct(lint_message(msg))
    assert found and all(f.severity == "warning" for f in found)
    body = Counter((f.location.article, f.location.case, f.location.paragraph)
                   for f in found if f.location.field == "body")
    blocks = Counter((a.index, b.case, b.paragraph) for a in msg.articles for b in a.blocks
                     if find_halfwidth(b.text))
    assert body == blocks                            # one per block, not one per comma
    commas = sum(b.text.count(",") for a in msg.articles for b in a.blocks)
    assert commas > 2 * sum(blocks.values())
    assert any(f.location.case is None for f in found)  # the introduction too


def test_lint_article_checks_title_and_digest():
    base = render_chapter(sample_chapter(2), author="新政服").articles[0]
    article = dataclasses.replace(base, title="人文环境篇(上)", digest="滨海新区,优化营商环境")
    fields = {f.location.field for f in _punct(lint_article(article))}
    assert {"title", "digest"} <= fields
    clean = dataclasses.replace(base, title="人文环境篇（上）", digest="滨海新区，优化营商环境")
    assert not {"title", "digest"} & {f.location.field for f in _punct(lint_article(clean))}


def test_fixing_is_idempotent_on_random_mixtures():
    import random
    alphabet = "企业群众,;:?!()  （）“”《》30aZ.@"
    for seed in range(2000):
        rng = random.Random(seed)
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 25)))
        if seed % 5 == 0:
            text += "见http://a.b/c?x=1,d(e),或a@b.cn:" + text
        once = fix_halfwidth(text)
        assert fix_halfwidth(once) == once, (seed, text)
        assert find_halfwidth(once) == [], (seed, text)
        if not find_halfwidth(text):
            assert once == text
