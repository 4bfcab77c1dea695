"""``wxpub alert list|show|acknowledge|resolve``: the alert inbox from the command line, on the same
functions as /alerts and /api/v1/alerts — the same order, the same JSON, the same roles (editor,
approver, admin), each action audited; refusals in Chinese on standard error with a non-zero exit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from auth_helpers import login
from review_helpers import OFFICE_PASSWORD, make_office, planned_message
from wxpub.models import Alert, AuditEntry
from wxpub.notify import alerts

LONG = ("微信返回 45009：接口今日调用次数已用完，今天的发布都会失败；请明天再试，或在公众号后台手工发表，"
        "并记录文章链接。")


@pytest.fixture
def office(runtime):
    make_office(runtime)
    return runtime


def _raise(rt, cause="account:40164", message="服务器 IP 不在白名单中", release_id=None, severity="error"):
    with rt.db.session() as s:
        alert = alerts.raise_alert(s, cause=cause, message=message, now=rt.clock.now(), release_id=release_id,
                                   severity=severity)
        s.commit()
        return alert.id


def _alert(rt, alert_id) -> Alert:
    with rt.db.session() as s:
        return s.get(Alert, alert_id)


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.stdout


def _refused(result, *expected):
    assert result.exit_code != 0, result.output
    for text in expected:
        assert text in result.stderr, result.stderr
    return result.stderr


def test_an_empty_inbox_says_so(cli, office):
    assert "还没有告警。" in _ok(cli("alert", "list"))
    assert "没有未处理的告警。" in _ok(cli("alert", "list", "--state", "open"))
    assert json.loads(_ok(cli("alert", "list", "--json"))) == {
        "alerts": [], "counts": {"open": 0, "acknowledged": 0, "resolved": 0}}


def test_the_table_lists_open_first_in_beijing_time_with_the_message_cut(cli, office):
    rt = office
    done = _raise(rt, cause="release:9:failed", message="发布 9 失败：旧问题")
    seen = _raise(rt, cause="release:8:held", message="发布 8：已暂停", release_id=8, severity="warning")
    fresh = _raise(rt, cause="account:45009", message=LONG, release_id=7)
    _raise(rt, cause="account:45009", message=LONG, release_id=6)  # the same cause: counted
    _ok(cli("alert", "resolve", str(done), "--as", "bianji"))
    _ok(cli("alert", "acknowledge", str(seen), "--as", "bianji"))

    out = _ok(cli("alert", "list"))
    lines = out.splitlines()
    assert lines[0].split() == ["编号", "级别", "状态", "次数", "首次出现", "最近一次", "内容", "涉及的发布"]
    assert [int(line.split()[0]) for line in lines[1:4]] == [fresh, seen, done]
    row = lines[1].split()
    assert row[1:4] == ["严重", "未处理", "2"] and row[4:6] == ["2026-03-02", "09:00"]  # 01:00 UTC
    assert row[-1] == "7、6"
    assert "接口今日调用次数" in lines[1] and "…" in lines[1] and "并记录文章链接" not in lines[1]
    assert lines[2].split()[1:3] == ["提醒", "已确认"] and lines[2].split()[-1] == "8"
    assert lines[3].split()[2] == "已解决" and lines[3].split()[-1] == "—"
    assert "共 3 条（未处理 1，已确认 1，已解决 1）" in out

    only = _ok(cli("alert", "list", "--state", "acknowledged")).splitlines()
    assert [int(line.split()[0]) for line in only[1:-1]] == [seen]


def test_list_json_is_what_the_api_answers(app, cli, office):
    rt = office
    first = _raise(rt, cause="account:45009", message="接口今日调用次数已用完", release_id=3)
    second = _raise(rt, cause="release:4:held", message="发布 4：已暂停", severity="warning")
    _ok(cli("alert", "acknowledge", str(second), "--as", "zhongshen"))
    client, _ = login(app, "fushen", OFFICE_PASSWORD)
    for state in ("", "open", "acknowledged", "resolved"):
        args = ("--state", state) if state else ()
        mine = json.loads(_ok(cli("alert", "list", "--json", *args)))
        api = client.get(f"/api/v1/alerts?state={state}").get_json()
        assert mine == {key: api[key] for key in mine}  # the API adds its paging (page, per_page, total)
    data = json.loads(_ok(cli("alert", "list", "--json")))
    assert [a["id"] for a in data["alerts"]] == [first, second]
    assert data["alerts"][0]["first_at"] == "2026-03-02T09:00:00+08:00"
    assert data["alerts"][1]["acknowledged_by"] == "zhongshen"


def test_show_gives_the_whole_alert_and_the_release_it_concerns(cli, office, tmp_path):
    rt = office
    _, release_id = planned_message(rt, tmp_path)
    alert_id = _raise(rt, cause=f"release:{release_id}:failed", message=LONG, release_id=release_id)
    _ok(cli("alert", "acknowledge", str(alert_id), "--as", "bianji"))
    out = _ok(cli("alert", "show", str(alert_id)))
    assert f"告警 {alert_id}：严重，已确认" in out
    assert LONG in out and f"release:{release_id}:failed" in out
    assert "首次出现：2026-03-02 09:00（北京时间）" in out and "次数：1 次" in out
    assert f"涉及的发布 {release_id}：市场环境" in out and f"wxpub release show {release_id}" in out
    assert "确认：王编辑（bianji）" in out
    data = json.loads(_ok(cli("alert", "show", str(alert_id), "--json")))
    assert data["state"] == "acknowledged" and data["message"] == LONG
    assert data["releases"][0]["id"] == release_id and data["releases"][0]["chapter"] == "市场环境"
    _refused(cli("alert", "show", "999"), "没有编号为 999 的告警")


def test_acknowledge_then_resolve_as_named_staff_each_audited(cli, office):
    rt = office
    alert_id = _raise(rt)
    out = _ok(cli("alert", "acknowledge", str(alert_id), "--as", "bianji"))
    assert f"已确认告警 {alert_id}" in out
    alert = _alert(rt, alert_id)
    assert alert.acknowledged_by == "bianji" and alert.resolved_at is None
    _refused(cli("alert", "acknowledge", str(alert_id), "--as", "zhongshen"), "已由 bianji 确认过")
    assert _raise(rt) == alert_id and _alert(rt, alert_id).count == 2  # still open: a recurrence counts

    out = _ok(cli("alert", "resolve", str(alert_id), "--as", "zhongshen"))
    assert f"告警 {alert_id} 已由 zhongshen 标为已解决" in out
    assert _alert(rt, alert_id).resolved_by == "zhongshen"
    _refused(cli("alert", "resolve", str(alert_id), "--as", "zhongshen"), f"告警 {alert_id} 已经解决")
    _refused(cli("alert", "acknowledge", str(alert_id), "--as", "bianji"), "已解决，不需要再确认")
    assert _raise(rt) != alert_id  # resolved: the cause alerts anew
    with rt.db.session() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.object_type == "alert")
                         .order_by(AuditEntry.id)).all()
        assert [(r.action, r.actor, r.object_id) for r in rows] == [
            ("alert.acknowledge", "bianji", str(alert_id)), ("alert.resolve", "zhongshen", str(alert_id))]


@pytest.mark.parametrize("command", ["acknowledge", "resolve"])
def test_unknown_alerts_are_refused_in_chinese(cli, office, command):
    _refused(cli("alert", command, "999", "--as", "bianji"), "错误：没有编号为 999 的告警")


@pytest.mark.parametrize("who", ["jiaodui", "fushen"])
@pytest.mark.parametrize("command", ["acknowledge", "resolve"])
def test_only_editors_approvers_and_admins_may_act(cli, office, who, command):
    alert_id = _raise(office)
    _refused(cli("alert", command, str(alert_id), "--as", who), f"账号“{who}”的角色是",
             "处理告警需要角色为“编辑”或“终审”或“管理员”的已启用账号")
    alert = _alert(office, alert_id)
    assert alert.acknowledged_at is None and alert.resolved_at is None
    _refused(cli("alert", command, str(alert_id), "--as", "nobody"), "没有用户名为“nobody”的账号")
    _refused(cli("alert", command, str(alert_id)), "缺少选项“--as”")


def test_a_bad_state_is_refused_in_chinese(cli, office):
    _refused(cli("alert", "list", "--state", "closed"), "“closed”不是可选值之一", "“open”")


def test_an_admin_may_act_too(cli, office):
    from wxpub.staff import users

    with office.db.session() as s:
        users.create_user(s, "guanli", OFFICE_PASSWORD, "admin", now=office.clock.now(), actor="测试",
                          display_name="刘管理")
    alert_id = _raise(office)
    assert f"已确认告警 {alert_id}（guanli）" in _ok(cli("alert", "acknowledge", str(alert_id), "--as", "guanli"))
    _ok(cli("alert", "resolve", str(alert_id), "--as", "guanli"))
    assert "解决：刘管理（guanli）" in _ok(cli("alert", "show", str(alert_id)))
