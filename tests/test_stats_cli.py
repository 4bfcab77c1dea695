"""``wxpub stats pull`` / ``wxpub stats show`` against a live sandbox."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from wxpub.infra import migrate
from wxpub.cli import main
from wxpub.infra.clock import FrozenClock
from wxpub.infra.runtime import Runtime
from wxpub.sandbox.testing import SandboxServer
from wxpub.stats.dates import BEIJING
from wxpub.stats.testing import follow_sandbox, move_sandbox_to, publish, record_release, sandbox_now
from wxpub.wechat.testing import SANDBOX_ACCOUNT, sandbox_settings


@pytest.fixture
def setup(database_url, tmp_path):
    with SandboxServer(**SANDBOX_ACCOUNT, publish_delay=1.0) as sandbox:
        move_sandbox_to(sandbox, 9, 0)
        clock = FrozenClock(sandbox_now(sandbox))
        settings = sandbox_settings(sandbox.url, database_url, instance_path=str(tmp_path / "i"))
        rt = Runtime.from_settings(settings, clock=clock)
        migrate.upgrade(rt.db)
        wx = rt.wechat  # the facade ``wxpub stats pull`` uses too
        sent = publish(wx, sandbox, ["法治环境篇丨创新实践案例", "法治环境篇丨案例二"])
        with rt.db.session() as s:
            record_release(s, sent, series="2023年度案例展示", chapter="法治环境",
                           scheduled_at=sandbox_now(sandbox))
            s.commit()
        move_sandbox_to(sandbox, 10, 30, days=2)
        follow_sandbox(clock, sandbox)
        yield rt, sandbox, sent, wx
        rt.db.dispose()


def test_pull_backfills_with_progress_and_show_prints_json(setup):
    rt, sandbox, sent, wx = setup
    runner = CliRunner()
    since = (rt.clock.now().astimezone(BEIJING).date() - timedelta(days=40)).isoformat()
    result = runner.invoke(main, ["stats", "pull", "--since", since], obj=rt)
    assert result.exit_code == 0, result.output
    assert "统计数据已更新" in result.stdout and "文章数据" in result.stdout
    assert "/" in result.stderr and "每日阅读分享" in result.stderr  # the progress bar

    shown = runner.invoke(main, ["stats", "show", "--json"], obj=rt)
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    articles = {a["msgid"]: a for a in document["articles"]}
    assert set(articles) == set(sent.msgids())
    first = articles[sent.msgids()[0]]
    assert first["chapter"] == "法治环境" and first["release_id"] and first["title"] == "法治环境篇丨创新实践案例"
    day = rt.clock.now().astimezone(BEIJING).date() - timedelta(days=1)
    reads = {r["msgid"]: r["detail"]["read_user"] for r in wx.datacube.getarticleread(day, day)["list"]}
    assert {d["date"]: d["read_user"] for d in first["daily"]}[day.isoformat()] == reads[first["msgid"]]
    assert first["read_user"] == sum(d["read_user"] for d in first["daily"])
    assert set(first["sources"]) <= {"公众号消息", "聊天会话", "朋友圈", "公众号主页", "推荐", "搜一搜", "其他"}
    assert {"collection_user", "zaikan_user", "share_user", "read_finish_rate", "is_delay"} <= set(first)

    table = runner.invoke(main, ["stats", "show"], obj=rt)
    assert "法治环境 / 法治环境篇丨创新实践案例" in table.stdout


def test_bad_date_and_permanent_errors_are_explained_in_chinese(setup):
    rt, sandbox, sent, wx = setup
    runner = CliRunner()
    bad = runner.invoke(main, ["stats", "pull", "--since", "2026/01/01"], obj=rt)
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    sandbox.control("errors", {"path": "*", "errcode": 40164, "count": 5})
    failed = runner.invoke(main, ["stats", "pull"], obj=rt)
    assert failed.exit_code == 2 and "统计拉取中止" in failed.stderr and "白名单" in failed.stderr
    # A failed pull stores nothing: staff see no figures (and no pull time) until a pull succeeds.
    empty = runner.invoke(main, ["stats", "show"], obj=rt)
    assert "还没有统计数据" in empty.stdout
    document = json.loads(runner.invoke(main, ["stats", "show", "--json"], obj=rt).stdout)
    assert document["articles"] == [] and not document["freshness"]["last_pull_beijing"]

    sandbox.control("errors", {"clear": True})
    again = runner.invoke(main, ["stats", "pull"], obj=rt)
    assert again.exit_code == 0 and "统计数据已更新" in again.stdout, again.output
    document = json.loads(runner.invoke(main, ["stats", "show", "--json"], obj=rt).stdout)
    assert {a["msgid"] for a in document["articles"]} == set(sent.msgids())
    assert document["freshness"]["last_pull_beijing"]
