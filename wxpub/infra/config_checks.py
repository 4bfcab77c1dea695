"""Checks of ``Settings`` that need more than a range (alert channels, production safety), with the
error type and the development defaults they compare against.

Kept apart from ``wxpub.infra.config`` (which re-exports ``ConfigError`` and the defaults) so that module
stays small; ``Settings.validate`` calls these.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlparse

from sqlalchemy.engine import make_url

from wxpub.core.errors import WxpubError

log = logging.getLogger("wxpub.config")

# Development defaults: the same credentials as the sandbox's defaults (``SandboxConfig``), so
# `make demo` works with no environment. They are spelt out here so that production configuration
# does not import the sandbox; tests/test_config.py checks that the two stay equal.
DEV_APPID = "wxsandbox000000001"
DEV_APPSECRET = "sandboxsecret00000000000000000001"
DEV_TOKEN = "sandboxtoken"
DEV_AES_KEY = "SandboxEncodingAESKey0000000000000000000000"
DEV_SECRET_KEY = "wxpub-development-only-secret-key"

# The robot webhooks (企业微信, 钉钉, 飞书); their URLs carry access keys.
ALERT_URLS = ("alert_wecom_url", "alert_dingtalk_url", "alert_feishu_url")

class ConfigError(WxpubError):
    """A setting is missing, malformed or unknown; ``variable`` names it (``WXPUB_…``)."""

    code = "config"

    def __init__(self, variable: str, message: str):
        super().__init__(f"配置错误：{variable} {message}")
        self.variable = variable


def _is_loopback_host(host: str) -> bool:
    """``localhost`` (and ``*.localhost``), 127.0.0.0/8, ``::1`` and the unspecified addresses."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return address.is_loopback or address.is_unspecified


def _check_http_url(variable: str, url: str, show: bool = True) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        # ``show=False`` for URLs that carry an access key: the message must not repeat it.
        raise ConfigError(variable, f"不是有效的 http(s) 地址：{url!r}" if show else "不是有效的 http(s) 地址")



def validate_alert_channels(settings) -> None:
    """The webhook, robot and public URLs are http(s) (https in production: the URLs carry access
    keys); a signing secret needs its robot's URL."""
    for name in ("alert_webhook_url", *ALERT_URLS, "public_url"):
        value = getattr(settings, name)
        if not value:
            continue
        variable = f"WXPUB_{name.upper()}"
        _check_http_url(variable, value, show=name == "public_url")
        if settings.is_production and urlparse(value).scheme != "https":
            raise ConfigError(variable, "在生产环境中必须是 https:// 地址（否则其中的密钥会以明文发送）")
    for robot in ("dingtalk", "feishu"):
        secret = getattr(settings, f"alert_{robot}_secret")
        if secret and not getattr(settings, f"alert_{robot}_url"):
            raise ConfigError(f"WXPUB_ALERT_{robot.upper()}_SECRET",
                              f"设置了签名密钥，但没有设置 WXPUB_ALERT_{robot.upper()}_URL")
        if secret and any(ch.isspace() for ch in secret):
            raise ConfigError(f"WXPUB_ALERT_{robot.upper()}_SECRET", "格式不对：含空白字符")

def validate_production(settings) -> None:
    """Refuse the development defaults, a WeChat API URL that would send the AppSecret in clear
    or to this machine, and SQLite unless explicitly allowed (production only)."""
    dev_values = (("WXPUB_SECRET_KEY", settings.secret_key, DEV_SECRET_KEY, "开发用密钥"),
                  ("WXPUB_APPID", settings.appid, DEV_APPID, "沙箱的 AppID"),
                  ("WXPUB_APPSECRET", settings.appsecret, DEV_APPSECRET, "沙箱的 AppSecret"),
                  ("WXPUB_TOKEN", settings.token, DEV_TOKEN, "沙箱的 Token"),
                  ("WXPUB_ENCODING_AES_KEY", settings.encoding_aes_key, DEV_AES_KEY, "沙箱的 EncodingAESKey"))
    for variable, value, dev_value, what in dev_values:
        if value == dev_value:
            raise ConfigError(variable, f"仍是{what}（公开的开发默认值），生产环境中必须换成自己的值")
    api = urlparse(settings.wechat_api_url)
    if api.scheme != "https":
        raise ConfigError("WXPUB_WECHAT_API_URL", "在生产环境中必须是 https:// 地址（否则 AppSecret 会以明文发送）："
                          f"{settings.wechat_api_url!r}")
    if _is_loopback_host(api.hostname or ""):
        raise ConfigError("WXPUB_WECHAT_API_URL", "在生产环境中不能指向本机（127.0.0.1、localhost、::1，"
                          f"例如微信沙箱）：{settings.wechat_api_url!r}")
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        if not settings.allow_sqlite:
            raise ConfigError("WXPUB_DATABASE_URL", "在生产环境中不能使用 SQLite，请使用 PostgreSQL"
                              "（postgresql+psycopg://…）；确需使用 SQLite 时请同时设置 WXPUB_ALLOW_SQLITE=1")
        log.warning("生产环境正在使用 SQLite 数据库（WXPUB_ALLOW_SQLITE=1）：不适合多个进程同时写入，"
                    "请尽快换成 PostgreSQL")
