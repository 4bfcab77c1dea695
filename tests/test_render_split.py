"""Limits: long chapters split into articles / installments with titles that fit."""

from __future__ import annotations

import dataclasses

import pytest

from wxpub.core.content import ChapterContent, Point
from wxpub.core.lint import lint_message
from wxpub.core.render import MAX_BODY_CHARS, render_chapter, render_installments
from wxpub.core.render.samples import SERIES, sample_chapter
from wxpub.core.render.titles import make_title, part_labels


def long_chapter(cases: int = 10, factor: int = 2) -> ChapterContent:
    """The sample chapter with every case's points repeated: ~2,200–3,500 characters a case,
    the upper end of what the office sends."""
    base = sample_chapter()
    out = []
    for i in range(cases):
        case = base.cases[i % 10]
        out.append(dataclasses.replace(case, number=i + 1, title=f"{case.title}（{i + 1}）",
                                       points=case.points * factor))
    return dataclasses.replace(base, cases=tuple(out))


def numbers(message) -> list[int]:
    return [s.number for a in message.articles for s in a.sections if not s.continued]


def test_sample_chapter_splits_into_balanced_halves():
    msg = render_chapter(sample_chapter())
    assert [a.title for a in msg.articles] == [
        "人文环境篇（上）丨2023年度滨海新区优化营商环境创新实践案例",
        "人文环境篇（下）丨2023年度滨海新区优化营商环境创新实践案例",
    ]
    assert numbers(msg) == list(range(1, 11))
    assert [len(a.sections) for a in msg.articles] == [5, 5]
    assert all(a.chars < MAX_BODY_CHARS for a in msg.articles)


def test_long_chapter_every_article_within_limits():
    msg = render_chapter(long_chapter())
    assert 2 <= len(msg.articles) <= 8
    labels = part_labels(len(msg.articles))
    for article, label in zip(msg.articles, labels):
        assert article.chars < MAX_BODY_CHARS
        assert article.bytes < 1_000_000
        assert len(article.title) <= 32 and label in article.title
        assert len(article.digest) <= 128
    assert numbers(msg) == list(range(1, 11))
    assert not [f for f in lint_message(msg) if f.severity == "blocking"]


def test_introduction_only_in_the_first_article():
    msg = render_chapter(long_chapter())
    intro = sample_chapter().intro[0]
    assert intro in msg.articles[0].html
    assert all(intro not in a.html for a in msg.articles[1:])


def test_a_case_too_big_for_one_article_continues_in_the_next():
    base = sample_chapter(1)
    case = base.cases[0]
    huge = dataclasses.replace(case, points=tuple(
        Point(f"第{i}点，", case.points[0].rest * 3) for i in range(60)))
    msg = render_chapter(dataclasses.replace(base, cases=(huge,)))
    assert len(msg.articles) >= 2
    assert all(a.chars < MAX_BODY_CHARS for a in msg.articles)
    assert "（续）" in msg.articles[1].html and "（续）" not in msg.articles[0].html
    html = "".join(a.html for a in msg.articles)
    for i in range(60):
        assert f"第{i}点，" in html
    assert not [f for f in lint_message(msg) if f.severity == "blocking"]


def test_more_than_eight_articles_become_installments():
    chapter = long_chapter(cases=60, factor=3)
    whole = render_chapter(chapter)
    assert len(whole.articles) > 8
    assert any(f.rule == "limit.article_count" for f in lint_message(whole))
    parts = render_installments(chapter)
    assert len(parts) >= 2
    assert all(1 <= len(m.articles) <= 8 for m in parts)
    titles = [a.title for m in parts for a in m.articles]
    assert titles == [a.title for a in whole.articles]
    assert "（一）" in titles[0] and "（九）" in titles[8]
    assert all(len(t) <= 32 for t in titles)
    assert [m.installment for m in parts] == list(range(1, len(parts) + 1))
    assert [a.index for a in parts[1].articles] == list(range(len(parts[1].articles)))
    assert [n for m in parts for n in numbers(m)] == list(range(1, 61))


@pytest.mark.parametrize("part", ["", "（上）", "（下）", "（十二）"])
def test_titles_never_exceed_32_characters(part):
    for series in (SERIES, SERIES * 2, "短系列"):
        for chapter in ("人文环境", "优化营商环境的人文环境与城市软实力建设"):
            title = make_title("{chapter}篇丨{series}", chapter, series, part)
            assert len(title) <= 32
            assert part in title or len(chapter) > 15


def test_title_shortens_the_series_sensibly():
    assert make_title("{chapter}篇丨{series}", "人文环境", SERIES, "（上）") == \
        "人文环境篇（上）丨2023年度滨海新区优化营商环境创新实践案例"
    assert make_title("{part}{chapter}篇丨{series}", "政务环境", SERIES * 2, "") .endswith("…")
    assert make_title("{chapter}篇·{series}{part}", "法治环境", "短", "（下）") == "法治环境篇·短（下）"


def test_part_labels():
    assert part_labels(1) == [""]
    assert part_labels(2) == ["（上）", "（下）"]
    assert part_labels(3) == ["（一）", "（二）", "（三）"]
    assert part_labels(12)[-1] == "（十二）"
