"""The command process (``wxpub …``): thin callers of the domain services.

Each module registers its sub-commands on the one click group of ``wxpub.cli.main``.
"""

from wxpub.cli.main import main

__all__ = ["main"]
