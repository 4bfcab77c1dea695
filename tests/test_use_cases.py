"""One use case, one transaction: the integrity failures found by trying wxpub as a new user would,
kept as tests — a plan that fails half-way, a PATCH with one bad field, an alert before a lost lease
— plus the bounded wait for WeChat's verdict and one way of settling a published release."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from wxpub.core.errors import ValidationError
from wxpub.models import (Alert, AuditEntry, Case, Message, MessageVersion, OutboxMessage,
                          PublishAttempt, Release, ReleaseTransition)
from wxpub.notify import outbox
from wxpub.publishing import events, leases, pipeline
from wxpub.publishing.flow import LeaseLost
from wxpub.releases import actions, plans as release_plans

from auth_helpers import login
from publishing_helpers import SERIES, apply_and_approve, import_samples, make_due, plan_file, sandbox_calls
from servers import advance_sandbox_clock


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_plan_naming_a_part_the_chapter_lacks_writes_nothing(runtime, tmp_path, cli):
    from datetime import datetime, timezone

    import_samples(runtime)
    path = tmp_path / "plan.yaml"
    # in the future for both the test's frozen clock and the real one the command uses
    start = datetime.now(timezone.utc) + timedelta(days=2)
    path.write_text(textwrap.dedent(f"""\
        series: {SERIES}
        account: 新政服
        mode: publish
        start: {start.isoformat()}
        interval: 1d
        chapters:
          - 市场环境
          - {{name: 法治环境, part: 2}}
        """), encoding="utf-8")
    with runtime.db.session() as session:
        loaded = release_plans.load(session, path, now=runtime.clock.now())
        assert loaded.errors == []  # the file itself is valid: only the library can say part 2 is missing
        with pytest.raises(ValidationError, match="法治环境.*只有 1 期"):
            release_plans.apply_plan(session, loaded, settings=runtime.settings, now=runtime.clock.now(),
                                     actor="张编辑")
    result = cli("plan", "apply", str(path))
    assert result.exit_code == 2 and "只有 1 期" in result.output
    with runtime.db.session() as session:
        assert _count(session, Release) == 0
        assert _count(session, Message) == 0 and _count(session, MessageVersion) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action.in_(["plan.apply", "message.version"]))) == 0


def test_a_patch_with_a_bad_score_changes_nothing(app, session, clock, runtime):
    from wxpub.staff import users

    users.create_user(session, "editor", "correct-horse-9", "editor", now=clock.now(), actor="测试")
    import_samples(runtime)
    client, headers = login(app, "editor", "correct-horse-9")
    case_id = session.scalar(select(Case.id).order_by(Case.id))
    audit_before = _count(session, AuditEntry)
    answer = client.patch(f"/api/v1/cases/{case_id}", json={"status": "selected", "score": 200},
                          headers=headers)
    assert answer.status_code == 400 and "200" in answer.get_json()["message"]
    assert client.patch(f"/api/v1/cases/{case_id}", json={"status": "selected", "score": True},
                        headers=headers).status_code == 400
    assert client.get(f"/api/v1/cases/{case_id}").get_json()["status"] == "pending"
    session.expire_all()
    assert _count(session, AuditEntry) == audit_before
    both = client.patch(f"/api/v1/cases/{case_id}", json={"status": "selected", "score": 90},
                        headers=headers)
    assert both.status_code == 200 and both.get_json()["status"] == "selected" and both.get_json()["score"] == 90


def test_an_alert_raised_before_a_lost_lease_is_never_sent_and_the_next_worker_sends_one(
        rt, tmp_path, sandbox, webhook):
    from dataclasses import replace

    url, received = webhook
    rt.settings = replace(rt.settings, alert_webhook_url=url)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境",),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, [release_id], ago=timedelta(hours=1))  # too late: the gate holds it and alerts
    with rt.db.session() as session:
        assert leases.claim(session, release_id, "worker-a", rt.clock.now())
        with rt.db.session() as other:  # another worker takes the release over meanwhile
            other.execute(update(Release).where(Release.id == release_id)
                          .values(lease_owner="worker-b", lease_until=rt.clock.now() + timedelta(hours=1)))
            other.commit()
        with pytest.raises(LeaseLost):
            pipeline.Pipeline(rt, session, release_id, "worker-a").run()
    assert outbox.deliver_due(rt, worker="deliverer") == 0
    with rt.db.session() as session:
        assert _count(session, Alert) == 0 and _count(session, OutboxMessage) == 0
        assert session.get(Release, release_id).state == "approved"
        session.execute(update(Release).where(Release.id == release_id)
                        .values(lease_owner=None, lease_until=None))
        session.commit()
    assert pipeline.run_release(rt, release_id, worker="worker-c") == "held"
    assert outbox.deliver_due(rt, worker="deliverer") == 1
    assert outbox.deliver_due(rt, worker="deliverer") == 0
    assert len(received) == 1 and received[0]["cause"] == f"release:{release_id}:held"


@pytest.fixture
def slow_rt(make_sandbox, sandbox_runtime):
    """A runtime whose sandbox takes 5 s (sandbox time) to publish."""
    server = make_sandbox(publish_delay=5)
    runtime = sandbox_runtime(server, samples=True, wechat_timeout=2, confirm_wait=10, confirm_poll=1)
    return runtime, server


def test_waiting_for_the_verdict_with_an_injected_sleep_makes_a_bounded_number_of_calls(slow_rt, tmp_path):
    rt, server = slow_rt
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境",),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, [release_id])
    state = pipeline.run_release(rt, release_id, worker="w", sleep=lambda seconds: None)
    assert state == "publishing"  # handed over to the periodic confirm job
    # confirm_wait 10 s, one question a second: at most 11 questions, however fast sleep returns.
    assert len(sandbox_calls(server.url, "/freepublish/get")) == 11
    advance_sandbox_clock(server, 10)
    assert pipeline.run_release(rt, release_id, worker="w2", sleep=lambda seconds: None) == "published"
    assert len(sandbox_calls(server.url, "/freepublish/submit")) == 1


def test_the_callback_and_polling_settle_a_release_the_same_way(rt, tmp_path, sandbox, sandbox_sleep):
    from dataclasses import replace

    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境", "政务环境"),
                                          start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, ids, ago=timedelta(hours=1))
    for release_id in ids:  # both were held (too late) and then retried by a person
        assert pipeline.run_release(rt, release_id, worker="w") == "held"
        with rt.db.session() as session:
            actions.retry(session, release_id, by="张主任", now=rt.clock.now())
    polled, pushed = ids
    assert pipeline.run_release(rt, polled, worker="w", sleep=sandbox_sleep) == "published"
    rt.settings = replace(rt.settings, confirm_wait=0.01)  # submit, then leave the verdict to the event
    assert pipeline.run_release(rt, pushed, worker="w") == "publishing"
    with rt.db.session() as session:
        publish_id = session.get(Release, pushed).publish_id
        event = {"event": "PUBLISHJOBFINISH", "publish_id": publish_id, "publish_status": 0,
                 "article_urls": ["https://mp.weixin.qq.com/s/pushed"], "dedup_key": f"publish:{publish_id}"}
        assert events.receive_event(session, rt.settings, event, rt.clock.now()).id == pushed
        assert events.receive_event(session, rt.settings, event, rt.clock.now()) is None  # a retry
    with rt.db.session() as session:
        for release_id, actor in ((polled, "publisher"), (pushed, "callback")):
            release = session.get(Release, release_id)
            assert (release.state, release.step, release.error_message) == ("published", "published", None)
            assert release.article_urls and release.published_at is not None
            held = session.scalar(select(Alert).where(Alert.cause == f"release:{release_id}:held"))
            assert held.resolved_at is not None
            moves = session.execute(select(ReleaseTransition.to_state, ReleaseTransition.actor).where(
                ReleaseTransition.release_id == release_id).order_by(ReleaseTransition.id)).all()
            assert [m.to_state for m in moves] == ["approved", "held", "approved", "publishing", "published"]
            assert moves[-1].actor == actor
            assert session.scalar(select(func.count(PublishAttempt.id)).where(
                PublishAttempt.release_id == release_id, PublishAttempt.step == "published")) == 1
