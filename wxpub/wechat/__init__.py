"""The WeChat adapter: the only part of wxpub that imports wechatpy.

``WeChat(settings, database)`` gives the API groups the publisher needs::

    wx = WeChat(settings, database)
    url = wx.media.upload_image(open("a.png", "rb"))
    cover = wx.material.add_thumb(jpeg_bytes)["media_id"]
    media_id = wx.draft.add([{"title": "…", "content": "<p>…</p>", "thumb_media_id": cover}])["media_id"]
    job = wx.freepublish.submit(media_id)          # {"publish_id": "…", "msg_data_id": "…"}
    wx.mass.sendall(media_id, clientmsgid="release-42")

Every call goes to ``settings.wechat_api_url`` (the real API or the sandbox) with
``settings.wechat_timeout``; the access token is shared by all processes through the database
(or Redis when ``settings.redis_url`` is set). Construction is cheap and touches no network.
Failures raise ``WeChatError`` subclasses (see ``wxpub.wechat.errors``).
"""

from __future__ import annotations

import requests

from wxpub.infra.clock import Clock
from wxpub.infra.secretbox import SecretBox

from wxpub.wechat.callback import CallbackCrypto, CallbackError, parse_event
from wxpub.wechat.client import WxClient
from wxpub.wechat.errors import PermanentWeChatError, TokenError, TransientWeChatError, WeChatError
from wxpub.wechat.limits import CallLimits
from wxpub.wechat.token_stores import DatabaseTokenStore, RedisTokenStore, TokenStore
from wxpub.wechat.tokens import SharedAccessToken, TokenFetcher
from wxpub.wechat.transport import install_log_redaction

__all__ = ["WeChat", "WeChatError", "TransientWeChatError", "PermanentWeChatError", "TokenError",
           "CallbackCrypto", "CallbackError", "parse_event", "SharedAccessToken"]


class WeChat:
    """Facade over one official account: ``.media .material .draft .freepublish .mass .datacube
    .comment .openapi .token``."""

    def __init__(self, settings, database=None, *, clock: Clock | None = None,
                 token_mode: str = "stable", store: TokenStore | None = None,
                 redis_client=None, http: requests.Session | None = None, credentials=None):
        """``credentials`` (``wxpub.accounts.credentials.Credentials``) names the account; by
        default the environment's (``settings.appid`` …)."""
        self.settings = settings
        self.credentials = credentials = credentials or _Environment(settings)
        self.appid = credentials.appid
        install_log_redaction()
        http = http or requests.Session()
        self._http = http
        if store is None:
            store = _default_store(settings, database, redis_client, credentials.appid)
        fetcher = TokenFetcher(http, settings.wechat_api_url, credentials.appid, credentials.appsecret,
                               settings.wechat_timeout, mode=token_mode)
        self.token = SharedAccessToken(store, fetcher, SecretBox(settings.secret_key, "access-token"),
                                       clock=clock)
        self.limits = CallLimits(database, credentials.appid, clock=clock or Clock())
        self.client = WxClient(credentials.appid, credentials.appsecret, tokens=self.token,
                               api_url=settings.wechat_api_url, timeout=settings.wechat_timeout,
                               http=http, limits=self.limits)
        self.media = self.client.media
        self.material = self.client.material
        self.draft = self.client.draft
        self.freepublish = self.client.freepublish
        self.mass = self.client.mass
        self.datacube = self.client.datacube
        self.comment = self.client.comment
        self.openapi = self.client.openapi

    def server_now(self, *, fresh: bool = False):
        """WeChat's own current time (from the ``Date`` header of its answers; one cheap call if
        none was seen yet, or always with ``fresh``: a long-lived facade's last answer may be old).
        What "today" means for WeChat decides which statistics exist."""
        from wxpub.wechat.transport import server_now
        now = None if fresh else server_now(self._http)
        if now is None:
            try:
                self.draft.count()
            except WeChatError:
                pass  # an error answer carries WeChat's Date as well
            now = server_now(self._http)
        return now

    def callback_crypto(self) -> CallbackCrypto:
        """Signature checks and safe-mode crypto for this account's callback URL."""
        creds = self.credentials
        return CallbackCrypto(creds.token, creds.encoding_aes_key, creds.appid,
                              allow_plaintext=bool(getattr(self.settings, "callback_plaintext", False)))

    def __repr__(self) -> str:
        return f"WeChat(appid={self.appid!r}, api={self.settings.wechat_api_url!r})"


class _Environment:
    """The environment's account, read from ``settings`` (the shape of ``Credentials``)."""

    def __init__(self, settings):
        self.appid, self.appsecret = settings.appid, settings.appsecret
        self.token, self.encoding_aes_key = settings.token, settings.encoding_aes_key
        self.account_type = settings.account_type

    def __repr__(self) -> str:
        return f"Credentials(appid={self.appid!r})"


def _default_store(settings, database, redis_client, appid: str) -> TokenStore:
    if settings.redis_url or redis_client is not None:
        if redis_client is None:
            import redis  # only needed when Redis is configured

            redis_client = redis.Redis.from_url(settings.redis_url)  # connects lazily
        return RedisTokenStore(redis_client, appid)
    if database is None:
        raise ValueError("WeChat needs a Database (or settings.redis_url) to share the access token")
    return DatabaseTokenStore(database, appid)
