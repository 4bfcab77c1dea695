"""``wxpub sandbox``: the local WeChat API emulator (see ``wxpub/sandbox/README.md``)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add ``sandbox``."""
    from wxpub.sandbox.command import sandbox
    group.add_command(sandbox)
