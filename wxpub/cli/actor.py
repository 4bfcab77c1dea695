"""``--as NAME`` for commands that change something: the audit log records that staff account
(checked against the user table) or, without ``--as``, the operating-system account running the
command (``系统账号 root@host``)."""

from __future__ import annotations

import click

from wxpub.staff.actors import command_actor

AS_HELP = "以哪位工作人员的账号操作（须为已启用的账号，记入操作日志）；不写时记为本机的系统账号"


def as_option(*names: str, required: bool = False, help: str = AS_HELP):
    """The ``--as`` option (``names`` adds aliases such as ``--by``), stored as ``as_user``."""
    return click.option("--as", *names, "as_user", metavar="用户名", required=required,
                        help=help)


def actor(session, as_user: str | None, **needs) -> str:
    """The audit actor for this command (see ``wxpub.staff.actors.command_actor``)."""
    return command_actor(session, as_user, **needs)
