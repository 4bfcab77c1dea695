"""``wxpub db upgrade|current``: schema migrations."""

from __future__ import annotations

import click

from wxpub.infra import migrate
from wxpub.cli.context import get_runtime


def register(group: click.Group) -> None:
    """Add the ``db`` group."""
    group.add_command(db)


@click.group()
def db() -> None:
    """数据库结构迁移。"""


@db.command()
@click.option("--revision", default="head", show_default=True, metavar="版本",
              help="目标版本（head 为最新）")
def upgrade(revision: str) -> None:
    """把数据库结构升级到最新（空库则新建全部表）。"""
    rt = get_runtime(check_schema=False)
    migrate.upgrade(rt.db, revision)
    click.echo(f"数据库结构已是版本 {migrate.current_revision(rt.db)}")


@db.command()
def current() -> None:
    """显示数据库结构的当前版本。"""
    rt = get_runtime(check_schema=False)
    click.echo(f"当前版本：{migrate.current_revision(rt.db) or '空库'}；最新版本：{migrate.head_revision(rt.db)}")
