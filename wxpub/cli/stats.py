"""``wxpub stats pull [--since DATE]`` and ``wxpub stats show [--json]``."""

from __future__ import annotations

import json
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
              help="从这一天起补拉历史数据（默认最近 30 天）")
def pull_command(since: date | None) -> None:
    """拉取微信统计数据（昨天及以前；08:00 后才有前一天的数据）。"""
    from wxpub.stats.ingest import pull

    bar = _Bar() if since is not None else None
    try:
        report = pull(get_runtime(), since=since, progress=bar)
    finally:
        if bar:
            bar.close()
    click.echo(report.summary())


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
