"""``wxpub account status``: how long the account has gone without publishing (inspections fail an
account without an update for two weeks; some localities: 10 days)."""

from __future__ import annotations

import json

import click

from wxpub.cli.context import get_runtime
from wxpub.releases.liveness import status

LEVELS = {"ok": "正常", "warn": "提醒", "alarm": "告警", "never": "尚未发布"}


def register(group: click.Group) -> None:
    """Add the ``account`` group."""
    group.add_command(account)


@click.group()
def account() -> None:
    """公众号账号：更新情况（两周不更新会被通报）。"""


@account.command("status")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def account_status(as_json: bool) -> None:
    """显示距上次发布的天数、下一次计划发布，以及是否接近“两周不更新”的检查红线。

    退出码：正常 0；达到告警天数（WXPUB_SILENCE_ALARM_DAYS）为 1，便于运维监控。
    """
    rt = get_runtime()
    settings, tz = rt.settings, rt.settings.tz
    with rt.db.session() as session:
        state = status(session, now=rt.clock.now(), warn_days=settings.silence_warn_days,
                       alarm_days=settings.silence_alarm_days)
    if as_json:
        click.echo(json.dumps({
            "level": state.level, "days_since_last": state.days,
            "last_published_at": state.last_at.astimezone(tz).isoformat() if state.last_at else None,
            "next_release_at": state.next_at.astimezone(tz).isoformat() if state.next_at else None,
            "deadline": state.deadline.astimezone(tz).isoformat() if state.deadline else None,
            "next_in_time": state.next_in_time, "warn_days": state.warn_days,
            "alarm_days": state.alarm_days}, ensure_ascii=False))
    else:
        click.echo(f"【{LEVELS[state.level]}】{state.describe(tz)}")
    if state.level == "alarm":
        raise SystemExit(1)
