"""评选 arithmetic (wxpub.core.rating): weighted figures, means, trimmed means, spread, ranks with
ties, abstentions and outlying experts — figures a person can recompute by hand."""

from __future__ import annotations

import pytest

from wxpub.core import rating

CRITERIA = rating.criteria_from(rating.DEFAULT_CRITERIA)


def test_an_experts_figure_is_the_weighted_mean_on_a_hundred_point_scale():
    scores = {"创新性": 9, "实效性": 8, "可复制推广性": 7, "示范带动性": 10}
    # (30·90 + 30·80 + 20·70 + 20·100) / 100
    assert rating.weighted(scores, CRITERIA) == pytest.approx(85.0)
    with pytest.raises(rating.RatingError, match="“示范带动性”还没有打分"):
        rating.weighted({"创新性": 9, "实效性": 8, "可复制推广性": 7}, CRITERIA)
    with pytest.raises(rating.RatingError, match="应在 0 到 10 之间，而不是 11"):
        rating.weighted({**scores, "创新性": 11}, CRITERIA)


def test_criteria_are_checked_and_name_the_bad_one():
    with pytest.raises(rating.RatingError, match="第 2 项评分标准（实效性）：权重应为"):
        rating.criteria_from([("创新性", 1, 10), ("实效性", 0, 10)])
    with pytest.raises(rating.RatingError, match="名称“创新性”重复"):
        rating.criteria_from([("创新性", 1, 10), ("创新性", 1, 10)])


def test_five_experts_trim_the_highest_and_lowest_four_do_not():
    five = rating.case_result(1, {1: 80, 2: 90, 3: 70, 4: 85, 5: 40})
    assert five.mean == pytest.approx(73.0) and five.trimmed == pytest.approx(78.333333)
    assert five.final == five.trimmed and five.dropped == (2, 5) and (five.low, five.high) == (40, 90)
    four = rating.case_result(2, {1: 80, 2: 90, 3: 70, 4: 85}, abstained=[5])
    assert four.trimmed is None and four.final == pytest.approx(81.25) and four.abstained == [5]


def test_equal_final_figures_share_a_rank_and_say_so():
    results = rating.results({10: {1: 80, 2: 90}, 11: {1: 85, 2: 85}, 12: {1: 60, 2: 70}, 13: {}})
    by_case = {r.case_id: r for r in results.cases}
    assert [r.case_id for r in results.cases][:3] == [10, 11, 12]
    assert by_case[10].rank == by_case[11].rank == 1 and by_case[12].rank == 3
    assert "名次并列第 1" in by_case[10].note and by_case[13].rank is None and by_case[13].note == "没有专家评分"


def test_an_expert_far_from_the_others_is_marked():
    figures = {case: {1: 80 + case, 2: 82 + case, 3: 79 + case, 4: 81 + case, 5: 40 + case} for case in range(5)}
    outcome = rating.results(figures)
    marked = {e.expert_id for e in outcome.experts if e.outlier}
    assert marked == {5}
