"""``wxpub audit verify|list|export``: check that the audit trail is whole, read it, and write it to
a CSV or Excel file (the same columns as the 操作日志 page)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from wxpub.cli.context import get_runtime
from wxpub.core.errors import ValidationError
from wxpub.infra import audit_chain
from wxpub.staff import audit


def register(group: click.Group) -> None:
    """Add the ``audit`` group."""
    group.add_command(audit_group)


@click.group("audit")
def audit_group() -> None:
    """操作日志：核对是否被改动（verify）、查看（list）、导出（export）。"""


def _filter_options(command):
    for option in reversed([
        click.option("--actor", metavar="用户名", default="", help="只看这个人（用户名或系统账号）的操作"),
        click.option("--action", metavar="操作", default="",
                     help="只看这种操作，如 review.approve（审核通过）、import（导入案例）、user.login（登录）"),
        click.option("--object-type", metavar="类型", default="",
                     help="只看这类对象：case 案例、message 推送、release 发布、user 账号、chapter 篇章…"),
        click.option("--object-id", metavar="编号", default="", help="只看这个对象（与 --object-type 同用）"),
        click.option("--since", metavar="日期", default="", help="从这天起（北京时间，如 2026-03-01）"),
        click.option("--until", metavar="日期", default="", help="到这天为止（北京时间，含当天）"),
    ]):
        command = option(command)
    return command


def _filters(options: dict) -> audit.Filters:
    return audit.parse_filters({k: options.get(k) for k in
                                ("actor", "action", "object_type", "object_id", "since", "until")})


@audit_group.command("verify")
def verify() -> None:
    """从第一条起逐条核对操作日志的哈希链：完整时退出码为 0，发现被改动或删除的记录时逐条列出并以 1 退出。"""
    rt = get_runtime()
    with rt.db.session() as session:
        verdict = audit_chain.verify(session)
    if verdict.ok:
        click.echo(f"操作日志完整：共 {verdict.rows} 条，链头 第 {verdict.head_seq} 条，哈希 {verdict.head_hash or '（空）'}")
        return
    click.echo(f"操作日志不完整：发现 {len(verdict.problems)} 处问题（核对了 {verdict.rows} 条）")
    for problem in verdict.problems:
        click.echo(f"  - {problem}")
    click.echo("请保留数据库现状和备份，交由管理员核查。")
    sys.exit(1)


@audit_group.command("list")
@_filter_options
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True, metavar="页码", help="第几页")
@click.option("--per-page", type=click.IntRange(1, 1000), default=audit.PER_PAGE, show_default=True,
              metavar="条数", help="每页几条")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（与 GET /api/v1/audit 相同）")
def list_entries(page: int, per_page: int, as_json: bool, **options) -> None:
    """列出操作日志，最新的在前（时间为北京时间）。"""
    rt = get_runtime()
    tz = rt.settings.tz
    with rt.db.session() as session:
        found = audit.page_of(session, _filters(options), page=page, per_page=per_page, tz=tz)
        if as_json:
            click.echo(json.dumps({"entries": [audit.entry_json(e, tz) for e in found.entries],
                                   "page": page, "per_page": per_page, "total": found.total},
                                  ensure_ascii=False))
            return
        names = audit.people(session)
        rows = [audit.shown(e, names, tz) for e in found.entries]
    if not rows:
        click.echo("没有符合条件的记录")
        return
    for r in rows:
        hashes = f"  {(r['before_sha256'] or '无')[:8]}→{(r['after_sha256'] or '无')[:8]}" \
            if r["before_sha256"] or r["after_sha256"] else ""
        where = f"  {r['address']}" if r["address"] else ""
        click.echo(f"{r['seq'] if r['seq'] is not None else '无序号':>6}  {r['at']}  {r['actor']}  {r['action_name']}"
                   f"  {r['object'] or '—'}  {r['summary']}{hashes}{where}")
    click.echo(f"共 {found.total} 条，第 {page} / {found.pages} 页")


@audit_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True), metavar="文件")
@_filter_options
def export(file: str, **options) -> None:
    """把（筛选出的）操作日志写成 CSV 或 Excel 文件。

    文件：以 .csv 或 .xlsx 结尾，如 操作日志-2026年3月.xlsx。
    """
    from wxpub.stats import exports

    path = Path(file)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in exports.CONTENT_TYPES:
        raise ValidationError(f"文件应以 .csv 或 .xlsx 结尾，而不是“{path.name}”")
    rt = get_runtime()
    tz = rt.settings.tz
    with rt.db.session() as session:
        rows = audit.all_matching(session, _filters(options), tz=tz, limit=None)
        data = exports.export(audit.table(rows, audit.people(session), tz=tz), fmt)
    path.write_bytes(data)
    click.echo(f"已导出 {len(rows)} 条记录到 {path}")
