"""诊断: a failed WeChat call keeps its rid — in the attempt log, the alert, the release page, the
alert inbox and the alerts JSON — and "诊断" fetches what WeChat kept of it (``openapi/rid/get``)
for 7 days: the original request (access token masked) and the answer, explained in Chinese.
Everything through the sandbox over real HTTP, as staff do it (forms and the JSON API)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from auth_helpers import login
from publishing_helpers import apply_and_approve, make_due, plan_file, sandbox_calls
from review_helpers import OFFICE_PASSWORD, make_office
from wxpub.models import Alert, AuditEntry, PublishAttempt
from wxpub.publishing import pipeline
from wxpub.releases import diagnose as diagnosis

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMIT = "/cgi-bin/freepublish/submit"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _post(client, page: str, action: str, **form):
    token = CSRF.search(client.get(page).get_data(as_text=True)).group(1)
    return client.post(action, data={"csrf_token": token, **form})


@pytest.fixture
def failed_submit(rt, tmp_path, sandbox, sandbox_sleep):
    """A release whose submit WeChat (the sandbox) refused with 45009: ``(release id, rid, app)``."""
    from wxpub import create_app

    make_office(rt)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("政务环境",),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, [release_id])
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": SUBMIT, "errcode": 45009, "count": 1},
                  timeout=5).raise_for_status()
    assert pipeline.run_release(rt, release_id, worker="test-host:1", sleep=sandbox_sleep) == "failed"
    with rt.db.session() as s:
        [submit] = s.scalars(select(PublishAttempt).where(PublishAttempt.release_id == release_id,
                                                          PublishAttempt.step == "submit")).all()
        rid = submit.detail["rid"]
    return release_id, rid, create_app(runtime=rt)


def _audit(rt, action: str) -> list[AuditEntry]:
    with rt.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_the_rid_of_a_refused_submit_is_kept_and_shown_everywhere(rt, failed_submit):
    release_id, rid, app = failed_submit
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}", rid)
    with rt.db.session() as s:
        [failure] = s.scalars(select(PublishAttempt).where(PublishAttempt.release_id == release_id,
                                                           PublishAttempt.step == "failed")).all()
        assert failure.detail["rid"] == rid and failure.errcode == 45009
        alert = s.scalar(select(Alert).where(Alert.cause == "account:45009"))
        assert alert.rid == rid and re.search(f"rid: {rid}）?$", alert.message)  # it ends with the rid
        assert alert.message.count(rid) == 1
        alert_id = alert.id
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    html = client.get(f"/releases/{release_id}").get_data(as_text=True)
    assert f'id="rid">{rid}</code>' in html and f'action="/releases/{release_id}/diagnose"' in html
    assert f'name="rid" value="{rid}"' in html and ">诊断</button>" in html
    inbox = client.get("/alerts").get_data(as_text=True)
    assert f'<code id="alert-rid-{alert_id}">{rid}</code>' in inbox
    assert f'data-copy="alert-rid-{alert_id}"' in inbox and f'action="/alerts/{alert_id}/diagnose"' in inbox
    [shown] = [a for a in client.get("/api/v1/alerts").get_json()["alerts"] if a["id"] == alert_id]
    assert shown["rid"] == rid


def test_a_second_failure_of_the_same_cause_keeps_the_rid_of_wechats_refusal(rt, failed_submit, tmp_path,
                                                                            sandbox, sandbox_sleep):
    """After WeChat's 45009 the endpoint is known to be used up for the day (issue 17): the next
    release fails without calling WeChat, the alert counts it, and its rid stays the one WeChat gave
    (the only request WeChat can find)."""
    release_id, rid, _ = failed_submit
    [second] = apply_and_approve(rt, plan_file(tmp_path, chapters=("法治环境",), name="second.yaml",
                                               start=rt.clock.now() + timedelta(hours=3)))
    make_due(rt, [second])
    submits = len(sandbox_calls(sandbox.url, SUBMIT, ok_only=False))
    assert pipeline.run_release(rt, second, worker="test-host:1", sleep=sandbox_sleep) == "failed"
    assert len(sandbox_calls(sandbox.url, SUBMIT, ok_only=False)) == submits  # not sent again
    with rt.db.session() as s:
        alert = s.scalar(select(Alert).where(Alert.cause == "account:45009"))
        failure = s.scalars(select(PublishAttempt).where(PublishAttempt.release_id == second,
                                                         PublishAttempt.step == "failed")).one()
        assert failure.errcode == 45009 and "rid" not in failure.detail
        assert alert.count == 2 and alert.rid == rid


def test_diagnose_from_the_release_page_shows_the_original_request_and_answer(rt, failed_submit):
    release_id, rid, app = failed_submit
    token = rt.wechat.token.get()
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    answer = _post(client, f"/releases/{release_id}", f"/releases/{release_id}/diagnose", rid=rid)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    page = _text(html)
    for label in ("调用时间", "耗时", "请求地址", "请求内容", "应答内容", "客户端 IP", "北京时间"):
        assert label in page, label
    assert SUBMIT in page and "media_id" in page  # the request as sent: address and body
    assert "45009" in page and f"rid: {rid}" in page  # the answer WeChat gave
    assert "微信当时返回错误码 45009：接口今日调用次数已用完" in page  # explained in Chinese
    assert token not in html and "access_token=" in page  # the token is masked
    assert f'href="/releases/{release_id}"' in html  # the way back
    [row] = _audit(rt, "wechat.diagnose")
    assert (row.actor, row.object_type, row.object_id) == ("bianji", "release", str(release_id))
    assert row.detail["rid"] == rid


def test_diagnose_from_the_alert_and_through_the_api(rt, failed_submit):
    release_id, rid, app = failed_submit
    with rt.db.session() as s:
        alert_id = s.scalar(select(Alert.id).where(Alert.rid == rid))
    client, headers = login(app, "zhongshen", OFFICE_PASSWORD)  # an approver may diagnose too
    answer = _post(client, "/alerts", f"/alerts/{alert_id}/diagnose")
    assert answer.status_code == 200 and "接口今日调用次数已用完" in _text(answer.get_data(as_text=True))
    assert f'href="/alerts#alert-{alert_id}"' in answer.get_data(as_text=True)
    data = client.post("/api/v1/diagnose", json={"rid": f"rid: {rid}"}, headers=headers).get_json()
    assert set(data) >= {"rid", "invoke_time", "cost_in_ms", "request_url", "request_body", "response_body",
                         "client_ip", "explanation"}
    assert data["rid"] == rid and data["request_url"].startswith(SUBMIT) and data["errcode"] == 45009
    assert data["invoke_time"].endswith("+08:00") and isinstance(data["cost_in_ms"], int)
    assert rt.wechat.token.get() not in data["request_url"] + data["request_body"]
    rows = _audit(rt, "wechat.diagnose")
    assert [(r.object_type, r.object_id) for r in rows] == [("alert", str(alert_id)), ("release", str(release_id))]


def test_a_rid_wechat_does_not_know_is_explained(rt, failed_submit):
    _, _, app = failed_submit
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    answer = client.post("/api/v1/diagnose", json={"rid": "0badc0de-00000000-11111111"}, headers=headers)
    assert answer.status_code == 404 and "微信查不到这个 rid" in answer.get_json()["message"]
    typo = client.post("/api/v1/diagnose", json={"rid": "不是 rid"}, headers=headers)
    assert typo.status_code == 400 and "格式不对" in typo.get_json()["message"]
    empty = client.post("/api/v1/diagnose", json={}, headers=headers)
    assert empty.status_code == 400 and "请填写" in empty.get_json()["message"]


def test_a_rid_of_another_account_is_refused(rt, failed_submit, sandbox):
    _, _, app = failed_submit
    sandbox.control("rids", {"rid": "0f0f0f0f-12345678-9abcdef0", "foreign": True})
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    answer = client.post("/api/v1/diagnose", json={"rid": "0f0f0f0f-12345678-9abcdef0"}, headers=headers)
    assert answer.status_code == 409 and "属于别的公众号" in answer.get_json()["message"]


def test_a_rid_wechat_no_longer_keeps_says_so_on_the_page(rt, failed_submit, sandbox):
    release_id, rid, app = failed_submit
    sandbox.control("clock", {"advance_seconds": 8 * 86400})  # WeChat's 7 days are over
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    answer = _post(client, f"/releases/{release_id}", f"/releases/{release_id}/diagnose", rid=rid)
    page = _text(answer.get_data(as_text=True))
    assert answer.status_code == 410 and "无法诊断" in page and "已过期" in page and "Traceback" not in page


def test_a_failure_older_than_seven_days_is_not_sent_to_wechat(rt, failed_submit, sandbox):
    release_id, rid, app = failed_submit
    week_ago = rt.clock.now() - timedelta(days=8)
    with rt.db.session() as s:
        s.execute(update(PublishAttempt).where(PublishAttempt.release_id == release_id).values(started_at=week_ago))
        s.execute(update(Alert).where(Alert.rid == rid).values(last_at=week_ago, first_at=week_ago))
        s.commit()
    client, headers = login(app, "bianji", OFFICE_PASSWORD)
    html = client.get(f"/releases/{release_id}").get_data(as_text=True)
    assert diagnosis.TOO_OLD in html and f'action="/releases/{release_id}/diagnose"' not in html
    inbox = client.get("/alerts").get_data(as_text=True)
    assert diagnosis.TOO_OLD in inbox and '/diagnose"' not in inbox
    asked = len(sandbox_calls(sandbox.url, "openapi/rid/get", ok_only=False))
    answer = _post(client, f"/releases/{release_id}", f"/releases/{release_id}/diagnose", rid=rid)
    assert answer.status_code == 410 and diagnosis.TOO_OLD in answer.get_data(as_text=True)
    api = client.post("/api/v1/diagnose", json={"rid": rid}, headers=headers)
    assert api.status_code == 410 and api.get_json()["message"].startswith(diagnosis.TOO_OLD)
    assert len(sandbox_calls(sandbox.url, "openapi/rid/get", ok_only=False)) == asked  # WeChat not asked
    assert _audit(rt, "wechat.diagnose") == []


def test_only_editors_approvers_and_admins_may_diagnose(rt, failed_submit, sandbox):
    release_id, rid, app = failed_submit
    with rt.db.session() as s:
        alert_id = s.scalar(select(Alert.id).where(Alert.rid == rid))
    asked = len(sandbox_calls(sandbox.url, "openapi/rid/get", ok_only=False))
    for username in ("jiaodui", "fushen"):  # a proofreader, a reviewer
        client, headers = login(app, username, OFFICE_PASSWORD)
        html = client.get(f"/releases/{release_id}").get_data(as_text=True)
        assert rid in html and '/diagnose"' not in html  # they see the rid, not the button
        assert '/diagnose"' not in client.get("/alerts").get_data(as_text=True)
        assert _post(client, f"/releases/{release_id}", f"/releases/{release_id}/diagnose", rid=rid).status_code == 403
        assert _post(client, "/alerts", f"/alerts/{alert_id}/diagnose").status_code == 403
        answer = client.post("/api/v1/diagnose", json={"rid": rid}, headers=headers)
        assert answer.status_code == 403 and "不能诊断微信请求" in answer.get_json()["message"]
    assert len(sandbox_calls(sandbox.url, "openapi/rid/get", ok_only=False)) == asked
    assert _audit(rt, "wechat.diagnose") == []


def test_a_rid_that_is_not_the_releases_is_refused_on_its_page(rt, failed_submit, sandbox):
    release_id, _, app = failed_submit
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    answer = _post(client, f"/releases/{release_id}", f"/releases/{release_id}/diagnose",
                   rid="0badc0de-00000000-11111111")
    assert answer.status_code == 400 and f"不是发布 {release_id} 的微信请求编号" in _text(answer.get_data(as_text=True))


def test_a_token_is_never_shown_even_if_wechat_kept_one():
    kept = {"invoke_time": 1764547200, "cost_in_ms": 12, "client_ip": "1.2.3.4",
            "request_url": "/cgi-bin/freepublish/submit?access_token=REALTOKEN123&x=1",
            "request_body": '{"access_token": "REALTOKEN123", "media_id": "m1"}',
            "response_body": '{"errcode":45009,"errmsg":"reach max api daily quota limit rid: 1-2-3"}'}
    from zoneinfo import ZoneInfo
    shown = diagnosis.result("1-2-3", kept, ZoneInfo("Asia/Shanghai"))
    assert "REALTOKEN123" not in str(shown)
    assert shown["request_url"] == "/cgi-bin/freepublish/submit?access_token=******&x=1"
    assert shown["invoke_time"] == "2025-12-01T08:00:00+08:00" and shown["errcode"] == 45009
