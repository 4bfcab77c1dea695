"""Shared set-up for the readers' comments (留言) tests: an article published through the sandbox,
a runtime clock that moves with the sandbox's, staff accounts."""

from __future__ import annotations

from datetime import timedelta

import requests

from publishing_helpers import published_through_the_sandbox
from servers import advance_sandbox_clock
from wxpub.infra.clock import OffsetClock
from wxpub.models import Release


def moving_runtime(sandbox_runtime, **overrides):
    """A runtime on the real clock that ``advance`` moves together with the sandbox's."""
    return sandbox_runtime(clock=OffsetClock(timedelta(0)), samples=True, wechat_timeout=1,
                           confirm_wait=10, **overrides)


def advance(rt, sandbox, hours: float) -> None:
    """Move both clocks on by ``hours`` (synthetic comments arrive as the sandbox's time passes)."""
    advance_sandbox_clock(sandbox, hours * 3600)
    rt.clock.offset += timedelta(hours=hours)


def publish(rt, tmp_path, sandbox, *, chapter: str = "市场环境") -> Release:
    """A release published through the sandbox; returns it (with its msg_data_id)."""
    release_id = published_through_the_sandbox(rt, tmp_path, lambda s: advance_sandbox_clock(sandbox, s),
                                               chapter=chapter)
    with rt.db.session() as session:
        release = session.get(Release, release_id)
        session.expunge(release)
        return release


def sandbox_comments(sandbox, msg_data_id: str, index: int = 0) -> list[dict]:
    """The sandbox's own record of one article's comments."""
    answer = requests.get(f"{sandbox.url}/sandbox/comments",
                          params={"msg_data_id": msg_data_id, "index": index}, timeout=5).json()
    return [c for a in answer["articles"] for c in a["comments"]]


def add_comment(sandbox, msg_data_id: str, content: str, *, index: int = 0, **extra) -> dict:
    """A reader writes a comment now (sandbox time)."""
    answer = requests.post(f"{sandbox.url}/sandbox/comments",
                           json={"msg_data_id": msg_data_id, "index": index, "content": content, **extra},
                           timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def make_staff(rt) -> None:
    """An editor (bianji), a proofreader (jiaodui) and an approver (zhongshen)."""
    from review_helpers import make_office
    make_office(rt)
