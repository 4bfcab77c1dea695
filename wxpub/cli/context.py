"""CLI sub-commands: thin wrappers over the services; each module has ``register(group)``."""

from __future__ import annotations

import click

from wxpub.infra import migrate
from wxpub.core.errors import WxpubError
from wxpub.infra.runtime import Runtime


def get_runtime(*, check_schema: bool = True) -> Runtime:
    """The process's runtime, built once per command from the environment.

    Commands that use the database refuse to run on a schema that is missing or behind the code,
    with a message saying how to fix it, instead of failing later with an SQL error.
    """
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = Runtime.from_env()
    if check_schema and not getattr(root, "_schema_checked", False):
        current = migrate.current_revision(root.obj.db)
        head = migrate.head_revision(root.obj.db)
        if current != head:
            state = "尚未初始化" if current is None else f"版本 {current} 落后于程序需要的 {head}"
            raise WxpubError(f"数据库{state}，请先运行：wxpub db upgrade", code="schema")
        root._schema_checked = True
    return root.obj
