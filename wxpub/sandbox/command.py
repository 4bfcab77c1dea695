"""`wxpub sandbox` / `python -m wxpub.sandbox`: run the WeChat API emulator until Ctrl-C."""
from __future__ import annotations

import re

import click

from wxpub.sandbox.config import (ACCOUNT_TYPES, PRODUCTION_REFUSAL, SandboxConfig, SandboxConfigError,
                                  in_production, is_loopback)

_D = SandboxConfig.__dataclass_fields__


def _default(name: str):
    return _D[name].default


@click.command("sandbox", help="启动微信公众平台接口模拟器（沙箱），按 Ctrl-C 停止。")
@click.option("--host", default=_default("host"), show_default=True, help="监听地址")
@click.option("--port", default=_default("port"), type=int, show_default=True, help="监听端口")
@click.option("--appid", default=_default("appid"), show_default=True, help="模拟公众号的 AppID")
@click.option("--secret", default=_default("secret"), help="模拟公众号的 AppSecret")
@click.option("--token", default=_default("token"), show_default=True, help="消息推送 Token")
@click.option("--aes-key", "aes_key", default=_default("aes_key"), show_default=True,
              help="EncodingAESKey（43 个字母或数字）")
@click.option("--callback-url", "callback_url", default=_default("callback_url"),
              help="事件推送地址（留空则不推送）")
@click.option("--account-type", "account_type", type=click.Choice(ACCOUNT_TYPES),
              default=_default("account_type"), show_default=True,
              help="subscription（公众号，群发每天 1 次）或 service（服务号，每月 4 次）")
@click.option("--publish-delay", "publish_delay", type=float, default=_default("publish_delay"),
              show_default=True, help="发布/群发任务完成所需的沙箱秒数")
@click.option("--fault-rate", "fault_rate", type=float, default=_default("fault_rate"),
              show_default=True, help="随机故障比例（0–1）")
@click.option("--seed", type=int, default=_default("seed"), show_default=True, help="随机种子")
@click.option("--slow-seconds", "slow_seconds", type=float, default=_default("slow_seconds"),
              show_default=True, help="“慢响应”故障的停顿秒数")
@click.option("--allow-callback-host", "callback_hosts", multiple=True, metavar="HOST",
              help="除本机外允许接收事件推送的主机（可重复；链路本地/元数据地址始终拒绝）")
@click.option("--comments-per-article", "comments_per_article", default=None, metavar="N",
              help="每篇开放留言的文章生成的读者留言数（不填则 2–6 条，0 表示不生成）")
@click.option("--minute-limit", "minute_limits", multiple=True, metavar="PATH=N",
              help="每个账号每分钟最多调用某接口 N 次，超出答 45011（可重复，如 /cgi-bin/freepublish/submit=10；"
                   "默认只限 /cgi-bin/message/mass/sendall 每分钟 60 次，其他接口只计数不限制）")
@click.option("--account", "account_options", multiple=True, metavar="NAME:APPID:SECRET[:TYPE]",
              help="模拟的公众号（可重复，第一个为控制接口的默认账号）；TYPE 为 subscription（默认）或 service")
@click.option("--accounts", "accounts_file", default=None, metavar="FILE",
              help="账号清单文件（YAML 或 JSON 列表，每项含 name、appid、secret，可选 type、token、aes_key、"
                   "callback_url）")
