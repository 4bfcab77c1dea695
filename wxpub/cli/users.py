"""``wxpub user create|list|disable|enable|reset-password|set-role|unlock``: staff accounts;
``wxpub user token create|list|revoke``: their API tokens; ``wxpub user accounts``: which official
accounts (公众号) one of them may see.

Passwords are read from a prompt (typed twice) or, when standard input is not a terminal, from its
first line; they are never taken from the command line. ``--as NAME`` names the admin doing it (else
the operating-system account is recorded).
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import click

from wxpub.accounts import service as account_service
from wxpub.infra.clock import format_local
from wxpub.models import ROLES, TOKEN_SCOPES
from wxpub.staff import api_tokens, passwords, users
from wxpub.cli.actor import actor, as_option
from wxpub.cli.context import get_runtime

ADMIN = {"roles": ("admin",), "purpose": "管理账号"}
AS_ADMIN = "以哪位管理员的账号操作（须为已启用的“管理员”账号，记入操作日志）；不写时记为本机的系统账号"
ROLE_HELP = "角色：editor 编辑（初审）、proofreader 校对、reviewer 复审、approver 终审、admin 管理员（管账号，不签审核）"


def register(group: click.Group) -> None:
    """Add the ``user`` group."""
    group.add_command(user)


@click.group()
def user() -> None:
    """工作人员账号：新建、列出、停用/启用、重置密码、更改角色、解锁；API 令牌（user token）；可见公众号（user accounts）。"""


def read_password(prompt: str = "密码") -> str:
    """A password from the prompt (twice) or the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=f"再次输入{prompt}")
    return sys.stdin.readline().rstrip("\r\n")


@user.command("create", short_help="新建账号。",
              help=f"新建账号；密码在提示时输入，或从标准输入读取一行。密码规则：{passwords.RULES}。\n\n"
                   "用户名：登录用的名字，如 zhangsan。")
@click.argument("name", metavar="用户名")
@click.option("--role", type=click.Choice(ROLES), required=True, help=ROLE_HELP)
@click.option("--display-name", default="", metavar="显示名称", help="显示名称（如 张主任；默认同用户名）")
@as_option(help=AS_ADMIN)
def create(name: str, role: str, display_name: str, as_user: str | None) -> None:
    password = read_password()
    rt = get_runtime()
    with rt.db.session() as session:
        row = users.create_user(session, name, password, role, now=rt.clock.now(),
                                display_name=display_name, actor=actor(session, as_user, **ADMIN))
    click.echo(f"已创建账号 {row.username}（{row.display_name}，{users.role_name(row.role)}）")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def list_users(as_json: bool) -> None:
    """列出所有账号：角色、状态（启用 / 已停用 / 已锁定）、最近登录（北京时间）。"""
    rt = get_runtime()
    tz = rt.settings.tz
    with rt.db.session() as session:
        rows = users.listing(session, now=rt.clock.now())
    if as_json:
        click.echo(json.dumps({"users": [
            {"username": r.username, "display_name": r.display_name, "role": r.role,
             "role_name": r.role_name, "active": r.active, "state": r.state,
             "locked_until": r.locked_until.isoformat() if r.locked_until else None,
             "last_login_at": r.last_login_at.isoformat() if r.last_login_at else None,
             "open_sessions": r.open_sessions} for r in rows]}, ensure_ascii=False))
        return
    if not rows:
        click.echo("还没有账号。用 wxpub user create 用户名 --role admin 新建第一个管理员。")
        return
    for r in rows:
        state = r.state
        if r.locked_until and r.active:
            state += f"（至 {format_local(r.locked_until, tz)[-5:]}）"
        click.echo(f"{r.username}  {r.display_name}  {r.role_name}  {state}  "
                   f"最近登录：{format_local(r.last_login_at, tz) if r.last_login_at else '从未登录'}")


