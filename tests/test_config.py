"""Settings: defaults, and a clear error naming each malformed or missing variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wxpub.core.errors import WxpubError
from wxpub.infra.config import NOT_SETTINGS, ConfigError, Settings, known_variables

VENV_BIN = Path(sys.executable).parent
VENV_PYTHON = sys.executable


def test_defaults_are_usable_without_any_environment(tmp_path):
    s = Settings.from_env({"WXPUB_INSTANCE_PATH": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'wxpub.sqlite3'}"
    assert s.wechat_api_url == "https://api.weixin.qq.com"
    assert s.timezone == "Asia/Shanghai"
    assert s.redis_url == ""


@pytest.mark.parametrize("variable,value", [
    ("WXPUB_TIMEZONE", "Mars/Olympus"),
    ("WXPUB_WECHAT_API_URL", "ftp://example"),
    ("WXPUB_APPID", "not-an-appid"),
    ("WXPUB_ENCODING_AES_KEY", "short"),
    ("WXPUB_REDIS_URL", "http://127.0.0.1:6379"),
    ("WXPUB_DATABASE_URL", "::not a url::"),
    ("WXPUB_WECHAT_TIMEOUT", "-3"),
    ("WXPUB_SECRET_KEY", "tiny"),
])
def test_malformed_setting_is_named(variable, value):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable
    assert variable in str(caught.value)


def test_production_requires_credentials():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"WXPUB_ENV": "production"})
    assert caught.value.variable == "WXPUB_APPID"


def test_secrets_do_not_appear_in_repr():
    s = Settings.from_env({"WXPUB_APPSECRET": "topsecret-value-123456"})
    assert "topsecret" not in repr(s)


def test_cli_stops_with_the_variable_name(tmp_path):
    import subprocess, sys, os
    env = {**os.environ, "WXPUB_TIMEZONE": "Nowhere/Land", "WXPUB_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "wxpub", "db", "current"], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "WXPUB_TIMEZONE" in result.stderr


def test_sandbox_style_credentials_are_accepted_outside_production_only():
    dev = Settings.from_env({"WXPUB_APPID": "wxtrain01", "WXPUB_APPSECRET": "practise"})
    assert dev.appid == "wxtrain01"
    production = {"WXPUB_ENV": "production", "WXPUB_APPID": "wxtrain01", "WXPUB_APPSECRET": "p" * 32,
                  "WXPUB_TOKEN": "abc123", "WXPUB_ENCODING_AES_KEY": "a" * 43, "WXPUB_SECRET_KEY": "k" * 32,
                  "WXPUB_DATABASE_URL": "postgresql+psycopg://wxpub@db.internal/wxpub"}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(production)
    assert caught.value.variable == "WXPUB_APPID"
    assert Settings.from_env({**production, "WXPUB_APPID": "wx0123456789abcdef"}).is_production


def test_misspelt_variable_is_refused_with_the_nearest_name():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"WXPUB_DATABSE_URL": "sqlite:///x.sqlite3"})
    assert caught.value.variable == "WXPUB_DATABSE_URL"
    assert str(caught.value) == "配置错误：WXPUB_DATABSE_URL 不是已知的设置，是不是 WXPUB_DATABASE_URL？"


def test_misspelt_variable_is_refused_even_when_empty():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"WXPUB_LEASE_SECOND": ""})
    assert "是不是 WXPUB_LEASE_SECONDS？" in str(caught.value)


def test_unknown_variable_without_a_close_name_is_refused_and_named():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"WXPUB_BANANA": "1"})
    assert caught.value.variable == "WXPUB_BANANA"
    assert str(caught.value).startswith("配置错误：WXPUB_BANANA 不是已知的设置")
    assert "是不是" not in str(caught.value)


def test_unknown_key_of_a_mapping_is_refused_with_its_variable_name():
    with pytest.raises(ConfigError) as caught:
        Settings.from_mapping({"env": "test", "confirm_pol": "2"})
    assert caught.value.variable == "WXPUB_CONFIRM_POL"
    assert "是不是 WXPUB_CONFIRM_POLL？" in str(caught.value)


def test_every_setting_is_accepted_under_its_variable_name():
    assert "WXPUB_LEASE_SECONDS" in known_variables()
    s = Settings.from_env({"WXPUB_CONFIRM_POLL": "0.5", "WXPUB_SUBMIT_SETTLE": "45",
                           "WXPUB_LEASE_SECONDS": "300"})
    assert (s.confirm_poll, s.submit_settle, s.lease_seconds) == (0.5, 45.0, 300.0)


@pytest.mark.parametrize("variable,value", [
    ("WXPUB_TEST_DATABASE_URL", "postgresql+psycopg://ci@127.0.0.1/wxpub_test"),
    ("WXPUB_CRASH_AT", "after-submit"),
])
def test_variables_read_elsewhere_are_accepted(tmp_path, variable, value):
    assert variable in NOT_SETTINGS
    s = Settings.from_env({variable: value, "WXPUB_INSTANCE_PATH": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'wxpub.sqlite3'}"
    assert Settings.from_mapping({variable[len("WXPUB_"):].lower(): value}).env == "development"


def test_config_error_belongs_to_the_error_hierarchy():
    with pytest.raises(WxpubError) as caught:
        Settings.from_env({"WXPUB_ENV": "staging"})
    assert isinstance(caught.value, ConfigError)
    assert caught.value.code == "config"
    assert caught.value.variable == "WXPUB_ENV"
    assert caught.value.message.startswith("配置错误：WXPUB_ENV ")


def test_development_credentials_are_the_sandbox_defaults():
    from wxpub.infra.config import DEV_AES_KEY, DEV_APPID, DEV_APPSECRET, DEV_TOKEN
    from wxpub.sandbox.config import SandboxConfig

    sandbox = SandboxConfig()
    assert (DEV_APPID, DEV_APPSECRET, DEV_TOKEN, DEV_AES_KEY) == \
        (sandbox.appid, sandbox.secret, sandbox.token, sandbox.aes_key)
    s = Settings.from_env({})
    assert (s.appid, s.appsecret, s.token, s.encoding_aes_key) == \
        (sandbox.appid, sandbox.secret, sandbox.token, sandbox.aes_key)


def test_configuration_does_not_import_the_sandbox():
    result = subprocess.run(
        [VENV_PYTHON, "-c", "import wxpub.infra.config, sys; "
                            "assert not any(m.startswith('wxpub.sandbox') for m in sys.modules)"],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_cli_refuses_a_misspelt_variable_without_a_traceback(tmp_path):
    env = {**os.environ, "WXPUB_INSTANCE_PATH": str(tmp_path), "WXPUB_TIMEZNE": "Asia/Shanghai"}
    result = subprocess.run([str(VENV_BIN / "wxpub"), "db", "current"], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "配置错误：WXPUB_TIMEZNE 不是已知的设置，是不是 WXPUB_TIMEZONE？" in result.stderr
    assert "Traceback" not in result.stderr
