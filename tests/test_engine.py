"""The publishing engine in one process, against the sandbox over HTTP: submissions never wait behind
WeChat's verdicts, verdicts are asked once when due, batch claims never overlap, a dead process's
leases are freed at once, and WeChat's per-minute rates and used-up quotas are kept per account."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from publishing_helpers import apply_and_approve, make_due, plan_file, sandbox_calls
from servers import advance_sandbox_clock
from wxpub.models import ApiCallWindow, Release
from wxpub.publishing.claims import Work, claim_batch, free_dead_leases
from wxpub.publishing.engine import drain
from wxpub.wechat import WeChat

CHAPTERS = ("市场环境", "政务环境", "法治环境", "人文环境")
LEASE = timedelta(seconds=120)


def _owner(tag: str) -> str:
    return f"{socket.gethostname()}:{1}:{tag}"  # pid 1 exists: a live owner


def _due_releases(rt, tmp_path, *, mode: str = "publish") -> list[int]:
    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=CHAPTERS, mode=mode,
                                          start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, ids)
    return ids


def _releases(rt, ids) -> dict[int, Release]:
    with rt.db.session() as session:
        rows = session.scalars(select(Release).where(Release.id.in_(ids))).all()
        session.expunge_all()
        return {r.id: r for r in rows}


@pytest.mark.sandbox(publish_delay=30)
def test_submissions_do_not_wait_for_verdicts_which_are_asked_once_when_due(rt, sandbox, tmp_path):
    ids = _due_releases(rt, tmp_path)
    started = time.monotonic()
    drain(rt, worker_id=lambda: _owner("a"))  # one engine pass: everything due is claimed and run
    # WeChat keeps each publish job 30 s: a worker waiting for verdicts would still be on the first.
    assert time.monotonic() - started < 15
    assert len(sandbox_calls(sandbox.url, "/freepublish/submit")) == 4
    assert sandbox_calls(sandbox.url, "/freepublish/get", ok_only=False) == []  # nobody sat polling
    for release in _releases(rt, ids).values():
        assert (release.state, release.step) == ("publishing", "submitted")
        assert release.lease_owner is None  # resting, not held by a thread
        wait = (release.next_try_at - release.submitted_at).total_seconds()
        assert wait == pytest.approx(rt.settings.verdict_first, abs=0.05)
    advance_sandbox_clock(sandbox, 31)  # WeChat has finished
    time.sleep(rt.settings.verdict_first + 0.1)  # the first question falls due
    drain(rt, worker_id=lambda: _owner("b"))
    assert {r.state for r in _releases(rt, ids).values()} == {"published"}
    assert len(sandbox_calls(sandbox.url, "/freepublish/get")) == 4  # one question each


@pytest.mark.sandbox(publish_delay=30)
def test_a_verdict_still_pending_is_asked_again_later_not_at_once(rt, sandbox, tmp_path):
    [release_id, *_] = _due_releases(rt, tmp_path)
    drain(rt, worker_id=lambda: _owner("a"))
    time.sleep(rt.settings.verdict_first + 0.1)
    drain(rt, worker_id=lambda: _owner("b"))  # WeChat: still publishing
    release = _releases(rt, [release_id])[release_id]
    assert release.state == "publishing"
    gap = (release.next_try_at - release.submitted_at).total_seconds()
    assert gap >= 2 * rt.settings.verdict_first - 0.5  # backing off: 2 s, then about 4 s after submit
    asked = len(sandbox_calls(sandbox.url, "/freepublish/get"))
    drain(rt, worker_id=lambda: _owner("c"))  # not due yet: no question
    assert len(sandbox_calls(sandbox.url, "/freepublish/get")) == asked


def test_two_claimers_never_claim_the_same_release(rt, tmp_path):
    ids = _due_releases(rt, tmp_path)
    barrier, got, errors = threading.Barrier(2), {}, []

    def claimer(tag: str) -> None:
        try:
            barrier.wait()
            mine = []
            while True:
                with rt.db.session() as session:
                    batch = claim_batch(session, Work.FIRE, owner=_owner(tag), now=rt.clock.now(),
                                        limit=1, lease=LEASE)
                if not batch:
                    break
                mine += [c.release_id for c in batch]
            got[tag] = mine
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=claimer, args=(t,)) for t in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(got["a"] + got["b"]) == sorted(ids)  # all claimed, none twice
    owners = {r.lease_owner for r in _releases(rt, ids).values()}
    assert owners <= {_owner("a"), _owner("b")}


def test_the_leases_of_a_killed_process_are_freed_at_once(rt, tmp_path):
    ids = _due_releases(rt, tmp_path)
    dead = f"{socket.gethostname()}:999999:killed"  # no such pid
    with rt.db.session() as session:
        assert len(claim_batch(session, Work.FIRE, owner=dead, now=rt.clock.now(), limit=10, lease=LEASE)) == 4
    with rt.db.session() as session:
        assert claim_batch(session, Work.FIRE, owner=_owner("x"), now=rt.clock.now(), limit=10, lease=LEASE) == []
        assert free_dead_leases(session, rt.clock.now()) == 4
        again = claim_batch(session, Work.FIRE, owner=_owner("x"), now=rt.clock.now(), limit=10, lease=LEASE)
    assert sorted(c.release_id for c in again) == sorted(ids)


def test_a_full_minute_waits_for_the_next_minute_without_calling(rt, sandbox, tmp_path):
    ids = _due_releases(rt, tmp_path)
    with rt.db.session() as session:  # a per-minute rate of 2 submissions (mass sends: 60)
        account = session.get(Release, ids[0]).account
        rt.wechat_for(account).limits.minute_limits["/cgi-bin/freepublish/submit"] = 2
    if rt.clock.now().second > 50:
        time.sleep(61 - rt.clock.now().second)  # all four within one minute
    drain(rt, worker_id=lambda: _owner("a"))
    sent = sandbox_calls(sandbox.url, "/freepublish/submit", ok_only=False)
    assert len(sent) == 2 and all(c["errcode"] == 0 for c in sent)  # no 45011 asked for
    waiting = [r for r in _releases(rt, ids).values() if r.step != "submitted"]
    assert len(waiting) == 2
    for release in waiting:
        assert release.next_try_at.second == 0 and release.next_try_at > rt.clock.now()
        assert "本分钟限额已用完" in release.error_message


def test_a_used_up_daily_quota_is_known_to_every_process_after_one_refusal(rt, sandbox, tmp_path):
    ids = _due_releases(rt, tmp_path)
    sandbox.control("quota", {"cgi_path": "/cgi-bin/freepublish/submit", "daily_limit": 0})
    drain(rt, worker_id=lambda: _owner("a"))
    refused = sandbox_calls(sandbox.url, "/freepublish/submit", ok_only=False)
    assert refused and {c["errcode"] for c in refused} == {45009}
    with rt.db.session() as session:
        marks = session.scalars(select(ApiCallWindow).where(ApiCallWindow.full.is_(True))).all()
        assert [m.path for m in marks] == ["/cgi-bin/freepublish/submit"]
    assert {r.state for r in _releases(rt, ids).values()} == {"failed"}
    # Another scheduler process (its own facade and limits) learns it from the shared table.
    other = WeChat(rt.settings, rt.db, clock=rt.clock)
    calls = len(sandbox_calls(sandbox.url, "/freepublish/submit", ok_only=False))
    with pytest.raises(Exception) as refusal:
        other.freepublish.submit("any-media-id")
    assert "今日调用次数已用完" in str(refusal.value) and "未调用微信" in str(refusal.value)
    assert len(sandbox_calls(sandbox.url, "/freepublish/submit", ok_only=False)) == calls


@pytest.mark.sandbox(publish_delay=30)
def test_prepared_releases_fire_as_a_group_and_an_edited_one_is_stopped_not_sent(rt, sandbox, tmp_path):
    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=CHAPTERS, start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, ids, ago=-timedelta(minutes=10))  # due in ten minutes: prepared ahead
    drain(rt, worker_id=lambda: _owner("a"))
    assert {r.step for r in _releases(rt, ids).values()} == {"drafted"}
    assert sandbox_calls(sandbox.url, "/freepublish/submit") == []
    with rt.db.session() as session:  # an editor rejects a case of 市场环境 after the approval
        from wxpub.library import service as library
        from wxpub.models import Case, Chapter
        case = session.scalar(select(Case).join(Chapter).where(Chapter.name == "市场环境").order_by(Case.position))
        library.set_status(session, case.id, "rejected", actor="editor", now=rt.clock.now())
        edited = session.scalar(select(Release.id).join(Chapter, Chapter.id == Release.chapter_id)
                                .where(Chapter.name == "市场环境"))
    make_due(rt, ids)
    drain(rt, worker_id=lambda: _owner("b"))  # one claim, one fire group of four
    submits = sandbox_calls(sandbox.url, "/freepublish/submit")
    releases = _releases(rt, ids)
    assert len(submits) == 3
    assert {c["media_id"] for c in submits} == {r.media_id for rid, r in releases.items() if rid != edited}
    for rid, release in releases.items():
        if rid == edited:
            assert release.state == "planned"  # the old approval does not cover the new content
        else:
            assert (release.state, release.step, release.lease_owner) == ("publishing", "submitted", None)
    with rt.db.session() as session:
        from wxpub.models import PublishAttempt
        tried = session.scalars(select(PublishAttempt.release_id).where(PublishAttempt.step == "submit")).all()
        assert sorted(tried) == sorted(rid for rid in ids if rid != edited)