@user.command("disable")
@click.argument("name", metavar="用户名")
@as_option(help=AS_ADMIN)
def disable(name: str, as_user: str | None) -> None:
    """停用账号：不能再登录，已登录的会话立即失效。"""
    rt = get_runtime()
    with rt.db.session() as session:
        row = users.disable(session, name, actor=actor(session, as_user, **ADMIN), now=rt.clock.now())
    click.echo(f"已停用账号 {row.username}，其登录已全部失效")


@user.command("enable")
@click.argument("name", metavar="用户名")
@as_option(help=AS_ADMIN)
def enable(name: str, as_user: str | None) -> None:
    """重新启用已停用的账号。"""
    rt = get_runtime()
    with rt.db.session() as session:
        row = users.enable(session, name, actor=actor(session, as_user, **ADMIN), now=rt.clock.now())
    click.echo(f"已启用账号 {row.username}")


@user.command("reset-password", help="重置密码（新密码在提示时输入，或从标准输入读取一行）；"
              f"账号同时解锁，已登录的会话失效。密码规则：{passwords.RULES}。",
              short_help="重置密码（账号同时解锁）。")
@click.argument("name", metavar="用户名")
@as_option(help=AS_ADMIN)
def reset_password(name: str, as_user: str | None) -> None:
    password = read_password("新密码")
    rt = get_runtime()
    with rt.db.session() as session:
        row = users.reset_password(session, name, password, actor=actor(session, as_user, **ADMIN),
                                   now=rt.clock.now())
    click.echo(f"已重置 {row.username} 的密码，其登录已全部失效，请把新密码当面或电话告知本人")


@user.command("set-role", short_help="更改角色。")
@click.argument("name", metavar="用户名")
@click.argument("role", type=click.Choice(ROLES), metavar="角色")
@as_option(help=AS_ADMIN)
def set_role(name: str, role: str, as_user: str | None) -> None:
    """更改角色（editor 编辑、proofreader 校对、reviewer 复审、approver 终审、admin 管理员）；已登录的会话失效。"""
    rt = get_runtime()
    with rt.db.session() as session:
        row = users.set_role(session, name, role, actor=actor(session, as_user, **ADMIN), now=rt.clock.now())
    click.echo(f"账号 {row.username} 的角色已改为“{users.role_name(row.role)}”，需重新登录")


@user.command("unlock", short_help="解除因登录失败次数过多造成的锁定。")
@click.argument("name", required=False, metavar="[用户名]")
@click.option("--address", metavar="地址", help="解锁一个网络地址（来自该地址的登录失败次数过多时）")
@as_option(help=AS_ADMIN)
def unlock(name: str | None, address: str | None, as_user: str | None) -> None:
    """解除因登录失败次数过多造成的锁定：wxpub user unlock 用户名，或 --address 地址。"""
    if bool(name) == bool(address):
        raise click.UsageError("请指定一个用户名，或用 --address 指定一个地址（二选一）")
    rt = get_runtime()
    with rt.db.session() as session:
        who = actor(session, as_user, **ADMIN)
        if name:
            row = users.unlock(session, name, actor=who, now=rt.clock.now())
            click.echo(f"已解锁账号 {row.username}，现在可以登录")
        else:
            users.unlock_address(session, address, actor=who, now=rt.clock.now())
            click.echo(f"已解锁地址 {address.strip()}")


@user.command("accounts", short_help="限定账号可见的公众号（不写代号 = 全部公众号）。")
@click.argument("name", metavar="用户名")
@click.argument("codes", nargs=-1, metavar="[公众号代号 ...]")
@as_option(help=AS_ADMIN)
def accounts(name: str, codes: tuple[str, ...], as_user: str | None) -> None:
    """限定这位同事只能看到哪些公众号（代号、名称或 AppID，见 wxpub account list）：
    wxpub user accounts zhangsan xzf；不写代号则取消限定，可以看到全部公众号。管理员总能看到全部公众号。"""
    rt = get_runtime()
    with rt.db.session() as session:
        chosen = account_service.set_user_accounts(session, name, list(codes), now=rt.clock.now(),
                                                   actor=actor(session, as_user, **ADMIN))
        row = users.find(session, name)
        listed = "、".join(f"{a.name}（{a.code}）" for a in chosen)
    if row.role == "admin":
        click.echo(f"{row.username} 是管理员，可以看到全部公众号（限定对管理员不起作用）")
    elif chosen:
        click.echo(f"{row.username} 现在只能看到这些公众号：{listed}")
    else:
        click.echo(f"{row.username} 现在可以看到全部公众号")