def sandbox(account_options=(), accounts_file=None, **options) -> None:
    """Validate the options, print every effective setting and serve until interrupted."""
    from wxpub.sandbox.accounts import AccountError, load_accounts_file, parse_account_option
    from wxpub.sandbox.app import create_sandbox_app, make_sandbox_server, stop_sandbox_app
    from wxpub.sandbox.openapi import known_path
    from wxpub.sandbox.rates import effective_limits

    if in_production():
        raise click.ClickException(PRODUCTION_REFUSAL)
    try:
        accounts = tuple(parse_account_option(a) for a in account_options)
        if accounts_file is not None:
            accounts += load_accounts_file(accounts_file)
    except AccountError as exc:
        raise click.UsageError(str(exc)) from exc
    if accounts:
        ctx = click.get_current_context()
        given = [f"--{name.replace('_', '-')}" for name in ("appid", "secret", "account_type")
                 if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
        if given:
            raise click.UsageError(f"{'、'.join(given)} 不能与 --account / --accounts 同时使用："
                                   "多账号时请在每个账号的定义中给出 AppID、AppSecret 和类型")
        options["accounts"] = accounts
    per_article = options.get("comments_per_article")
    if per_article is not None:
        text = str(per_article).strip()
        # Parsed here, not by click, so a bad value gets the same Chinese message as in code.
        options["comments_per_article"] = int(text) if re.fullmatch(r"-?\d+", text) else text
    try:
        config = SandboxConfig(**options)
    except SandboxConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    if not is_loopback(config.host):
        click.echo(f"警告：沙箱监听在 {config.host}，不只是本机：同一网络中的任何人都能调用它、修改它的设置"
                   "（控制接口没有登录）。只应在可信的培训网络中这样做；平时请用默认的 127.0.0.1。", err=True)
    app = create_sandbox_app(config)
    with app.app_context():
        unknown = [f"{path}={n}" for path, n in config.minute_limits if not known_path(path)]
    if unknown:
        stop_sandbox_app(app)
        raise click.UsageError(f"--minute-limit 无效：“{unknown[0]}”，沙箱没有模拟这个接口"
                               "（须为沙箱模拟的接口路径，如 /cgi-bin/draft/add 或 /datacube/getarticleread）")
    server = make_sandbox_server(config, app)
    port = server.server_port
    lines = [("监听地址", f"http://{config.host}:{port}")]
    configs = config.account_configs()
    for number, (name, account) in enumerate(configs, start=1):
        indent = "  " if len(configs) > 1 else ""
        if len(configs) > 1:
            lines.append((f"账号 {number}", f"{name}" + ("（默认账号：不带 appid 的控制请求用它）" if number == 1 else "")))
        lines += [(indent + label, value) for label, value in _account_lines(account)]
    lines += [
        ("允许推送的其他主机", "、".join(config.callback_hosts) or "（无，仅本机）"),
        ("发布延迟", f"{config.publish_delay:g} 秒（沙箱时间）"),
        ("故障比例", f"{config.fault_rate:g}"),
        ("随机种子", str(config.seed)),
        ("慢响应停顿", f"{config.slow_seconds:g} 秒"),
        ("标题字数上限", str(config.title_limit)),
        ("每篇读者留言", "2–6 条（随种子）" if config.comments_per_article is None
         else f"{config.comments_per_article} 条"),
        ("每分钟调用上限", "、".join(f"{path} {n} 次" + ("" if by_option else "（默认）")
                               for path, n, by_option in effective_limits(config))
         + "；其他接口只计数、不限制（每个账号分别计算，超出答 45011）"),
    ]
    click.echo("微信接口沙箱已启动：")
    for label, value in lines:
        click.echo(f"  {label}：{value}")
    click.echo(f"控制接口：http://{config.host}:{port}/sandbox  （按 Ctrl-C 停止）")
    try:
        server.serve_forever()  # werkzeug's version returns quietly on Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    click.echo("\n沙箱已停止（内存中的数据已丢弃）。")


def _account_lines(config: SandboxConfig) -> list[tuple[str, str]]:
    """Banner lines of one account, secrets masked."""
    return [
        ("AppID", config.appid),
        ("AppSecret", config.masked_secret),
        ("Token", config.masked_token),
        ("EncodingAESKey", config.masked_aes_key),
        ("事件推送地址", config.callback_url or "（未设置，不推送事件）"),
        ("账号类型", {"subscription": "subscription（公众号：群发每天 1 次）",
                  "service": "service（服务号：群发每月 4 次）"}[config.account_type]),
    ]
