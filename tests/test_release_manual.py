"""Recording a manual publication: a release published by hand from its fallback pack becomes
人工发布 with its article links, the scheduler leaves it alone, and its statistics link up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from wxpub.core.errors import Conflict, ValidationError
from wxpub.models import AuditEntry, Release, ReleaseTransition, StatArticle
from wxpub.publishing import pipeline as publish
from wxpub.releases import actions, manual
from wxpub.stats import store

from publishing_helpers import apply_and_approve, make_due, plan_file, sandbox_calls

WORKER = "test-host:1"
LONG = "https://mp.weixin.qq.com/s?__biz=MzA5NjY3ODQ2MQ==&mid=2650001234&idx={idx}&sn=9f3c2a1b7e&chksm=ab#rd"
SHORT = "https://mp.weixin.qq.com/s/AbCdEfGhIjKlMnOpQrStUv"


def _failed_release(rt, tmp_path, sandbox, sandbox_sleep) -> int:
    start = rt.clock.now() + timedelta(hours=2)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境",), start=start))
    make_due(rt, [release_id])
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/freepublish/submit",
                                                         "errcode": 48001, "count": 1}, timeout=5)
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) == "failed"
    return release_id


def test_a_failed_release_published_by_hand_is_recorded_and_never_sent(rt, tmp_path, sandbox, sandbox_sleep):
    release_id = _failed_release(rt, tmp_path, sandbox, sandbox_sleep)
    with rt.db.session() as s:
        steps = Path(s.get(Release, release_id).fallback_path, "步骤.txt").read_text(encoding="utf-8")
    assert f"wxpub release manual {release_id}" in steps and "发布页面" in steps
    now = rt.clock.now()
    with rt.db.session() as s:
        release = manual.record_manual(s, release_id, urls=[LONG.format(idx=1)], by="张主任", now=now)
        assert (release.state, release.article_urls, release.msg_data_id) == \
            ("manual", [LONG.format(idx=1)], "2650001234")
    with rt.db.session() as s:
        release = s.get(Release, release_id)
        assert release.published_at is not None and release.error_message is None
        [audit] = s.scalars(select(AuditEntry).where(AuditEntry.action == "release.manual")).all()
        assert audit.actor == "张主任" and audit.detail["article_urls"] == [LONG.format(idx=1)]
        last = s.scalars(select(ReleaseTransition).where(ReleaseTransition.release_id == release_id)
                         .order_by(ReleaseTransition.id.desc())).first()
        assert (last.from_state, last.to_state, last.actor) == ("failed", "manual", "张主任")
        # Statistics of the hand-published article link up through the link's mid and idx.
        s.add(StatArticle(msgid="2650001234_1", msg_data_id="2650001234", idx=1, title="市场环境"))
        s.commit()
        assert store.map_releases(s) == 1
        stat = s.get(StatArticle, "2650001234_1")
        assert stat.release_id == release_id and stat.article_id is not None
    # The scheduler never sends it, and staff cannot retry, reschedule or record it again.
    assert publish.run_release(rt, release_id, worker=WORKER, sleep=sandbox_sleep) is None
    assert sandbox_calls(sandbox.url, "/freepublish/submit") == []
    with rt.db.session() as s:
        with pytest.raises(Conflict):
            actions.retry(s, release_id, by="张主任", now=now)
        with pytest.raises(Conflict, match="已记录为人工发布"):
            manual.record_manual(s, release_id, urls=[SHORT], by="张主任", now=now)


@pytest.mark.parametrize("urls,message", [
    ([], "1–8 个"),
    (["http://mp.weixin.qq.com/s/AbCdEfGhIjKlMnOpQrStUv"], "http://mp.weixin.qq.com/s/AbCdEfGhIjKlMnOpQrStUv"),
    (["https://example.com/s/AbCdEfGhIjKlMnOpQrStUv"], "不是公众号文章链接"),
    (["https://mp.weixin.qq.com/s?__biz=MzA5&mid=1&idx=1"], "缺少参数 sn"),
    ([LONG.format(idx=1), LONG.replace("2650001234", "2650009999").format(idx=2)], "不同的"),
    ([SHORT] * 9, "1–8 个"),
])
def test_bad_links_are_refused_naming_the_bad_one(runtime, urls, message):
    with runtime.db.session() as s:
        with pytest.raises(ValidationError, match=message):
            manual.record_manual(s, 1, urls=urls, by="张主任", now=runtime.clock.now())


def test_the_command_records_a_held_release_and_refuses_a_published_one(rt, tmp_path, sandbox, sandbox_sleep):
    from click.testing import CliRunner

    from wxpub.cli import main

    start = rt.clock.now() + timedelta(hours=2)
    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境", "政务环境"), start=start))
    make_due(rt, [ids[0]])
    assert publish.run_release(rt, ids[0], worker=WORKER, sleep=sandbox_sleep) == "published"
    with rt.db.session() as s:
        actions.hold(s, ids[1], by="张主任", now=rt.clock.now())
    env = {"WXPUB_DATABASE_URL": rt.settings.database_url, "WXPUB_ENV": "test",
           "WXPUB_REVIEW_STAGES": rt.settings.review_stages,
           "WXPUB_PROOFREAD_ROUNDS": str(rt.settings.proofread_rounds),
           "WXPUB_INSTANCE_PATH": str(rt.settings.instance_path)}
    run = lambda *args: CliRunner().invoke(main, list(args), env=env)
    done = run("release", "manual", str(ids[1]), SHORT, "--as", "张主任")
    assert done.exit_code == 0, done.output
    assert f"发布 {ids[1]} 已记录为人工发布" in done.output and SHORT in done.output
    assert "统计数据无法自动关联" in done.output
    listed = run("release", "list")
    assert "人工发布" in listed.output
    refused = run("release", "manual", str(ids[0]), SHORT, "--as", "张主任")
    assert refused.exit_code != 0 and "已由本系统发布" in refused.output
