"""``wxpub review …`` acts as a named account through the same rules; ``release approve`` names the
stages still missing when the office runs the full chain; ``release list --json`` carries the
message and its version hash."""

from __future__ import annotations

import json

import pytest

from review_helpers import current_hash, make_office, planned_message


pytestmark = pytest.mark.full_chain


@pytest.fixture
def planned(runtime, tmp_path):
    make_office(runtime)
    return planned_message(runtime, tmp_path)


def test_release_list_json_names_the_message_and_its_version_hash(cli, runtime, planned):
    message_id, release_id = planned
    data = json.loads(cli("release", "list", "--json").output)["releases"]
    [row] = [r for r in data if r["id"] == release_id]
    assert row["message_id"] == message_id and row["version_hash"] == current_hash(runtime, message_id)


def test_release_approve_explains_which_stages_are_missing(cli, planned):
    message_id, release_id = planned
    refused = cli("release", "approve", str(release_id), "--by", "zhongshen")
    assert refused.exit_code == 2
    assert "还缺少：初审、复审、校对 3 轮" in refused.stderr
    assert f"wxpub review sign {message_id} --stage" in refused.stderr


def test_the_chain_walked_from_the_command_line(cli, runtime, planned):
    message_id, release_id = planned
    steps = [("sign", "--stage", "初审", "--as", "bianji"), ("sign", "--stage", "复审", "--as", "fushen"),
             ("proofread", "--as", "jiaodui"), ("proofread", "--as", "jiaodui2"),
             ("proofread", "--as", "bianji")]
    for step in steps:
        done = cli("review", step[0], str(message_id), *step[1:])
        assert done.exit_code == 0, done.stderr
    shown = cli("review", "show", str(message_id)).output
    assert "校对：3/3（第1轮 赵校对（jiaodui）、第2轮 钱校对（jiaodui2）、第3轮 王编辑（bianji））" in shown
    assert "状态：还缺：终审" in shown
    twice = cli("review", "sign", str(message_id), "--stage", "终审", "--as", "fushen")
    assert twice.exit_code == 2 and "你的角色是“复审”" in twice.stderr
    last = cli("release", "approve", str(release_id), "--by", "zhongshen")
    assert last.exit_code == 0, last.stderr
    data = json.loads(cli("review", "show", str(message_id), "--json").output)
    assert data["complete"] is True and [s["by"] for s in data["stages"]] == ["bianji", "fushen", "zhongshen"]
    assert json.loads(cli("release", "list", "--json").output)["releases"][0]["state"] == "approved"


def test_a_return_from_the_command_line_needs_its_reason(cli, planned):
    message_id, _ = planned
    refused = cli("review", "sign", str(message_id), "--stage", "初审", "--reject", "--as", "bianji")
    assert refused.exit_code == 2 and "退回必须写明理由" in refused.stderr
    done = cli("review", "sign", str(message_id), "--stage", "初审", "--reject", "--comment", "标题有误",
               "--as", "bianji")
    assert done.exit_code == 0 and "退回" in done.output
    stale = cli("review", "sign", str(message_id), "--stage", "初审", "--hash", "0" * 64, "--as", "bianji")
    assert stale.exit_code == 2 and "已不是当前版本" in stale.stderr
