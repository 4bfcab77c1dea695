"""``wxpub stats pull [--since DATE]`` and ``wxpub stats show [--json]``."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from wxpub.cli.context import get_runtime


def register(group: click.Group) -> None:
    """Add the ``stats`` group."""
    group.add_command(stats)


@click.group()
def stats() -> None:
    """阅读统计：从微信拉取数据、查看最新数据。"""


def _parse_since(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式不对：{value!r}，应为 YYYY-MM-DD，例如 2026-01-01") from None


class _Bar:
    """A one-line progress bar on standard error (redrawn in place)."""

    def __init__(self):
        self.shown = False

    def __call__(self, done: int, total: int, label: str) -> None:
        total = max(total, done, 1)
        filled = int(30 * done / total)
        click.echo(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {label}\033[K",
                   err=True, nl=False)
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("", err=True)


@stats.command("pull")
@click.option("--since", callback=_parse_since, metavar="YYYY-MM-DD",
              help="从这一天起补拉历史数据（默认最近 30 天；微信只保存 2025-11-01 以后的数据）")
@click.option("--dry-run", is_flag=True,
              help="只列出要调用的统计接口次数和今日额度，不调用统计接口；补拉超出额度时退出码为 1")
@click.option("--account", "account", metavar="代号", default=None,
              help="拉取哪个公众号（代号、名称或 AppID；默认环境变量里的公众号）")
def pull_command(since: date | None, dry_run: bool, account: str | None) -> None:
    """拉取微信统计数据（昨天及以前；08:00 后才有前一天的数据）。

    补拉（--since）前先读取每个统计接口今天的调用额度，最多用掉当日额度的
    WXPUB_STATS_QUOTA_SHARE（默认 0.5）；超出时不调用任何统计接口，退出码为 1。
    """
    from wxpub.stats.ingest import QuotaRefused, pull

    rt = get_runtime()
    if dry_run:
        _dry_run(rt, since, account)
        return
    bar = _Bar() if since is not None else None
    try:
        report = pull(rt, since=since, progress=bar, announce=click.echo, account=account)
    except QuotaRefused as refused:
        click.echo(refused.message, err=True)
        sys.exit(1)
    finally:
        if bar:
            bar.close()
    click.echo(report.summary())


def _dry_run(rt, since: date | None, account: str | None = None) -> None:
    """Plan and quota only: no datacube call; exit 1 when the back-fill would be refused."""
    from wxpub.stats import budget
    from wxpub.stats.ingest import account_of

    account_id, wechat = account_of(rt, account)
    plan = budget.plan_pull(rt, since, wechat=wechat, account_id=account_id)
    if not plan.total:
        click.echo(plan.describe() if plan.first_day else "没有需要拉取的统计数据。")
        return
    verdict = plan.check(budget.read_quotas(wechat, plan), rt.settings.stats_quota_share)
    click.echo(verdict.announcement())
    if since is not None and not verdict.allowed:
        click.echo(verdict.refusal(), err=True)
        sys.exit(1)
    what = "补拉在今日额度之内" if since is not None else "每日拉取不受补拉比例限制"
    click.echo(f"（试运行：{what}，没有调用统计接口，也没有保存数据。）")


@stats.command("show")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（每篇文章的最新累计数据和每日数据）")
def show_command(as_json: bool) -> None:
    """查看每篇文章的最新阅读数据。"""
    from wxpub.stats.show import articles_document

    rt = get_runtime()
    with rt.db.session() as session:
        document = articles_document(session)
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    if not document["articles"]:
        click.echo("还没有统计数据：先运行 wxpub stats pull。")
        return
    click.echo(f"{'发布日期':<10}  {'阅读':>7} {'分享':>6} {'收藏':>6} {'在看':>6}  篇章 / 标题")
    for a in document["articles"]:
        flag = "（临时）" if a["is_delay"] else ""
        click.echo(f"{a['publish_date'] or '':<12}  {a['read_user']:>7} {a['share_user']:>6} "
                   f"{a['collection_user']:>6} {a['zaikan_user']:>6}  {a['chapter'] or '未关联'} / "
                   f"{a['title']}{flag}")
    fresh = document["freshness"]
    click.echo(f"共 {len(document['articles'])} 篇；数据截至 {fresh['latest_day'] or '—'}，"
               f"最近拉取 {fresh['last_pull_beijing'] or '—'}（北京时间）。")
