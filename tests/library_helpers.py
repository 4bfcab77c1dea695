"""Series for tests: an import goes into a series (and chapter) that staff created first."""

from __future__ import annotations

from wxpub.core.content import STANDARD_CHAPTERS
from wxpub.library.series import create_series

SERIES_2023 = "2023年度滨海新区优化营商环境创新实践案例展示"


def make_series(runtime, name: str = SERIES_2023, chapters=STANDARD_CHAPTERS, intro=()):
    """Create ``name`` with ``chapters`` through the real service (as 新建系列 does); returns its id."""
    with runtime.db.session() as session:
        return create_series(session, name, chapters=list(chapters), intro=list(intro),
                             actor="测试", now=runtime.clock.now()).id
