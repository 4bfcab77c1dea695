"""wxpub: publishing backend for a government WeChat official account.

Packages, from the inside out::

    core/        pure: content, importers, render, lint, plans, release states, errors
    infra/       settings, runtime, clock, database, migrations, secret box
    models/      the ORM tables
    library/ editorial/ releases/ publishing/ notify/ stats/ staff/   domain services
    wechat/ sandbox/                                                  adapters
    web/ worker/ cli/                                                 process roles

``create_app()`` builds the Flask web app. Nothing connects, starts threads or logs at import time,
and importing ``wxpub`` (or ``wxpub.core``) loads neither Flask, an ORM session nor APScheduler.
"""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(settings=None, *, runtime=None, clock=None):
    """The web app factory (``wxpub.web.app.create_app``)."""
    from wxpub.web.app import create_app as build

    return build(settings, runtime=runtime, clock=clock)
