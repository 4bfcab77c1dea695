"""Packing a chapter's cases into articles that each stay under the body limit.

Cases are kept whole and in order; a new article starts when the next case does not fit. A case
too large for an article of its own is split between paragraphs (the second part is headed
"（续）"). Sizes are measured on the final, inlined HTML, so the packing sees what WeChat sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    """Body items ``[start, end)`` of case ``case`` (an index into the chapter's cases)."""

    case: int
    start: int
    end: int

    @property
    def continued(self) -> bool:
        """True for the second and later parts of a split case."""
        return self.start > 0


def pack(case_sizes: list[int], item_counts: list[int], first_overhead: int,
         other_overhead: int, budget: int,
         item_sizes: Callable[[int], tuple[int, list[int]]]) -> list[list[Chunk]]:
    """Group cases into articles of total size ≤ ``budget``.

    ``case_sizes[i]`` is case i's full section size; ``first_overhead`` / ``other_overhead`` the
    size of the first / later articles without cases (introduction, footer); ``item_sizes(i)``
    gives (heading size, size of each body item) for a case that must be split. A single item
    larger than an article is placed alone: the checks then report the oversize body.
    """
    articles: list[list[Chunk]] = []
    current: list[Chunk] = []
    used = first_overhead

    def close() -> None:
        nonlocal current, used
        articles.append(current)
        current, used = [], other_overhead

    for index, size in enumerate(case_sizes):
        count = item_counts[index]
        if used + size <= budget:
            current.append(Chunk(index, 0, count))
            used += size
            continue
        if current and other_overhead + size <= budget:
            close()
            current.append(Chunk(index, 0, count))
            used += size
            continue
        head, sizes = item_sizes(index)
        start = 0
        while start < count or (count == 0 and start == 0):
            end, total = start, used + head
            while end < count and total + sizes[end] <= budget:
                total += sizes[end]
                end += 1
            if end == start and count:
                if current:
                    close()
                    continue
                end, total = start + 1, total + sizes[start]
            current.append(Chunk(index, start, end))
            used = total
            start = end if count else 1
            if start < count:
                close()
    if current or not articles:
        articles.append(current)
    return articles


def balanced_pack(case_sizes: list[int], item_counts: list[int], first_overhead: int,
                  other_overhead: int, budget: int,
                  item_sizes: Callable[[int], tuple[int, list[int]]]) -> list[list[Chunk]]:
    """Like ``pack`` but, for the same number of articles, as even as possible.

    Greedy packing fills the first articles and leaves a short last one (9 cases + 1); readers
    of an （上）/（下） pair expect halves. We search the smallest budget that still needs no more
    articles and splits no case.
    """
    groups = pack(case_sizes, item_counts, first_overhead, other_overhead, budget, item_sizes)
    if len(groups) < 2 or any(c.continued for g in groups for c in g):
        return groups
    low = max(max(case_sizes) + max(first_overhead, other_overhead), first_overhead)
    high = budget
    best = groups
    while low <= high:
        middle = (low + high) // 2
        trial = pack(case_sizes, item_counts, first_overhead, other_overhead, middle, item_sizes)
        if len(trial) <= len(groups) and not any(c.continued for g in trial for c in g):
            best, high = trial, middle - 1
        else:
            low = middle + 1
    return best
