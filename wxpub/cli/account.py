"""``wxpub account status``: how long the account has gone without publishing (inspections fail an
account without an update for two weeks; some localities: 10 days).

``wxpub account add|list|rotate-secret|disable|enable``: the office's official accounts (admin).
The AppSecret is read from a hidden prompt or, with ``--secret-stdin``, one line of standard
input — never from an argument; no command prints any secret.
"""

from __future__ import annotations

import json
import sys

import click

from wxpub.accounts import overview, registry, service
from wxpub.cli.actor import actor, as_option
from wxpub.cli.context import get_runtime
from wxpub.infra.clock import format_local
from wxpub.releases.liveness import status

LEVELS = {"ok": "正常", "warn": "提醒", "alarm": "告警", "never": "尚未发布"}


def register(group: click.Group) -> None:
    """Add the ``account`` group."""
    group.add_command(account)


@click.group()
def account() -> None:
    """公众号：登记、列出、更换 AppSecret、停用/启用（管理员）；更新情况（两周不更新会被通报）。"""


@account.command("status")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--account", "key", default=None, metavar="代号",
              help="只看这个公众号（代号、名称或 AppID；默认全部公众号合计）")
def account_status(as_json: bool, key: str | None) -> None:
    """显示距上次发布的天数、下一次计划发布，以及是否接近“两周不更新”的检查红线。

    退出码：正常 0；达到告警天数（WXPUB_SILENCE_ALARM_DAYS）为 1，便于运维监控。
    """
    from wxpub.accounts import registry

    rt = get_runtime()
    settings, tz = rt.settings, rt.settings.tz
    with rt.db.session() as session:
        account_id = registry.find(session, key).id if key else None
        state = status(session, now=rt.clock.now(), warn_days=settings.silence_warn_days,
                       alarm_days=settings.silence_alarm_days, account_id=account_id)
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


# --- the accounts themselves (admin) ---------------------------------------------------------------

ADMIN = {"roles": ("admin",), "purpose": "管理公众号"}
AS_ADMIN = "以哪位管理员的账号操作（须为已启用的“管理员”账号，记入操作日志）；不写时记为本机的系统账号"
SECRET_STDIN = "从标准输入读取 AppSecret（一行），供脚本使用；不写则在提示时输入（不回显，输入两次）"


