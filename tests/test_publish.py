"""The publishing pipeline against a live sandbox over loopback HTTP: exactly once, approved only."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from wxpub.publishing import leases, pipeline as publish

from wxpub.releases import actions, approvals, queries
from wxpub.models import Alert, PublishAttempt, Release, UploadedMedia
from wxpub.notify import outbox

from publishing_helpers import apply_and_approve, make_due, plan_file, sandbox_calls

WORKER = "test-host:1"


def _releases(rt, tmp_path, mode="publish", chapters=("市场环境",)):
    start = rt.clock.now() + timedelta(hours=2)
    ids = apply_and_approve(rt, plan_file(tmp_path, mode=mode, chapters=chapters, start=start))
    make_due(rt, ids)
    return ids


def _state(rt, release_id) -> Release:
    with rt.db.session() as s:
        return s.get(Release, release_id)


def test_publish_goes_out_once_with_uploaded_images(rt, tmp_path, sandbox, sandbox_sleep):
    ids = _releases(rt, tmp_path, chapters=("市场环境", "政务环境"))
    for release_id in ids:
        assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"
    for release_id in ids:
        release = _state(rt, release_id)
        assert release.article_urls and release.article_urls[0].startswith("https://mp.weixin.qq.com/s/")
        assert release.msg_data_id
    assert len(sandbox_calls(sandbox.url, "/freepublish/submit")) == 2
    assert len(sandbox_calls(sandbox.url, "/media/uploadimg")) == 1  # one case image
    # Running again changes nothing and calls nothing.
    before = len(requests.get(f"{sandbox.url}/sandbox/calls", timeout=5).json())
    assert publish.run_release(rt, ids[0], worker=WORKER, sleep=sandbox_sleep) is None
    assert len(requests.get(f"{sandbox.url}/sandbox/calls", timeout=5).json()) == before
    # The articles WeChat stores are the approved HTML with uploaded image URLs, no placeholders.
    items = rt.wechat.freepublish.batchget(0, 20, no_content=False)["item"]
    bodies = [n["content"] for item in items for n in item["content"]["news_item"]]
    assert len(items) == 2 and any("mmbiz.qpic.cn" in b for b in bodies)
    assert not any("wxpub-image:" in b for b in bodies)


def test_a_connection_reset_after_submit_does_not_submit_twice(rt, tmp_path, sandbox, sandbox_sleep):
    [release_id] = _releases(rt, tmp_path)
    requests.post(f"{sandbox.url}/sandbox/faults", json={"force": "reset", "path": "/cgi-bin/freepublish/submit",
                                                         "count": 1}, timeout=5)
    state = publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep)
    assert state == "published"
    assert len(sandbox_calls(sandbox.url, "/freepublish/submit")) == 1
    with rt.db.session() as s:
        submits = s.scalars(select(PublishAttempt).where(
            PublishAttempt.release_id == release_id, PublishAttempt.step == "submit")).all()
        # One submit attempt: its lost answer was reconciled (the draft was consumed), not repeated.
        assert [(a.outcome, a.detail.get("reconciled")) for a in submits] == \
            [("ok", "draft consumed by an earlier submit")]


def test_a_slow_answer_after_submit_does_not_submit_twice(rt, tmp_path, sandbox, sandbox_sleep):
    [release_id] = _releases(rt, tmp_path)
    requests.post(f"{sandbox.url}/sandbox/faults", json={"force": "slow", "path": "/cgi-bin/freepublish/submit",
                                                         "count": 1}, timeout=5)
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"
    assert len(sandbox_calls(sandbox.url, "/freepublish/submit")) == 1


def test_system_busy_is_retried(rt, tmp_path, sandbox, sandbox_sleep):
    [release_id] = _releases(rt, tmp_path)
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/draft/add", "errcode": -1,
                                                         "count": 2}, timeout=5)
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"


def test_mass_send_uses_a_clientmsgid_and_survives_a_lost_answer(rt, tmp_path, sandbox, sandbox_sleep):
    [release_id] = _releases(rt, tmp_path, mode="mass_send")
    requests.post(f"{sandbox.url}/sandbox/faults", json={"force": "reset", "path": "/cgi-bin/message/mass/sendall",
                                                         "count": 1}, timeout=5)
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"
    sends = sandbox_calls(sandbox.url, "/message/mass/sendall")
    assert len(sends) == 1
    assert _state(rt, release_id).client_msg_id.startswith(f"wxpub-{release_id}-")


def test_permanent_errors_fail_with_a_fallback_pack_and_one_alert_per_cause(rt, tmp_path, sandbox, sandbox_sleep):
    ids = _releases(rt, tmp_path, chapters=("市场环境", "政务环境"))
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/freepublish/submit",
                                                         "errcode": 48001, "count": 5}, timeout=5)
    for release_id in ids:
        assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "failed"
    release = _state(rt, ids[0])
    assert release.error_code == 48001 and "接口未授权" in release.error_message
    pack = Path(release.fallback_path)
    assert (pack / "index.html").is_file() and (pack / "步骤.txt").is_file()
    assert "mp.weixin.qq.com" in (pack / "步骤.txt").read_text(encoding="utf-8")
    with rt.db.session() as s:
        alerts = s.scalars(select(Alert)).all()
        assert len(alerts) == 1 and alerts[0].count == 2 and sorted(alerts[0].release_ids) == ids
    assert sandbox_calls(sandbox.url, "/freepublish/submit") == []


def test_a_rejected_publish_job_fails_in_plain_chinese(rt, tmp_path, sandbox, sandbox_sleep):
    [release_id] = _releases(rt, tmp_path)
    requests.post(f"{sandbox.url}/sandbox/outcomes", json={"publish_status": 4, "count": 1}, timeout=5)
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "failed"
    assert "审核不通过" in _state(rt, release_id).error_message


def test_a_late_release_is_held_not_fired(rt, tmp_path, sandbox, sandbox_sleep):
    start = rt.clock.now() + timedelta(hours=2)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境",), start=start))
    make_due(rt, [release_id], ago=timedelta(hours=1))
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "held"
    assert "分钟" in _state(rt, release_id).error_message
    assert sandbox_calls(sandbox.url, "/draft/add") == []
    with rt.db.session() as s:
        assert actions.retry(s, release_id, by="张主任", now=rt.clock.now()).state == "approved"
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"


def test_an_edit_after_approval_stops_the_release(rt, tmp_path, sandbox, sandbox_sleep):
    [release_id] = _releases(rt, tmp_path)
    with rt.db.session() as s:
        from wxpub.models import Case, Chapter
        case = s.scalar(select(Case).join(Chapter).where(Chapter.name == "市场环境").order_by(Case.position))
        from wxpub.library import service as library
        library.set_status(s, case.id, "rejected", actor="editor", now=rt.clock.now())
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "planned"
    assert sandbox_calls(sandbox.url, "/draft/add") == []
    with rt.db.session() as s:
        # The old approval does not carry over to the new version: a person must approve again.
        assert queries.approval_valid(s, s.get(Release, release_id)) is False


def test_only_one_worker_can_claim_a_release(rt, tmp_path):
    [release_id] = _releases(rt, tmp_path)
    with rt.db.session() as a, rt.db.session() as b:
        assert leases.claim(a, release_id, "host-a:1", rt.clock.now()) is True
        assert leases.claim(b, release_id, "host-b:2", rt.clock.now()) is False


def test_cached_images_are_not_uploaded_twice(rt, tmp_path, sandbox, sandbox_sleep):
    ids = _releases(rt, tmp_path, chapters=("市场环境",))
    publish.run_release(rt, ids[0], worker=WORKER, sleep=sandbox_sleep)
    with rt.db.session() as s:
        kinds = sorted(k for (k,) in s.execute(select(UploadedMedia.kind)))
        assert kinds.count("uploadimg") == 1
        assert s.scalar(select(func.count(UploadedMedia.id))) == len(kinds)


def test_an_expired_secret_raises_one_webhook_alert_for_every_release(rt, tmp_path, sandbox, webhook, sandbox_sleep):
    from dataclasses import replace
    url, received = webhook
    rt.settings = replace(rt.settings, alert_webhook_url=url)
    ids = _releases(rt, tmp_path, chapters=("市场环境", "政务环境", "法治环境"))
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/stable_token", "errcode": 40125,
                                                         "count": 50}, timeout=5)
    for release_id in ids:
        assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "failed"
    assert received == []  # nothing leaves the process inside the pipeline's transactions
    assert outbox.deliver_due(rt, worker="deliverer") == 1
    assert outbox.deliver_due(rt, worker="deliverer") == 0  # delivered once, never again
    assert len(received) == 1
    alert = received[0]
    assert alert["cause"] == "account:40125" and "AppSecret" in alert["message"]
    assert rt.settings.appsecret not in json.dumps(alert, ensure_ascii=False)
    assert "所有" in alert["message"]  # says it is account-wide, not about one release


def test_a_release_is_prepared_ahead_so_only_the_submit_waits_for_its_time(rt, tmp_path, sandbox, sandbox_sleep):
    start = rt.clock.now() + timedelta(hours=2)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境",), start=start))
    make_due(rt, [release_id], ago=-timedelta(minutes=10))  # due in ten minutes
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) is None  # not due: nothing fires
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep, prepare=True) == "approved"
    prepared = _state(rt, release_id)
    assert prepared.step == "drafted" and prepared.media_id
    assert len(sandbox_calls(sandbox.url, "/draft/add")) == 1
    assert sandbox_calls(sandbox.url, "/freepublish/submit") == []
    make_due(rt, [release_id])
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"
    assert len(sandbox_calls(sandbox.url, "/draft/add")) == 1
    assert len(sandbox_calls(sandbox.url, "/freepublish/submit")) == 1


def test_a_prepared_draft_of_a_superseded_version_is_discarded(rt, tmp_path, sandbox, sandbox_sleep):
    from wxpub.library import service as library
    from wxpub.models import Case, Chapter
    start = rt.clock.now() + timedelta(hours=2)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境",), start=start))
    make_due(rt, [release_id], ago=-timedelta(minutes=10))
    publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep, prepare=True)
    old_media = _state(rt, release_id).media_id
    with rt.db.session() as s:  # an editor drops a case; the chapter is re-rendered and re-approved
        case = s.scalar(select(Case).join(Chapter).where(Chapter.name == "市场环境").order_by(Case.position))
        library.set_status(s, case.id, "rejected", actor="editor", now=rt.clock.now())
        release = s.get(Release, release_id)
        from wxpub.editorial import compose
        compose.recompose(s, release.message_id, now=rt.clock.now(), actor="editor")
        approvals.approve(s, [release_id], by="张主任", now=rt.clock.now(), policy=rt.settings.review_policy, tz=rt.settings.tz)
    make_due(rt, [release_id])
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"
    final = _state(rt, release_id)
    assert final.media_id != old_media and final.sent_version_id == final.approved_version_id
    assert len(sandbox_calls(sandbox.url, "/draft/delete")) == 1
    assert len(sandbox_calls(sandbox.url, "/freepublish/submit")) == 1


def test_a_failing_preparation_does_not_delay_the_planned_time(rt, tmp_path, sandbox, sandbox_sleep):
    start = rt.clock.now() + timedelta(hours=2)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("政务环境",), start=start))
    make_due(rt, [release_id], ago=-timedelta(minutes=10))
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/draft/add", "errcode": -1,
                                                         "count": 5}, timeout=5)
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep, prepare=True) == "approved"
    assert _state(rt, release_id).next_try_at is None
    make_due(rt, [release_id])
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"


@pytest.mark.parametrize("mode,outcome", [("publish", {"publish_status": 3, "count": 1}),
                                          ("mass_send", {"mass_status": "err(20001)", "count": 1})])
def test_a_failed_release_can_be_retried_by_a_person(rt, tmp_path, sandbox, mode, outcome, sandbox_sleep):
    [release_id] = _releases(rt, tmp_path, mode=mode)
    assert requests.post(f"{sandbox.url}/sandbox/outcomes", json=outcome, timeout=5).ok
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "failed"
    first_key = _state(rt, release_id).client_msg_id
    with rt.db.session() as s:
        actions.retry(s, release_id, by="张主任", now=rt.clock.now())
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "published"
    final = _state(rt, release_id)
    assert final.published_at is not None and final.error_message is None
    if mode == "publish":
        assert final.article_urls[0].startswith("https://mp.weixin.qq.com/s/")
        assert len(sandbox_calls(sandbox.url, "/freepublish/submit")) == 2
    else:
        # mass/get carries no article links (they come with the MASSSENDJOBFINISH event)
        assert final.msg_id and final.msg_data_id
        assert final.client_msg_id != first_key  # a new send, not "already sent"
        assert len(sandbox_calls(sandbox.url, "/message/mass/sendall")) == 2
