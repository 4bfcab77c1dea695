"""``wxpub serve``: the web app (dashboard, API, WeChat callback) for a single machine.

Production runs gunicorn on ``wxpub.wsgi:app`` (Procfile ``web:``); this command is for the demo and
for offices without a process manager. It never starts the scheduler.
"""

from __future__ import annotations

import click

from wxpub.cli.context import get_runtime


def register(group: click.Group) -> None:
    """Add ``serve``."""
    group.add_command(serve)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, metavar="地址", help="监听地址")
@click.option("--port", default=8000, show_default=True, type=int, metavar="端口", help="端口")
def serve(host: str, port: int) -> None:
    """启动网页服务（工作台、接口、微信回调）。"""
    from werkzeug.serving import run_simple

    from wxpub import create_app
    app = create_app(runtime=get_runtime())
    click.echo(f"网页服务：http://{host}:{port}/  （Ctrl-C 停止）")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
