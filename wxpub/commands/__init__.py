"""CLI sub-commands: thin wrappers over the services; each module has ``register(group)``."""

from __future__ import annotations

import click

from ..runtime import Runtime


def get_runtime() -> Runtime:
    """The process's runtime, built once per command from the environment."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = Runtime.from_env()
    return root.obj
