"""Statistics follow WeChat's clock: after the sandbox's clock moves on, a plain pull (on our real
clock) finds the days WeChat now has, and stores exactly what its datacube answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from wxpub.publishing import pipeline as publish
from wxpub.stats import pull
from wxpub.stats.show import articles_document

from publishing_helpers import apply_and_approve, make_due, plan_file

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_pull_after_the_sandbox_clock_moved_finds_the_new_days(rt, tmp_path, sandbox):
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("人文环境",),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, [release_id])
    assert publish.run_release(rt, release_id, worker="t:1:x") == "published"
    now = datetime.fromisoformat(requests.get(f"{sandbox.url}/sandbox/clock", timeout=5).json()["now"])
    target = (now.astimezone(SHANGHAI) + timedelta(days=3)).replace(hour=10, minute=30)
    requests.post(f"{sandbox.url}/sandbox/clock", json={"advance_seconds": (target - now).total_seconds()},
                  timeout=5)
    report = pull(rt)
    assert report.last_day == (target - timedelta(days=1)).date()
    with rt.db.session() as s:
        [article] = articles_document(s)["articles"]
    msgid = article["msgid"]
    publish_day = now.astimezone(SHANGHAI).date().isoformat()
    answer = requests.post(f"{sandbox.url}/datacube/getarticletotaldetail", params={
        "access_token": _token(rt)}, json={"begin_date": publish_day, "end_date": publish_day},
        timeout=5).json()
    [row] = [r for r in answer["list"] if r["msgid"] == msgid]
    assert article["read_user"] == row["detail_list"][-1]["read_user"] > 0
    assert article["share_user"] == row["detail_list"][-1]["share_user"]


def _token(rt) -> str:
    return rt.wechat.token.get()
