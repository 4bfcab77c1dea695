"""评选 arithmetic, pure: one expert's weighted score of a case, and the round's results.

A round rates cases on criteria, each with a weight and a scale (0 to ``max`` points). One expert's
figure for a case is the weighted mean of their scores, each first brought to 0–100
(``score / max * 100``), weighted by the criterion's weight: Σ wᵢ·(sᵢ/maxᵢ·100) / Σ wᵢ.

Per case, over the experts who rated it (an expert who declared a conflict of interest abstains:
their sheet does not count for that case):

* ``mean``: the plain mean of the experts' figures;
* ``trimmed``: the mean without the highest and the lowest figure, when at least ``TRIM_FROM``
  experts rated the case (else None);
* ``final``: ``trimmed`` when there is one, else ``mean`` — what ranks the cases;
* ``spread``: the population standard deviation of the figures, and ``low`` / ``high``;
* ``rank``: 1 for the highest ``final``; cases whose ``final`` is equal when rounded to two
  decimals share a rank (并列), and the next rank skips (1, 2, 2, 4), with a note saying so.

Agreement: for each expert, the mean absolute difference between their figure and the mean of the
*other* experts on the same cases; an expert whose difference is more than ``OUTLIER_FACTOR`` times
the panel's median difference, and at least ``OUTLIER_MIN`` points, is marked as an outlier.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

TRIM_FROM = 5          # experts needed before the highest and lowest figure are dropped
OUTLIER_FACTOR = 2.0   # × the panel's median difference …
OUTLIER_MIN = 10.0     # … and at least this many points (of 100)
DECIMALS = 2

DEFAULT_CRITERIA = (("创新性", 30, 10), ("实效性", 30, 10), ("可复制推广性", 20, 10), ("示范带动性", 20, 10))


class RatingError(ValueError):
    """Criteria or scores that cannot be used; the message (Chinese) names what and where."""


@dataclass(frozen=True)
class Criterion:
    """One criterion: its name, weight (> 0) and scale (scores from 0 to ``max``)."""

    name: str
    weight: float
    max: float

    def as_dict(self) -> dict:
        return {"name": self.name, "weight": self.weight, "max": self.max}


def criteria_from(items) -> tuple[Criterion, ...]:
    """Criteria from ``[{"name", "weight", "max"}, …]`` (or tuples), checked: names unique and
    non-empty, weights and scales positive numbers."""
    out, seen = [], set()
    for number, item in enumerate(items or (), start=1):
        name, weight, top = (item["name"], item["weight"], item["max"]) if isinstance(item, dict) else item
        name = str(name or "").strip()
        where = f"第 {number} 项评分标准"
        if not name or len(name) > 40:
            raise RatingError(f"{where}：名称应为 1–40 个字")
        if name in seen:
            raise RatingError(f"{where}：名称“{name}”重复")
        for label, value in (("权重", weight), ("满分", top)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value <= 0 or value > 1000:
                raise RatingError(f"{where}（{name}）：{label}应为 0 到 1000 之间的正数，而不是 {value!r}")
        seen.add(name)
        out.append(Criterion(name, float(weight), float(top)))
    if not out:
        raise RatingError("至少要有一项评分标准")
    return tuple(out)


def weighted(scores: dict, criteria: tuple[Criterion, ...], *, where: str = "") -> float:
    """One expert's figure for one case (0–100) from ``{criterion name: score}``; every criterion
    must be scored within its scale."""
    total = weight = 0.0
    for criterion in criteria:
        value = scores.get(criterion.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RatingError(f"{where}“{criterion.name}”还没有打分" if value is None
                              else f"{where}“{criterion.name}”的分数应为数字，而不是 {value!r}")
        if not 0 <= value <= criterion.max:
            raise RatingError(f"{where}“{criterion.name}”的分数应在 0 到 {criterion.max:g} 之间，而不是 {value:g}")
        total += criterion.weight * value / criterion.max * 100
        weight += criterion.weight
    return total / weight


@dataclass
class CaseResult:
    """The figures of one case."""

    case_id: int
    figures: dict = field(default_factory=dict)  # expert id → figure (0–100)
    abstained: list = field(default_factory=list)  # expert ids who declared a conflict
    mean: float | None = None
    trimmed: float | None = None
    final: float | None = None
    spread: float | None = None
    low: float | None = None
    high: float | None = None
    dropped: tuple = ()  # (expert id of the highest, of the lowest) when trimmed
    rank: int | None = None
    tied_with: list = field(default_factory=list)  # other case ids sharing the rank
    note: str = ""


@dataclass
class ExpertAgreement:
    """How far one expert's figures are from the rest of the panel's."""

    expert_id: int
    cases: int
    difference: float | None  # mean |own − mean of the others|
    outlier: bool = False


@dataclass
class Results:
    """Every case's figures, in rank order, and the panel's agreement."""

    cases: list[CaseResult]
    experts: list[ExpertAgreement]
    median_difference: float | None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def case_result(case_id: int, figures: dict, abstained=()) -> CaseResult:
    """The figures of one case from ``{expert id: figure}``."""
    result = CaseResult(case_id, dict(figures), list(abstained))
    values = list(figures.values())
    if not values:
        result.note = "没有专家评分"
        return result
    result.mean = statistics.fmean(values)
    result.spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    result.low, result.high = min(values), max(values)
    if len(values) >= TRIM_FROM:
        ordered = sorted(figures.items(), key=lambda item: (item[1], item[0]))
        kept = [value for _, value in ordered[1:-1]]
        result.trimmed = statistics.fmean(kept)
        result.dropped = (ordered[-1][0], ordered[0][0])
    result.final = result.trimmed if result.trimmed is not None else result.mean
    return result


def rank(results: list[CaseResult]) -> list[CaseResult]:
    """Order by final figure (highest first) and give ranks; equal figures (to two decimals)
    share a rank and are told so."""
    scored = sorted((r for r in results if r.final is not None),
                    key=lambda r: (-round(r.final, DECIMALS), r.case_id))
    position = 0
    previous = None
    for index, result in enumerate(scored, start=1):
        key = round(result.final, DECIMALS)
        if key != previous:
            position, previous = index, key
        result.rank = position
    for result in scored:
        result.tied_with = [o.case_id for o in scored if o is not result and o.rank == result.rank]
        if result.tied_with:
            result.note = (f"与另外 {len(result.tied_with)} 个案例最终得分相同（{round(result.final, DECIMALS):.2f}，"
                           f"保留两位小数），名次并列第 {result.rank}")
    return scored + [r for r in results if r.final is None]


def agreement(results: list[CaseResult]) -> tuple[list[ExpertAgreement], float | None]:
    """Each expert's mean distance from the others' mean, and who stands out."""
    distances: dict[int, list[float]] = {}
    for result in results:
        if len(result.figures) < 2:
            continue
        for expert, figure in result.figures.items():
            others = [v for e, v in result.figures.items() if e != expert]
            distances.setdefault(expert, []).append(abs(figure - statistics.fmean(others)))
    rows = [ExpertAgreement(expert, len(values), statistics.fmean(values))
            for expert, values in sorted(distances.items())]
    median = statistics.median([r.difference for r in rows]) if rows else None
    for row in rows:
        row.outlier = median is not None and row.difference >= OUTLIER_MIN \
            and row.difference > OUTLIER_FACTOR * median
    return rows, median


def results(figures: dict[int, dict[int, float]], abstained: dict[int, list] | None = None) -> Results:
    """The round's results from ``{case id: {expert id: figure}}`` (and who abstained where)."""
    abstained = abstained or {}
    cases = [case_result(case_id, per_case, abstained.get(case_id, ()))
             for case_id, per_case in figures.items()]
    ranked = rank(cases)
    experts, median = agreement(ranked)
    return Results(ranked, experts, median)
