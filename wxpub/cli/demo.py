"""``wxpub demo``: the main job on embedded defaults (what ``make demo`` runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def register(group: click.Group) -> None:
    """Add ``demo``."""
    group.add_command(demo)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, metavar="地址",
              help="网页和沙箱的监听地址")
@click.option("--port", "web_port", default=8000, show_default=True, type=int, metavar="端口", help="网页端口（被占用时自动换）")
@click.option("--sandbox-port", default=8930, show_default=True, type=int, metavar="端口", help="沙箱端口（被占用时自动换）")
@click.option("--gap", default=5, show_default=True, type=click.IntRange(1, 600), metavar="秒数",
              help="篇章之间相隔的秒数")
@click.option("--once", is_flag=True, help="演示完成后退出（不持续提供网页服务）")
def demo(host, web_port, sandbox_port, gap, once):
    """完整演示：沙箱、导入、排版、审批、按计划发布、拉取统计、工作台。"""
    from wxpub.cli import demo_story as runner
    root = Path.cwd()
    if not (root / "articles").is_dir():
        raise click.UsageError("请在项目目录（含 articles/）中运行 wxpub demo")
    sys.exit(runner.run(root, host=host, web_port=web_port, sandbox_port=sandbox_port, gap=gap,
                        once=once))
