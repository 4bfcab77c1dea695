"""``wxpub scheduler``: the one scheduler process (Procfile ``scheduler:``)."""

from __future__ import annotations

import logging

import click

from wxpub.cli.context import get_runtime


def register(group: click.Group) -> None:
    """Add ``scheduler``."""
    group.add_command(scheduler)


@click.command()
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
              help="日志级别：DEBUG 调试、INFO 一般、WARNING 警告、ERROR 错误")
def scheduler(log_level: str) -> None:
    """运行定时发布调度进程（每个部署只运行一个；Ctrl-C 或 SIGTERM 停止）。"""
    from wxpub.worker import scheduler as sched
    from wxpub.wechat.transport import install_log_redaction

    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING if log_level != "DEBUG" else logging.DEBUG)
    install_log_redaction()
    rt = get_runtime()
    click.echo(f"调度进程已启动（数据库 {rt.db.engine.url.render_as_string(hide_password=True)}，"
               f"微信接口 {rt.settings.wechat_api_url}）", err=True)
    sched.run(rt)
