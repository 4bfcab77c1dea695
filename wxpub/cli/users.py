"""``wxpub user create NAME --role ROLE``: staff accounts (password from a prompt or standard input)."""

from __future__ import annotations

import sys

import click

from wxpub.staff import users
from wxpub.models import ROLES
from wxpub.cli.context import get_runtime


def register(group: click.Group) -> None:
    """Add the ``user`` group."""
    group.add_command(user)


@click.group()
def user() -> None:
    """工作人员账号。"""


@user.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="角色")
@click.option("--display-name", default="", help="显示名称")
def create(name: str, role: str, display_name: str) -> None:
    """新建账号；密码在提示时输入，或从标准输入读取一行。"""
    if sys.stdin.isatty():
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    rt = get_runtime()
    with rt.db.session() as session:
        row = users.create_user(session, name, password, role, now=rt.clock.now(),
                                display_name=display_name)
    click.echo(f"已创建账号 {row.username}（{users.ROLE_NAMES[row.role]}）")
