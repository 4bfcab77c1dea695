"""Benchmark the renderer (and the checks) on the ten-case chapter and a 117-case series.

Run:  .venv/bin/python bench/bench_render.py [--runs N]
Targets: the ten-case chapter < 20 ms median; the 117-case series (4 chapters) < 1 s; cost
linear in the number of cases.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

from wxpub.core.content import STANDARD_CHAPTERS, ChapterContent
from wxpub.core.lint import lint_message
from wxpub.core.render import RenderFooter, render_installments
from wxpub.core.render.samples import SERIES, sample_chapter

FOOTER = RenderFooter(source="区政务服务办", editors=("王编辑", "赵编辑"))


def synthetic_chapter(name: str, cases: int) -> ChapterContent:
    """A chapter of ``cases`` cases made by cycling the ten sample cases (renumbered)."""
    base = sample_chapter()
    out = tuple(dataclasses.replace(base.cases[i % 10], chapter=name, number=i + 1,
                                    title=f"{base.cases[i % 10].title}（{name}{i + 1}）")
                for i in range(cases))
    return ChapterContent(series=SERIES, name=name, intro=base.intro, cases=out)


def timed(fn, runs: int) -> list[float]:
    """Wall times in ms of ``runs`` calls (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs

    chapter = sample_chapter()
    render = lambda: render_installments(chapter, author="新政服", footer=FOOTER)  # noqa: E731
    ms = timed(render, runs)
    messages = render()
    arts = [a for m in messages for a in m.articles]
    print(f"ten-case chapter: {len(arts)} articles, {sum(a.chars for a in arts)} chars of HTML")
    print(f"  render   median {statistics.median(ms):7.2f} ms  (min {min(ms):.2f}, max {max(ms):.2f})"
          f"  target < 20 ms")
    lint_ms = timed(lambda: [lint_message(m) for m in messages], runs)
    print(f"  lint     median {statistics.median(lint_ms):7.2f} ms")

    sizes = (30, 30, 30, 27)  # 117 cases over the four standard chapters
    series = [synthetic_chapter(n, s) for n, s in zip(STANDARD_CHAPTERS, sizes)]

    def render_series():
        return [render_installments(c, author="新政服", footer=FOOTER) for c in series]

    series_ms = timed(render_series, max(3, runs // 5))
    out = render_series()
    count = sum(len(m.articles) for msgs in out for m in msgs)
    print(f"117-case series (4 chapters): {count} articles in "
          f"{sum(len(msgs) for msgs in out)} messages")
    print(f"  render   median {statistics.median(series_ms):7.2f} ms  target < 1000 ms")
    series_lint = timed(lambda: [lint_message(m) for msgs in out for m in msgs], max(3, runs // 5))
    print(f"  lint     median {statistics.median(series_lint):7.2f} ms")

    print("linearity (render one chapter of n cases):")
    for n in (10, 20, 40, 80):
        c = synthetic_chapter("人文环境", n)
        t = statistics.median(timed(lambda: render_installments(c), max(3, runs // 5)))
        print(f"  n={n:3d}  {t:7.2f} ms  {t / n:5.2f} ms/case")


if __name__ == "__main__":
    main()
