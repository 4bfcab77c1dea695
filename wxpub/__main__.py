"""``python -m wxpub`` is the ``wxpub`` command."""

from wxpub.cli import main

main()
