"""``wxpub rating …`` as staff run it, on the same database as the web app (a chapter published
through the sandbox): create, invite (the link printed once and working), list, results — whose
``--json`` is exactly what the API answers — and close, which needs an editor or approver."""

from __future__ import annotations

import json
import re

import openpyxl
import pytest
from click.testing import CliRunner

from auth_helpers import login
from publishing_helpers import SERIES
from rating_helpers import EXPERT_PASSWORD, EXPERTS, OFFICE, case_ids, fill, make_users, marks, published
from wxpub.rating import rounds


@pytest.fixture
def office(rt, tmp_path, sandbox):
    """A published series, staff and experts, and ``wxpub`` run against the same database."""
    from wxpub import create_app
    from wxpub.cli import main

    published(rt, tmp_path, sandbox)
    make_users(rt, {**OFFICE, **EXPERTS})
    env = {"WXPUB_DATABASE_URL": rt.settings.database_url, "WXPUB_ENV": "test",
           "WXPUB_REVIEW_STAGES": rt.settings.review_stages,
           "WXPUB_PROOFREAD_ROUNDS": str(rt.settings.proofread_rounds),
           "WXPUB_INSTANCE_PATH": str(rt.settings.instance_path)}
    runner = CliRunner()
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    return {"rt": rt, "app": app, "run": lambda *args: runner.invoke(main, list(args), env=env)}


def test_create_invite_results_and_close_from_the_command_line(office, tmp_path):
    rt, run = office["rt"], office["run"]
    made = run("rating", "create", "--series", SERIES, "--name", "2023年度优秀案例评选",
               "--deadline", "2099-06-30 18:00", "--as", "bianji")
    assert made.exit_code == 0, made.output
    round_id = int(re.search(r"已新建评选 (\d+)", made.output).group(1))
    assert "截止 2099-06-30 18:00" in made.output
    invited = run("rating", "invite", str(round_id), "--name", "周教授", "--unit", "南开大学", "--as", "bianji")
    assert invited.exit_code == 0, invited.output
    token = re.search(r"/rate/i/(wxr_[A-Za-z0-9_\-]+)", invited.output).group(1)
    with rt.db.session() as s:
        expert = rounds.expert_by_invite(s, token, rt.clock.now())
        assert expert is not None and expert.name == "周教授" and expert.unit == "南开大学"
        rounds.add_expert(s, round_id, username="zhuanjia1", actor="bianji", now=rt.clock.now())
        members = [expert.id, rounds.expert_of_user(s, round_id, "zhuanjia1").id]
    ids = list(case_ids(rt, round_id))
    fill(rt, members[0], round_id, {c: marks(9, 8, 7, 6) for c in ids})
    fill(rt, members[1], round_id, {ids[0]: "conflict", **{c: marks(6, 6, 5, 5) for c in ids[1:]}})
    listed = run("rating", "list")
    assert listed.exit_code == 0 and "2023年度优秀案例评选" in listed.output and "评分中" in listed.output
    answer = run("rating", "results", str(round_id), "--json")
    assert answer.exit_code == 0, answer.output
    client, _ = login(office["app"], "bianji", EXPERT_PASSWORD)
    api = client.get(f"/api/v1/rating-rounds/{round_id}/results").get_json()
    assert json.loads(answer.output) == api
    assert [c["abstained"] for c in api["cases"] if c["case_id"] == ids[0]] == [["陈教授"]]
    table = run("rating", "results", str(round_id))
    assert table.exit_code == 0 and "第 1 名" in table.output
    # Closing needs a named editor or approver.
    refused = run("rating", "close", str(round_id), "--as", "jiaodui")
    assert refused.exit_code == 2 and "结束评选" in refused.output
    assert run("rating", "close", str(round_id)).exit_code != 0
    closed = run("rating", "close", str(round_id), "--as", "zhongshen")
    assert closed.exit_code == 0 and "已结束" in closed.output
    again = run("rating", "close", str(round_id), "--as", "zhongshen")
    assert again.exit_code == 2 and "已经结束" in again.output
    with rt.db.session() as s:
        assert rounds.expert_by_invite(s, token, rt.clock.now()) is None
    exported = run("rating", "export", str(round_id), "-o", str(tmp_path / "评选.xlsx"))
    assert exported.exit_code == 0, exported.output
    book = openpyxl.load_workbook(tmp_path / "评选.xlsx")
    assert book.sheetnames == ["评分明细", "评选结果", "评分标准"]
    assert book["评分明细"].max_row == 1 + 2 * len(ids) * 4
    # Every step is in the audit trail, and the chain still verifies.
    assert run("audit", "verify").exit_code == 0


def test_bad_input_is_refused_with_the_field_named(office):
    run = office["run"]
    past = run("rating", "create", "--series", SERIES, "--name", "x", "--deadline", "2020-01-01 09:00",
               "--as", "bianji")
    assert past.exit_code == 2 and "截止时间" in past.output
    unknown = run("rating", "create", "--series", "没有的系列", "--name", "x", "--deadline", "2099-01-01 09:00",
                  "--as", "bianji")
    assert unknown.exit_code == 2 and "系列" in unknown.output
    criteria = run("rating", "create", "--series", SERIES, "--name", "x", "--deadline", "2099-01-01 09:00",
                   "--criterion", "创新性:三十:10", "--as", "bianji")
    assert criteria.exit_code == 2 and "--criterion" in criteria.output
    assert run("rating", "results", "999", "--json").exit_code == 2
