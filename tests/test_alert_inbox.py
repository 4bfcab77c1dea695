"""The alert inbox (/alerts and /api/v1/alerts) as staff use it: open alerts first, then the
acknowledged, then the resolved; acknowledging keeps an alert open (a recurrence only counts,
nothing is sent again); resolving needs a confirmation and lets the cause alert — and be sent —
again; editors, approvers and admins may act, each action audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from auth_helpers import login
from review_helpers import OFFICE_PASSWORD, make_office
from wxpub.models import Alert, AuditEntry, OutboxMessage
from wxpub.notify import alerts

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
HOOK = "http://127.0.0.1:9/hook"  # an outbox row per first alert of a cause; never delivered here


@pytest.fixture
def office(runtime):
    make_office(runtime)
    return runtime


def _raise(rt, cause="account:40164", message="服务器 IP 不在白名单中", release_id=None, severity="error"):
    with rt.db.session() as s:
        alert = alerts.raise_alert(s, cause=cause, message=message, now=rt.clock.now(), release_id=release_id,
                                   severity=severity, webhook_url=HOOK)
        s.commit()
        return alert.id


def _alert(rt, alert_id) -> Alert:
    with rt.db.session() as s:
        return s.get(Alert, alert_id)


def _outbox(rt) -> int:
    with rt.db.session() as s:
        return s.scalar(select(func.count(OutboxMessage.id)))


def _post(client, path, **form):
    token = TOKEN.search(client.get("/alerts").get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token, **form})


def _flashes(client, answer) -> str:
    assert answer.status_code == 302
    return client.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_inbox_needs_a_login(client):
    assert client.get("/alerts").status_code == 302
    assert client.get("/api/v1/alerts").status_code == 401


def test_open_alerts_come_first_with_times_in_beijing_time_and_links_to_releases(app, office):
    rt = office
    done = _raise(rt, cause="release:9:failed", message="发布 9 失败：旧问题")
    seen = _raise(rt, cause="release:8:held", message="发布 8：已暂停", release_id=8, severity="warning")
    fresh = _raise(rt, cause="account:40164", message="服务器 IP 不在白名单中", release_id=7)
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    client.post(f"/api/v1/alerts/{done}/resolve", headers=headers)
    client.post(f"/api/v1/alerts/{seen}/acknowledge", headers=headers)
    html = client.get("/alerts").get_data(as_text=True)
    order = [int(i) for i in re.findall(r'<li class="alert-item[^"]*" id="alert-(\d+)"', html)]
    assert order == [fresh, seen, done]
    assert "未处理（1）" in html and "已确认（1）" in html and "已解决（1）" in html
    item = html[html.index(f'id="alert-{fresh}"'):html.index(f'id="alert-{seen}"')]
    assert "严重" in item and "2026-03-02 09:00" in item and "1 次" in item  # 01:00 UTC
    assert 'href="/releases/7"' in item
    only = client.get("/alerts?state=acknowledged").get_data(as_text=True)
    assert re.findall(r'id="alert-(\d+)"', only) == [str(seen)] and "bianji" in only
    bad = client.get("/alerts?state=closed")
    assert bad.status_code == 400 and "参数 state 无效" in bad.get_data(as_text=True)


def test_an_acknowledged_alert_stays_open_and_a_recurrence_only_counts(app, office):
    rt = office
    alert_id = _raise(rt)
    assert _outbox(rt) == 1
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    page = _flashes(client, _post(client, f"/alerts/{alert_id}/acknowledge"))
    assert f"已确认告警 {alert_id}" in page
    alert = _alert(rt, alert_id)
    assert alert.acknowledged_by == "bianji" and alert.resolved_at is None
    assert _raise(rt) == alert_id  # the same cause again: the same alert …
    assert _alert(rt, alert_id).count == 2 and _outbox(rt) == 1  # … counted, not sent again
    again = _flashes(client, _post(client, f"/alerts/{alert_id}/acknowledge"))
    assert "已由 bianji 确认过" in again
    with rt.db.session() as s:
        [row] = s.scalars(select(AuditEntry).where(AuditEntry.action == "alert.acknowledge")).all()
        assert (row.actor, row.object_type, row.object_id) == ("bianji", "alert", str(alert_id))


def test_resolving_needs_the_confirmation_and_lets_the_cause_alert_again(app, office):
    rt = office
    alert_id = _raise(rt)
    client, _ = login(app, "zhongshen", OFFICE_PASSWORD)
    page = _flashes(client, _post(client, f"/alerts/{alert_id}/resolve"))
    assert "请先勾选“确认问题已处理”" in page and _alert(rt, alert_id).resolved_at is None
    page = _flashes(client, _post(client, f"/alerts/{alert_id}/resolve", confirm="1"))
    assert f"告警 {alert_id} 已标为已解决" in page
    alert = _alert(rt, alert_id)
    assert alert.resolved_by == "zhongshen" and alert.resolved_at is not None
    again = _raise(rt)
    assert again != alert_id and _outbox(rt) == 2  # a new alert, sent again
    with rt.db.session() as s:
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "alert.resolve")) == 1


@pytest.mark.parametrize("who", ["jiaodui", "fushen"])
def test_only_editors_approvers_and_admins_may_act(app, office, who):
    alert_id = _raise(office)
    client, headers = login(app, who, OFFICE_PASSWORD)
    html = client.get("/alerts").get_data(as_text=True)
    assert f'id="alert-{alert_id}"' in html and f'action="/alerts/{alert_id}/' not in html
    assert "由编辑或终审处理" in html
    assert _post(client, f"/alerts/{alert_id}/acknowledge").status_code == 403
    assert _post(client, f"/alerts/{alert_id}/resolve", confirm="1").status_code == 403
    answer = client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=headers)
    assert answer.status_code == 403 and "不能处理告警" in answer.get_json()["message"]
    assert _alert(office, alert_id).resolved_at is None


def test_the_api_lists_filters_acknowledges_and_resolves(app, office):
    rt = office
    first = _raise(rt, cause="account:45009", message="接口今日调用次数已用完", release_id=3)
    second = _raise(rt, cause="release:4:held", message="发布 4：已暂停", severity="warning")
    client, headers = login(app, "zhongshen", OFFICE_PASSWORD)
    listed = client.get("/api/v1/alerts").get_json()
    assert [a["id"] for a in listed["alerts"]] == [first, second]  # serious before reminders
    assert listed["counts"] == {"open": 2, "acknowledged": 0, "resolved": 0}
    one = listed["alerts"][0]
    assert one["state"] == "open" and one["release_ids"] == [3] and one["first_at"] == "2026-03-02T09:00:00+08:00"
    acked = client.post(f"/api/v1/alerts/{first}/acknowledge", headers=headers)
    assert acked.status_code == 200 and acked.get_json()["state"] == "acknowledged"
    assert acked.get_json()["acknowledged_by"] == "zhongshen"
    assert client.post(f"/api/v1/alerts/{first}/acknowledge", headers=headers).status_code == 409
    resolved = client.post(f"/api/v1/alerts/{first}/resolve", headers=headers)
    assert resolved.status_code == 200 and resolved.get_json()["state"] == "resolved"
    assert client.post(f"/api/v1/alerts/{first}/resolve", headers=headers).status_code == 409
    assert client.post("/api/v1/alerts/999/resolve", headers=headers).status_code == 404
    assert [a["id"] for a in client.get("/api/v1/alerts?state=resolved").get_json()["alerts"]] == [first]
    assert [a["id"] for a in client.get("/api/v1/alerts?state=open").get_json()["alerts"]] == [second]
    bad = client.get("/api/v1/alerts?state=done")
    assert bad.status_code == 400 and "参数 state 无效" in bad.get_json()["message"]
    assert client.post(f"/api/v1/alerts/{second}/resolve").status_code == 400  # no CSRF token
