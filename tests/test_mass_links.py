"""A 群发 release ends with its article links recorded, whichever of polling (message/mass/get, which
carries no links) and WeChat's MASSSENDJOBFINISH event (which does) comes first — with the sandbox
pushing real encrypted events to the app over loopback HTTP."""

from __future__ import annotations

import re
import time
from contextlib import ExitStack
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from wxpub import create_app
from wxpub.models import CallbackEvent, Release, ReleaseTransition
from wxpub.publishing import pipeline as publish

from publishing_helpers import apply_and_approve, make_due, plan_file, sandbox_calls
from servers import advance_sandbox_clock, serve_app

WORKER = "test-host:1"


@pytest.fixture
def desk(make_sandbox, sandbox_runtime):
    """``desk(push=True, **sandbox_options)`` -> (sandbox, publisher runtime, app URL): the web app
    serves /wechat/callback over loopback HTTP and the sandbox pushes its events there (``push``)."""
    with ExitStack() as running:
        def build(*, push: bool = True, **sandbox_options):
            sandbox = make_sandbox(**sandbox_options)
            served = running.enter_context(serve_app(create_app(runtime=sandbox_runtime(sandbox, wechat_timeout=5))))
            if push:
                sandbox.control("callback", {"url": f"{served.url}/wechat/callback"})
            rt = sandbox_runtime(sandbox, samples=True, wechat_timeout=5, confirm_wait=10)
            return sandbox, rt, served.url
        yield build


def _mass_release(rt, tmp_path) -> int:
    start = rt.clock.now() + timedelta(hours=2)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, mode="mass_send", chapters=("法治环境",),
                                                   start=start))
    make_due(rt, [release_id])
    return release_id


def _release(rt, release_id) -> Release:
    with rt.db.session() as s:
        return s.get(Release, release_id)


def _pushed(sandbox) -> tuple[dict, list[str]]:
    """The sandbox's MASSSENDJOBFINISH event (as recorded) and the article links it carried."""
    [event] = [e for e in requests.get(f"{sandbox.url}/sandbox/events", timeout=5).json()
               if e["kind"] == "MASSSENDJOBFINISH"]
    return event, re.findall(r"<ArticleUrl><!\[CDATA\[(.*?)\]\]></ArticleUrl>", event["xml"])


def _wait_delivered(sandbox, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = requests.get(f"{sandbox.url}/sandbox/events", timeout=5).json()
        if events and all(e["delivered"] for e in events):
            return
        time.sleep(0.02)
    raise AssertionError("the sandbox's event was not delivered")


def _transitions(rt, release_id) -> list[tuple[str, str]]:
    with rt.db.session() as s:
        return [(t.from_state, t.to_state) for t in s.scalars(
            select(ReleaseTransition).where(ReleaseTransition.release_id == release_id)
            .order_by(ReleaseTransition.id))]


def test_links_of_an_event_that_arrives_before_the_send_is_answered_are_kept(desk, tmp_path):
    # The job finishes at once and its event is pushed while WeChat's answer to sendall is still on
    # its way: the event names a msg_id the release does not have yet.
    sandbox, rt, _url = desk(publish_delay=0, slow_seconds=1.5)
    release_id = _mass_release(rt, tmp_path)
    requests.post(f"{sandbox.url}/sandbox/faults", json={"force": "slow", "count": 1,
                                                         "path": "/cgi-bin/message/mass/sendall"}, timeout=5)
    assert publish.run_release(rt, release_id, worker=WORKER) == "published"
    _wait_delivered(sandbox)
    _event, urls = _pushed(sandbox)
    release = _release(rt, release_id)
    assert urls and release.article_urls == urls
    assert _transitions(rt, release_id)[-1] == ("publishing", "published")
    with rt.db.session() as s:
        assert [e.release_id for e in s.scalars(select(CallbackEvent))] == [release_id]


def test_links_of_an_event_that_arrives_after_polling_settled_are_added(desk, tmp_path):
    # No push while the send goes out: polling settles the release, without links.
    sandbox, rt, url = desk(push=False, publish_delay=0.3)
    release_id = _mass_release(rt, tmp_path)
    sleep = lambda seconds: advance_sandbox_clock(sandbox, seconds)
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sleep) == "published"
    assert _release(rt, release_id).article_urls == []
    # WeChat's event comes late, as the sandbox recorded it.
    event, urls = _pushed(sandbox)
    answer = requests.post(f"{url}/wechat/callback", params=event["params"], data=event["body"].encode(),
                           headers={"Content-Type": "text/xml"}, timeout=5)
    assert answer.status_code == 200 and answer.text == "success"
    assert urls and _release(rt, release_id).article_urls == urls
    assert _transitions(rt, release_id).count(("publishing", "published")) == 1


def test_an_event_during_polling_settles_the_release_once(desk, tmp_path):
    # The job finishes while the publisher waits between two polls; the pushed event publishes the
    # release; the publisher's next poll then finds it published and leaves it be.
    sandbox, rt, _url = desk(publish_delay=0.3)
    release_id = _mass_release(rt, tmp_path)
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=lambda s: (
        advance_sandbox_clock(sandbox, s), _wait_delivered(sandbox))) == "published"
    _event, urls = _pushed(sandbox)
    assert urls and _release(rt, release_id).article_urls == urls
    assert _transitions(rt, release_id).count(("publishing", "published")) == 1
    assert len(sandbox_calls(sandbox.url, "/message/mass/sendall")) == 1