def read_secret(from_stdin: bool, prompt: str = "AppSecret") -> str:
    """The AppSecret from a hidden prompt (typed twice) or one line of standard input — never from
    an argument, which would stay in the shell's history and the process list."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=f"再次输入{prompt}")


def _describe(line, tz) -> str:
    state = "使用中" if line.enabled else f"已停用（{line.disabled_by}，{format_local(line.disabled_at, tz)}）"
    rotated = format_local(line.secret_rotated_at, tz) if line.secret_rotated_at else "未更换过"
    return (f"{line.name}（{line.code}）  {line.appid}  {line.type_name}  凭据：{line.source_name}  "
            f"AppSecret 更换：{rotated}  {state}  限定可见的同事：{line.limited_users} 人")


@account.command("add", short_help="登记公众号（AppSecret 在提示时输入）。")
@click.option("--name", required=True, metavar="名称", help="公众号名称，如 新政服")
@click.option("--code", required=True, metavar="代号", help="1–32 个英文字母、数字、_ 或 -，如 xzf（事件推送地址的最后一段）")
@click.option("--appid", required=True, metavar="AppID", help="wx 开头的 AppID")
@click.option("--type", "account_type", type=click.Choice(service.TYPES), required=True,
              help="类型：subscription 订阅号、service 服务号")
@click.option("--token", default="", metavar="Token", help="“服务器配置”里的 Token（可不填）")
@click.option("--aes-key", default="", metavar="EncodingAESKey", help="“服务器配置”里的 EncodingAESKey，43 位（可不填）")
@click.option("--secret-stdin", is_flag=True, help=SECRET_STDIN)
@as_option(help=AS_ADMIN)
def account_add(name: str, code: str, appid: str, account_type: str, token: str, aes_key: str,
                secret_stdin: bool, as_user: str | None) -> None:
    """登记一个公众号。AppSecret 不能写在命令行上：在提示时输入（不回显），或用 --secret-stdin 从标准输入读取；
    凭据只加密保存，之后任何命令和页面都不再显示。"""
    secret = read_secret(secret_stdin)
    rt = get_runtime()
    with rt.db.session() as session:
        row = service.add(session, rt.settings, name=name, code=code, appid=appid, account_type=account_type,
                          appsecret=secret, token=token, encoding_aes_key=aes_key, now=rt.clock.now(),
                          actor=actor(session, as_user, **ADMIN))
        click.echo(f"已登记公众号“{row.name}”（代号 {row.code}，{registry.type_name(row.account_type)}，"
                   f"AppID {row.appid}）；事件推送地址：<本系统地址>/wechat/callback/{row.code}")


@account.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def account_list(as_json: bool) -> None:
    """列出所有公众号：代号、AppID、类型、凭据来源、AppSecret 更换时间（北京时间）、状态。不显示任何凭据。"""
    rt = get_runtime()
    with rt.db.session() as session:
        lines = overview.listing(session, rt.settings)
    if as_json:
        click.echo(json.dumps({"accounts": [line.as_dict() for line in lines]}, ensure_ascii=False))
        return
    for line in lines:
        click.echo(_describe(line, rt.settings.tz))


@account.command("rotate-secret", short_help="更换公众号的 AppSecret（在提示时输入）。")
@click.argument("code", metavar="代号")
@click.option("--token", default=None, metavar="Token", help="同时更换 Token（不写则保持原来的）")
@click.option("--aes-key", default=None, metavar="EncodingAESKey", help="同时更换 EncodingAESKey（不写则保持原来的）")
@click.option("--secret-stdin", is_flag=True, help="从标准输入读取新的 AppSecret（一行）；不写则在提示时输入（不回显，输入两次）")
@as_option(help=AS_ADMIN)
def account_rotate(code: str, token: str | None, aes_key: str | None, secret_stdin: bool,
                   as_user: str | None) -> None:
    """更换 AppSecret（在公众号后台重置后）：下一次调用微信接口时即用新的 AppSecret 换取新的 access token。"""
    rt = get_runtime()
    with rt.db.session() as session:
        registry.find(session, code)  # an unknown account is refused before the secret is asked for
    secret = read_secret(secret_stdin, "新的 AppSecret")
    with rt.db.session() as session:
        row = service.rotate_secret(session, rt.settings, code, appsecret=secret, token=token,
                                    encoding_aes_key=aes_key, now=rt.clock.now(),
                                    actor=actor(session, as_user, **ADMIN))
        click.echo(f"已更换公众号“{row.name}”（{row.code}）的 AppSecret"
                   + ("、Token" if token else "") + ("、EncodingAESKey" if aes_key else "")
                   + "；下一次调用微信接口时将用它换取新的 access token")


@account.command("disable")
@click.argument("code", metavar="代号")
@as_option(help=AS_ADMIN)
def account_disable(code: str, as_user: str | None) -> None:
    """停用公众号：到点的发布被暂停、不会发出，不能再为它安排发布，也不再拉取它的数据和留言。"""
    rt = get_runtime()
    with rt.db.session() as session:
        row = service.disable(session, code, now=rt.clock.now(), actor=actor(session, as_user, **ADMIN))
        click.echo(f"已停用公众号“{row.name}”（{row.code}）：它的发布将被暂停、不会发出，直到重新启用")


@account.command("enable")
@click.argument("code", metavar="代号")
@as_option(help=AS_ADMIN)
def account_enable(code: str, as_user: str | None) -> None:
    """重新启用已停用的公众号（停用期间被暂停的发布需逐条恢复）。"""
    rt = get_runtime()
    with rt.db.session() as session:
        row = service.enable(session, code, now=rt.clock.now(), actor=actor(session, as_user, **ADMIN))
        click.echo(f"已重新启用公众号“{row.name}”（{row.code}）")
