"""Benchmark: import 117 synthetic cases spread over .docx and .xlsx files into a fresh SQLite database.

Run: .venv/bin/python bench/bench_import.py [--runs N]
Prints the median wall time of parsing (importers) and of storing (library service), and a re-import
(which must create nothing).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import docx  # noqa: E402
import openpyxl  # noqa: E402

from wxpub.infra import migrate  # noqa: E402

from wxpub.library import service as library  # noqa: E402
from wxpub.library.series import create_series  # noqa: E402
from wxpub.core.content import STANDARD_CHAPTERS  # noqa: E402
from wxpub.infra.db import Database  # noqa: E402
from wxpub.core.importers import import_bytes  # noqa: E402

SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"
BODY = ("为持续优化营商环境，区有关部门围绕企业需求推出系列改革举措，累计服务市场主体{n}家次。",
        "一是强化制度供给，完善政策体系。出台配套文件{n}项，明确责任分工和时间节点，推动政策落地见效。",
        "二是优化服务流程，提升办事效率。推行“一网通办”“一窗受理”，平均办理时限压缩{n}%。",
        "三是加强监督评估，形成工作闭环。建立企业评价机制，及时回应诉求，满意度持续提升。",
        "经过一年的实践，相关工作取得明显成效，企业获得感不断增强。")


def make_docx(numbers: list[int], chapter: str) -> bytes:
    document = docx.Document()
    for n in numbers:
        document.add_heading(f"{n:02d}推进改革创新第{n}项 打造营商环境新高地", level=2)
        document.add_paragraph(f"报送单位：滨海新区第{n}部门")
        for text in BODY:
            document.add_paragraph(text.format(n=n))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx(numbers: list[int], chapter: str) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "案例名称", "所属篇章", "报送单位", "案例正文"])
    for n in numbers:
        sheet.append([n, f"深化集成改革第{n}项 服务企业全生命周期", chapter, f"区第{n}单位",
                      "\n".join(t.format(n=n) for t in BODY)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_sources() -> list[tuple[str, bytes, str]]:
    """117 cases: per chapter, half in .docx files of 5 cases, half in one .xlsx."""
    sources, number = [], 0
    for index, chapter in enumerate(STANDARD_CHAPTERS):
        count = 30 if index < 3 else 27
        numbers = list(range(1, count + 1))
        words, sheet = numbers[: count // 2], numbers[count // 2:]
        for start in range(0, len(words), 5):
            sources.append((f"{chapter}-{start}.docx", make_docx(words[start:start + 5], chapter), chapter))
        sources.append((f"{chapter}.xlsx", make_xlsx(sheet, chapter), chapter))
        number += count
    assert number == 117
    return sources


def run_once(sources) -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.sqlite3")
        migrate.upgrade(db)
        with db.session() as session:  # staff create the series first; imports go into it
            create_series(session, SERIES, chapters=list(STANDARD_CHAPTERS), actor="bench",
                          now=datetime.now(timezone.utc))
        start = time.perf_counter()
        results = [import_bytes(data, name, series=SERIES, chapter=chapter)
                   for name, data, chapter in sources]
        parsed = time.perf_counter()
        now = datetime.now(timezone.utc)
        with db.session() as session:
            report = library.apply_import(session, results, now=now)
        stored = time.perf_counter()
        with db.session() as session:
            again = library.apply_import(session, results, now=now)
        reimport = time.perf_counter() - stored
        assert again.count("created") == 0 and again.count("updated") == 0
        db.dispose()
        return parsed - start, stored - parsed, reimport, report.count("created")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sources = make_sources()
    print(f"sources: {len(sources)} files ({sum(n.endswith('.docx') for n, _, _ in sources)} .docx, "
          f"{sum(n.endswith('.xlsx') for n, _, _ in sources)} .xlsx)")
    runs = [run_once(sources) for _ in range(args.runs)]
    created = {r[3] for r in runs}
    print(f"cases created per run: {created}")
    for label, idx in (("parse (importers)", 0), ("store (library, SQLite)", 1), ("re-import (no change)", 2)):
        values = [r[idx] * 1000 for r in runs]
        print(f"{label:<26} median {statistics.median(values):8.1f} ms   min {min(values):8.1f} ms")
    total = [(r[0] + r[1]) * 1000 for r in runs]
    print(f"{'total import of 117 cases':<26} median {statistics.median(total):8.1f} ms")


if __name__ == "__main__":
    main()
