"""The ``wxpub`` command: one group, sub-commands registered from ``wxpub.commands``.

Expected failures (``WxpubError``, bad settings) print a Chinese message to standard error and exit
with status 2; nothing is left half-written because services commit only complete work.
"""

from __future__ import annotations

import importlib
import sys

import click

from .config import ConfigError
from .errors import WxpubError

# Sub-command modules; each exposes ``register(group)``.
COMMAND_MODULES = ("db", "serve", "sandbox", "library", "articles", "releases", "scheduler",
                   "stats", "users", "demo")


class WxpubGroup(click.Group):
    """A click group that turns our errors into clear messages and a non-zero exit."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (WxpubError, ConfigError) as error:
            message = getattr(error, "message", None) or str(error)
            click.echo(f"错误：{message}", err=True)
            sys.exit(2)


@click.group(cls=WxpubGroup)
@click.version_option(package_name="wxpub")
def main() -> None:
    """wxpub —— 新政服公众号发布后台（案例库、排版、定时发布、阅读统计）。"""


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"wxpub.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"wxpub.commands.{name}":
                continue  # not built yet
            raise
        module.register(main)


_register_all()
