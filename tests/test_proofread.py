"""Proofreading one case field by field, and the punctuation fix offered in the editor."""

from __future__ import annotations

import copy
from pathlib import Path

from wxpub.core.content import CaseContent, Image, Point
from wxpub.core.importers import import_bytes
from wxpub.core.lint import parse_lexicon
from wxpub.core.lint.proofread import FieldFinding, fixable_punctuation, proofread_case
from wxpub.core.lint.punctuation import find_halfwidth

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "import" / "binhai-2023-renwen-page-part1.txt"


def _case(**changes) -> dict:
    base = dict(series="系列", chapter="人文环境", number=1, title="创新模式 集聚人才",
                unit="区委人才办", contact={"电话": "022-66666666, 转 8001", "联系人": "王老师"},
                lead=("滨海新区持续优化营商环境。", "第二段导语。"),
                points=(Point("一是强化引领，", "做好服务。"), Point("二是优化流程，", "提高效率。")),
                closing=("成效显著。",),
                images=(Image("a.png", b"AAA", "image/png", caption="活动现场", after=0),))
    base.update(changes)
    return CaseContent(**base).content_dict()


def _rules(found):
    return sorted((f.field, f.finding.rule) for f in found)


def test_clean_case_has_no_finding_and_nothing_to_fix():
    content = _case()
    assert proofread_case(content) == []
    assert fixable_punctuation(content) is None


def test_findings_carry_the_field_paths():
    content = _case(title="创新模式,集聚人才",
                    unit="区委人才办(区人才办)",
                    lead=("滨海新区持续优化营商环境。", "第二段导语,营商环境。"),
                    points=(Point("一是强化引领，", "做好服务。"),
                            Point("二是优化流程，", "中华人民共合国提高效率。")),
                    closing=("咨询请联系13812345678。",),
                    images=(Image("a.png", b"AAA", "image/png", caption="活动现场,签约", after=0),))
    found = proofread_case(content)
    assert all(isinstance(f, FieldFinding) for f in found)
    assert _rules(found) == [
        ("closing.1", "personal.mobile"),
        ("images.1.caption", "punct.halfwidth"),
        ("lead.2", "punct.halfwidth"),
        ("points.2", "lexicon.wording"),
        ("title", "punct.halfwidth"),
        ("unit", "punct.halfwidth"),
    ]
    by_field = {f.field: f for f in found}
    assert by_field["points.2"].label == "要点2" and by_field["lead.2"].label == "导语第2段"
    assert by_field["title"].finding.location.field == "title"
    # body order as the renderer numbers it: 2 lead paragraphs, then the points, then closing
    assert by_field["lead.2"].finding.location.paragraph == 2
    assert by_field["points.2"].finding.location.paragraph == 4
    assert by_field["closing.1"].finding.location.paragraph == 5
    assert by_field["images.1.caption"].finding.location.paragraph == 1
    assert by_field["closing.1"].finding.blocking and "13812345678" not in by_field["closing.1"].finding.text
    assert not any(f.field.startswith("contact") for f in found)   # contact is not published


def test_a_given_lexicon_is_used():
    lexicon = parse_lexicon("version: 1\nterms:\n  - {word: 导语, category: 测试, severity: warning}\n",
                            "test.yaml")
    found = proofread_case(_case(), lexicon)
    assert _rules(found) == [("lead.2", "lexicon.sensitive")]


def test_fixable_punctuation_fixes_every_text_field_but_contact():
    content = _case(title="创新模式,集聚人才",
                    unit="区委人才办(区人才办)",
                    lead=("滨海新区持续优化营商环境。", "第二段导语, 营商环境。"),
                    points=(Point("一是强化引领,", " 做好服务;提高效率。"),),
                    closing=("成效显著!",),
                    images=(Image("a.png", b"AAA", "image/png", caption="活动现场(签约)"),))
    before = copy.deepcopy(content)
    fixed = fixable_punctuation(content)
    assert content == before                       # the input is not changed
    assert fixed["title"] == "创新模式，集聚人才"
    assert fixed["unit"] == "区委人才办（区人才办）"
    assert fixed["lead"] == ["滨海新区持续优化营商环境。", "第二段导语，营商环境。"]
    assert fixed["points"] == [{"lead": "一是强化引领，", "rest": "做好服务；提高效率。"}]
    assert fixed["closing"] == ["成效显著！"]
    assert fixed["images"][0]["caption"] == "活动现场（签约）"
    assert fixed["images"][0]["sha256"] == content["images"][0]["sha256"]
    assert fixed["contact"] == content["contact"] == {"电话": "022-66666666, 转 8001", "联系人": "王老师"}
    assert [f for f in proofread_case(fixed) if f.finding.rule == "punct.halfwidth"] == []
    assert fixable_punctuation(fixed) is None


def test_the_sample_cases():
    result = import_bytes(SAMPLE.read_bytes(), SAMPLE.name)
    assert len(result.cases) == 5
    total = 0
    for case in result.cases:
        content = case.content_dict()
        found = [f for f in proofread_case(content) if f.finding.rule == "punct.halfwidth"]
        fields = {f.field for f in found}
        assert len(fields) == len(found)             # one finding per field
        assert any(f.startswith("points.") for f in fields)
        fixed = fixable_punctuation(content)
        assert fixed is not None
        for old, new in zip(content["points"], fixed["points"]):
            assert new["lead"].endswith(("，", "。", "；", "：")) and len(new["lead"]) == len(old["lead"])
            total += sum(1 for _, c, _ in find_halfwidth(old["lead"] + old["rest"]) if c == ",")
        assert [f for f in proofread_case(fixed) if f.finding.rule == "punct.halfwidth"] == []
    assert total > 150
