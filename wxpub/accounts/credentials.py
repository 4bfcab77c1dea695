"""An account's credentials: stored only encrypted, decrypted when a WeChat facade is built.

The AppSecret, Token and EncodingAESKey are encrypted with a key derived from ``WXPUB_SECRET_KEY``
(``wxpub.infra.secretbox``, purpose ``account-credentials``), so the database never holds them in
clear. The account imported from the environment (``credentials_source == "env"``) reads them from
``Settings`` instead — the environment is where they are kept — until an admin rotates its secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wxpub.core.errors import Conflict
from wxpub.infra.secretbox import SecretBox

PURPOSE = "account-credentials"


@dataclass(frozen=True)
class Credentials:
    """What the WeChat adapter needs of one account (secrets kept out of ``repr``)."""

    appid: str
    appsecret: str = field(repr=False)
    token: str = field(repr=False)
    encoding_aes_key: str = field(repr=False)
    account_type: str = "subscription"


def box(settings) -> SecretBox:
    """The box that encrypts account credentials."""
    return SecretBox(settings.secret_key, PURPOSE)


def from_settings(settings) -> Credentials:
    """The environment's account (``WXPUB_APPID`` …)."""
    return Credentials(settings.appid, settings.appsecret, settings.token, settings.encoding_aes_key,
                       settings.account_type)


def of(account, settings) -> Credentials:
    """The credentials of ``account`` (a ``wxpub.models.Account``); ``Conflict`` when they cannot
    be read (an environment account whose AppID is no longer the environment's, a changed key)."""
    if account.credentials_source == "env":
        if account.appid != settings.appid:
            raise Conflict(f"公众号“{account.name}”的凭据原来取自环境变量，但 WXPUB_APPID 现在是另一个"
                           f"AppID（{settings.appid}）；请管理员在“公众号”页为它重新填写 AppSecret")
        return Credentials(account.appid, settings.appsecret, settings.token,
                           settings.encoding_aes_key, account.account_type)
    if not account.secret_encrypted:
        raise Conflict(f"公众号“{account.name}”还没有填写 AppSecret，请管理员在“公众号”页填写")
    sealed = box(settings)
    return Credentials(account.appid, sealed.decrypt(account.secret_encrypted),
                       sealed.decrypt(account.token_encrypted) if account.token_encrypted else "",
                       sealed.decrypt(account.aes_key_encrypted) if account.aes_key_encrypted else "",
                       account.account_type)


def fingerprint(account) -> tuple:
    """Changes whenever the stored credentials change (a cached facade is then rebuilt)."""
    return (account.appid, account.credentials_source, account.secret_encrypted,
            account.token_encrypted, account.aes_key_encrypted, account.account_type)
