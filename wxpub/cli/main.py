"""The ``wxpub`` command: one group, sub-commands registered from the modules of ``wxpub.cli``.

Expected failures (``WxpubError``, bad settings) print a Chinese message to standard error and exit
with status 2; nothing is left half-written because services commit only complete work. Click's own
texts (usage lines, ``--help``, its error messages) are Chinese too: ``wxpub.cli.i18n`` is installed
before any command is declared, and ``-h`` works as well as ``--help``.
"""

from __future__ import annotations

import sys

import click

from wxpub.cli import helpformat, i18n
from wxpub.infra.config import ConfigError
from wxpub.core.errors import WxpubError

i18n.install()  # before the decorators below: click fills in some help texts when they run


class WxpubGroup(click.Group):
    """A click group that turns our errors into clear messages and a non-zero exit."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (WxpubError, ConfigError) as error:
            message = getattr(error, "message", None) or str(error)
            click.echo(f"错误：{message}", err=True)
            sys.exit(2)


@click.group("wxpub", cls=WxpubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wxpub")
def main() -> None:
    """wxpub —— 新政服公众号发布后台（案例库、排版、定时发布、阅读统计）。"""


def _register_all() -> None:
    import importlib

    from wxpub.cli import (articles, db, demo, library, releases, sandbox, scheduler, serve, stats,
                           users)
    for module in (db, serve, sandbox, library, articles, releases, scheduler, stats, users, demo):
        module.register(main)
    for name in ("review", "audit", "account", "alert", "comments", "rating"):  # command groups added later register the same way
        try:
            module = importlib.import_module(f"wxpub.cli.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"wxpub.cli.{name}":
                raise
            continue
        module.register(main)
    helpformat.localize(main)


_register_all()
