"""``python -m wxpub`` is the ``wxpub`` command."""

from .cli import main

main()
