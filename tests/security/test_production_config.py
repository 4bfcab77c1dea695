"""Production refuses to start on the development defaults (issue 10, item 7): the development
secret key, the sandbox's public credentials, a WeChat API URL that would carry the AppSecret in
clear or to this machine, and SQLite unless explicitly allowed."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wxpub.infra.config import (DEV_AES_KEY, DEV_APPID, DEV_APPSECRET, DEV_SECRET_KEY, DEV_TOKEN,
                                ConfigError, Settings)

VENV_BIN = Path(sys.executable).parent

# A production configuration of the office's own values (none of them a default).
PRODUCTION = {"WXPUB_ENV": "production", "WXPUB_APPID": "wx0123456789abcdef",
              "WXPUB_APPSECRET": "0123456789abcdef0123456789abcdef", "WXPUB_TOKEN": "binhaiToken2026",
              "WXPUB_ENCODING_AES_KEY": "Bh" * 21 + "x", "WXPUB_SECRET_KEY": "s3cr3t-of-the-office-2026-xyz",
              "WXPUB_DATABASE_URL": "postgresql+psycopg://wxpub@db.internal/wxpub"}


def test_the_office_configuration_is_accepted():
    settings = Settings.from_env(PRODUCTION)
    assert settings.is_production and settings.wechat_api_url == "https://api.weixin.qq.com"


@pytest.mark.parametrize("variable,dev_value", [
    ("WXPUB_SECRET_KEY", DEV_SECRET_KEY), ("WXPUB_APPID", DEV_APPID), ("WXPUB_APPSECRET", DEV_APPSECRET),
    ("WXPUB_TOKEN", DEV_TOKEN), ("WXPUB_ENCODING_AES_KEY", DEV_AES_KEY),
])
def test_a_development_default_is_refused_and_named(variable, dev_value):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**PRODUCTION, variable: dev_value})
    assert caught.value.variable == variable
    assert variable in str(caught.value) and "生产环境" in str(caught.value)


@pytest.mark.parametrize("url", [
    "http://api.weixin.qq.com", "https://127.0.0.1:8930", "https://127.8.0.1", "https://localhost:8930",
    "https://[::1]:8930", "http://127.0.0.1:8930",
])
def test_a_clear_text_or_loopback_wechat_api_url_is_refused(url):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**PRODUCTION, "WXPUB_WECHAT_API_URL": url})
    assert caught.value.variable == "WXPUB_WECHAT_API_URL"


def test_the_same_values_stay_accepted_outside_production():
    development = {k: v for k, v in PRODUCTION.items() if k != "WXPUB_ENV"}
    settings = Settings.from_env({**development, "WXPUB_SECRET_KEY": DEV_SECRET_KEY, "WXPUB_TOKEN": DEV_TOKEN,
                                  "WXPUB_WECHAT_API_URL": "http://127.0.0.1:8930",
                                  "WXPUB_DATABASE_URL": "sqlite:///x.sqlite3"})
    assert not settings.is_production


def test_sqlite_is_refused_unless_explicitly_allowed_and_then_warned_about(caplog):
    sqlite = {**PRODUCTION, "WXPUB_DATABASE_URL": "sqlite:////var/lib/wxpub/wxpub.sqlite3"}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(sqlite)
    assert caught.value.variable == "WXPUB_DATABASE_URL" and "WXPUB_ALLOW_SQLITE" in str(caught.value)
    no_url = {k: v for k, v in PRODUCTION.items() if k != "WXPUB_DATABASE_URL"}
    with pytest.raises(ConfigError):  # the default database is a SQLite file too
        Settings.from_env(no_url)
    with caplog.at_level(logging.WARNING, logger="wxpub.config"):
        settings = Settings.from_env({**sqlite, "WXPUB_ALLOW_SQLITE": "1"})
    assert settings.allow_sqlite
    assert any("SQLite" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_the_new_switches_are_checked():
    for variable in ("WXPUB_ALLOW_SQLITE", "WXPUB_CALLBACK_PLAINTEXT"):
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({variable: "maybe"})
        assert caught.value.variable == variable
    assert Settings.from_env({"WXPUB_CALLBACK_PLAINTEXT": "1"}).callback_plaintext
    assert not Settings.from_env({}).callback_plaintext


def test_a_production_process_stops_at_start_up_naming_the_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXPUB_")}
    env.update({**PRODUCTION, "WXPUB_SECRET_KEY": DEV_SECRET_KEY, "WXPUB_INSTANCE_PATH": str(tmp_path)})
    result = subprocess.run([str(VENV_BIN / "wxpub"), "db", "current"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "WXPUB_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
