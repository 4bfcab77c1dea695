"""Helpers for tests, demos and benchmarks that run the adapter against a local sandbox.

``SANDBOX_ACCOUNT`` names the credentials explicitly for ``SandboxServer``: they are the development
defaults of ``wxpub.infra.config``, which are the sandbox's own defaults, so tests keep working if either
default changes.
"""

from __future__ import annotations

from wxpub.infra.config import DEV_AES_KEY, DEV_APPID, DEV_APPSECRET, DEV_TOKEN, Settings
from wxpub.infra.db import Database
from wxpub.models import Base

SANDBOX_ACCOUNT = {"appid": DEV_APPID, "secret": DEV_APPSECRET, "token": DEV_TOKEN,
                   "aes_key": DEV_AES_KEY}


def sandbox_settings(sandbox_url: str, database_url: str, **overrides) -> Settings:
    """Validated settings pointing every WeChat call at ``sandbox_url``."""
    values = {"env": "test", "wechat_api_url": sandbox_url, "database_url": database_url,
              "appid": DEV_APPID, "appsecret": DEV_APPSECRET, "token": DEV_TOKEN,
              "encoding_aes_key": DEV_AES_KEY}
    values.update(overrides)
    return Settings.from_mapping(values)


def database_with_tables(url: str) -> Database:
    """A ``Database`` on ``url`` with every table created (tests; migrations are the lead's)."""
    database = Database(url)
    Base.metadata.create_all(database.engine)
    return database
