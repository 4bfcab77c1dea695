"""`wxpub plan show|apply` and `wxpub release …` through the CLI contract."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from publishing_helpers import SERIES

ARTICLES = Path(__file__).resolve().parents[1] / "articles"


# The commands run on the real clock (the fixture's frozen clock is for in-process services);
# one start for the whole module so that re-written plans differ only where a test changes them.
START = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)


def _plan(tmp_path, runtime, chapters, start_in=None, extra=""):
    start = (START if start_in is None else datetime.now(timezone.utc) + start_in).isoformat()
    lines = "".join(f"  - {c}\n" for c in chapters)
    path = tmp_path / "plan.yaml"
    path.write_text(f"series: {SERIES}\naccount: 新政服\nmode: publish\nstart: {start}\ninterval: 1d\n"
                    f"{extra}chapters:\n{lines}", encoding="utf-8")
    return path


def test_apply_is_idempotent_and_moves_only_what_changed(cli, runtime, tmp_path):
    cli("import", str(ARTICLES))
    plan = _plan(tmp_path, runtime, ["市场环境篇", "政务环境", "法治环境", "人文环境"])
    assert cli("plan", "show", str(plan)).exit_code == 0
    first = cli("plan", "apply", str(plan))
    assert first.exit_code == 0 and "新建 4" in first.output
    again = cli("plan", "apply", str(plan))
    assert "新建 0，改期 0，未变 4" in again.output
    listed = json.loads(cli("release", "list", "--json").stdout)["releases"]
    assert [r["chapter"] for r in listed] == ["市场环境", "政务环境", "法治环境", "人文环境"]
    assert all(r["state"] == "planned" and r["scheduled_at"].endswith("+08:00") for r in listed)
    # Swap two chapters: only those two move.
    swapped = _plan(tmp_path, runtime, ["市场环境", "法治环境", "政务环境", "人文环境"])
    moved = cli("plan", "apply", str(swapped))
    assert "改期 2" in moved.output and "未变 2" in moved.output
    from publishing_helpers import ensure_approver
    ensure_approver(runtime, "张主任")  # approvals are given by an approver account
    approve = cli("release", "approve", "--all", "--by", "张主任")
    assert approve.exit_code == 0
    states = {r["state"] for r in json.loads(cli("release", "list", "--json").stdout)["releases"]}
    assert states == {"approved"}
    cancel = cli("release", "cancel", str(listed[0]["id"]))
    assert cancel.exit_code == 0
    retry = cli("release", "retry", str(listed[0]["id"]))
    assert retry.exit_code == 2 and "只有" in retry.stderr


def test_a_bad_plan_is_refused_with_its_line_and_nothing_written(cli, runtime, tmp_path):
    cli("import", str(ARTICLES))
    past = _plan(tmp_path, runtime, ["市场环境", "外星环境"], start_in=-timedelta(days=1))
    shown = cli("plan", "show", str(past))
    assert shown.exit_code == 1 and "外星环境" in shown.output
    applied = cli("plan", "apply", str(past))
    assert applied.exit_code == 2
    assert json.loads(cli("release", "list", "--json").stdout)["releases"] == []
    typo = tmp_path / "typo.yaml"
    typo.write_text(f"series: {SERIES}\naccount: 新政服\nmode: publish\nstrat: 2027-01-01T09:00\n"
                    "interval: 1d\nchapters:\n  - 市场环境\n", encoding="utf-8")
    bad = cli("plan", "show", str(typo))
    assert bad.exit_code == 2 and "typo.yaml:4" in bad.stderr


def test_the_office_lexicon_decides_approval_for_planned_releases(runtime, tmp_path):
    """Plan apply composes with the office's word list, so its words block approval."""
    from dataclasses import replace

    import pytest

    from publishing_helpers import apply_and_approve, import_samples
    from wxpub.core.errors import Conflict

    lexicon = tmp_path / "office-lexicon.yaml"
    seed = (Path(__file__).resolve().parents[1] / "wxpub" / "core" / "data" / "lexicon.yaml").read_text(encoding="utf-8")
    lexicon.write_text(seed.replace("wording_errors:\n",
                                    "wording_errors:\n  - {wrong: 双招双引, right: 双招双引工作, note: 办公室规定的写法}\n"),
                       encoding="utf-8")
    runtime.settings = replace(runtime.settings, lexicon_file=str(lexicon))
    import_samples(runtime)
    plan = _plan(tmp_path, runtime, ["人文环境"], start_in=timedelta(days=3))
    with pytest.raises(Conflict) as refused:
        apply_and_approve(runtime, plan)
    assert "阻断" in refused.value.message


def test_release_approve_without_by_is_refused_by_the_command_line(cli, runtime):
    """``--by`` is required: without it the command stops before doing anything (no silent system
    account)."""
    result = cli("release", "approve", "--all")
    assert result.exit_code == 2 and "--by" in result.output and "缺少" in result.output