@user.group("token")
def token() -> None:
    """API 令牌（供其他系统以某位同事的身份调用 /api/v1/…）：新建、列出、撤销。"""


@token.command("create", short_help="新建 API 令牌（只显示这一次）。")
@click.argument("name", metavar="用户名")
@click.option("--name", "label", required=True, metavar="用途", help="令牌的用途，如“区数据平台读取案例”")
@click.option("--scope", type=click.Choice(TOKEN_SCOPES), required=True,
              help="权限：read 只读（只能 GET）、write 读写（权限同这位同事的角色）")
@click.option("--days", type=click.IntRange(min=1, max=3650), default=None, metavar="天数",
              help="有效天数（不写则长期有效，直到撤销）")
@as_option(help=AS_ADMIN)
def token_create(name: str, label: str, scope: str, days: int | None, as_user: str | None) -> None:
    """为账号新建 API 令牌；令牌只在这里显示一次，请立即复制保存。"""
    rt = get_runtime()
    now = rt.clock.now()
    with rt.db.session() as session:
        row, text = api_tokens.create(session, user=name, name=label, scope=scope, now=now,
                                      actor=actor(session, as_user, **ADMIN),
                                      expires_at=now + timedelta(days=days) if days else None)
        click.echo(f"已为 {name} 新建 API 令牌（编号 {row.id}，{api_tokens.scope_name(row.scope)}，"
                   f"用途：{row.name}）。令牌只显示这一次，请立即复制保存：")
        click.echo(text)


@token.command("list")
@click.argument("name", required=False, metavar="[用户名]")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def token_list(name: str | None, as_json: bool) -> None:
    """列出 API 令牌（只显示开头 8 位）：编号、账号、用途、权限、状态、最近使用（北京时间）。"""
    rt = get_runtime()
    tz, now = rt.settings.tz, rt.clock.now()
    with rt.db.session() as session:
        rows = api_tokens.listing(session, name)
        if as_json:
            click.echo(json.dumps({"tokens": [
                {"id": t.id, "username": u, "name": t.name, "scope": t.scope, "prefix": t.prefix,
                 "state": api_tokens.state(t, now), "created_at": t.created_at.isoformat(),
                 "created_by": t.created_by,
                 "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                 "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                 "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None} for t, u in rows]},
                ensure_ascii=False))
            return
        if not rows:
            click.echo("还没有 API 令牌。用 wxpub user token create 用户名 --name 用途 --scope read 新建。")
            return
        for t, u in rows:
            used = format_local(t.last_used_at, tz) if t.last_used_at else "从未使用"
            click.echo(f"{t.id}  {u}  {t.prefix}…  {t.name}  {api_tokens.scope_name(t.scope)}  "
                       f"{api_tokens.state(t, now)}  最近使用：{used}")


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(min=1), metavar="编号")
@as_option(help=AS_ADMIN)
def token_revoke(token_id: int, as_user: str | None) -> None:
    """撤销 API 令牌（编号见 wxpub user token list）：使用它的系统立即无法访问。"""
    rt = get_runtime()
    with rt.db.session() as session:
        row = api_tokens.revoke(session, token_id, actor=actor(session, as_user, **ADMIN), now=rt.clock.now())
        click.echo(f"已撤销 API 令牌 {row.id}（{row.prefix}…，{row.name}）")
