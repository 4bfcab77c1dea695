"""Settings: defaults, and a clear error naming each malformed or missing variable."""

import pytest

from wxpub.infra.config import ConfigError, Settings


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
                  "WXPUB_TOKEN": "abc123", "WXPUB_ENCODING_AES_KEY": "a" * 43, "WXPUB_SECRET_KEY": "k" * 32}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(production)
    assert caught.value.variable == "WXPUB_APPID"
    assert Settings.from_env({**production, "WXPUB_APPID": "wx0123456789abcdef"}).is_production
