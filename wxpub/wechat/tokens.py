"""The access token shared by every wxpub process, refreshed by one process at a time.

``SharedAccessToken.get()`` answers from a small in-process cache, then from the store (database
or Redis, encrypted with ``wxpub.infra.secretbox``). When fewer than ``margin`` seconds remain, the
process that wins the store's refresh lease fetches a new token; the others poll the store for a
bounded time. ``invalidate(token)`` after 40001/40014/42001 marks exactly that token stale, so the
next ``get()`` refreshes once no matter how many processes saw the rejection.

``stable_token`` (the default) never invalidates tokens other processes hold; ``/cgi-bin/token``
is available as ``mode="token"`` for accounts that need it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from wxpub.infra.clock import Clock
from wxpub.infra.secretbox import SecretBox, SecretBoxError

from wxpub.wechat import transport
from wxpub.wechat.errors import TransientWeChatError, WeChatError, raise_for_body
from wxpub.wechat.token_stores import TokenRecord, TokenStore

logger = logging.getLogger(__name__)

MODES = ("stable", "token")


class TokenFetcher:
    """Asks WeChat for a token: ``POST /cgi-bin/stable_token`` or ``GET /cgi-bin/token``."""

    def __init__(self, http: requests.Session, base_url: str, appid: str, secret: str,
                 timeout: float, mode: str = "stable"):
        if mode not in MODES:
            raise ValueError(f"token mode must be one of {MODES}, not {mode!r}")
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self._secret = secret
        self.timeout = timeout
        self.mode = mode
        self.calls = 0

    @property
    def can_force(self) -> bool:
        """Whether a forced refresh exists (stable_token ``force_refresh``)."""
        return self.mode == "stable"

    def fetch(self, force: bool = False) -> tuple[str, int]:
        """Return ``(access_token, expires_in)`` or raise a typed WeChat error."""
        self.calls += 1
        if self.mode == "stable":
            url = f"{self.base_url}/cgi-bin/stable_token"
            body = {"grant_type": "client_credential", "appid": self.appid,
                    "secret": self._secret, "force_refresh": bool(force)}
            response = transport.send(self.http, "POST", url, timeout=self.timeout,
                                      data=_json_bytes(body))
        else:
            url = f"{self.base_url}/cgi-bin/token"
            response = transport.send(self.http, "GET", url, timeout=self.timeout, params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self._secret})
        result = transport.decode(response)
        if not isinstance(result, dict):
            raise TransientWeChatError("获取 access_token 时微信返回了无法识别的内容，稍后会自动重试。",
                                       endpoint=transport.endpoint_of(url))
        raise_for_body(result, transport.endpoint_of(url))
        return str(result["access_token"]), int(result.get("expires_in", 7200))


def _json_bytes(data: dict) -> bytes:
    # Raw UTF-8 like wechatpy: WeChat rejects \uXXXX escapes in some bodies (40033).
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


@dataclass
class _Cached:
    token: str
    ciphertext: str
    expires_at: datetime
    fetched_at: datetime


class SharedAccessToken:
    """The access token of one appid, shared through ``store`` and refreshed under its lease."""

    def __init__(self, store: TokenStore, fetcher: TokenFetcher, box: SecretBox, *,
                 clock: Clock | None = None, margin: float = 300.0,
                 lease_seconds: float | None = None, wait_seconds: float | None = None):
        self.store = store
        self.fetcher = fetcher
        self.box = box
        self.clock = clock or Clock()
        self.margin = timedelta(seconds=margin)
        # The lease must outlive a fetch that may take two calls (normal, then forced).
        self.lease_seconds = lease_seconds or (2 * fetcher.timeout + 5)
        self.wait_seconds = wait_seconds or (self.lease_seconds + 1)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._cached: _Cached | None = None
        # Threads of one process share this object (one facade per runtime): one of them loads or
        # refreshes while the others wait for its result instead of racing for the lease.
        self._refreshing = threading.Lock()

    # ----- public -----
    def get(self) -> str:
        """A token with more than ``margin`` left (or freshly fetched); may fetch under the lease."""
        cached = self._cached
        if cached is not None and self._fresh(cached.expires_at, cached.fetched_at):
            return cached.token
        with self._refreshing:
            cached = self._cached
            if cached is not None and self._fresh(cached.expires_at, cached.fetched_at):
                return cached.token
            return self._load_or_refresh()

    def invalidate(self, token: str) -> None:
        """Mark ``token`` stale because WeChat rejected it; a newer stored token is left alone."""
        if self._cached is not None and self._cached.token == token:
            self._cached = None
        record = self.store.read()
        if record is None or not record.ciphertext:
            return
        if self._decrypt(record.ciphertext) == token:
            self.store.expire_if(record.ciphertext)
            logger.info("access token for %s marked stale after rejection", self.fetcher.appid)

    def refresh(self) -> str:
        """Force the next ``get()`` to fetch (used by wechatpy's ``fetch_access_token``)."""
        cached = self._cached
        if cached is not None:
            self.invalidate(cached.token)
        return self.get()

    def record(self) -> TokenRecord | None:
        """The stored record (for diagnostics: expiry, fetch count); never the token itself."""
        return self.store.read()

    # ----- internals -----
    def _fresh(self, expires_at: datetime | None, fetched_at: datetime | None) -> bool:
        if expires_at is None:
            return False
        margin = self.margin
        if fetched_at is not None:
            # A token issued with little lifetime (stable_token near rotation) is still used
            # for half of it rather than re-fetched on every call.
            margin = min(margin, (expires_at - fetched_at) / 2)
        return expires_at - self.clock.now() > margin

    def _decrypt(self, ciphertext: str) -> str | None:
        try:
            return self.box.decrypt(ciphertext)
        except SecretBoxError:
            return None  # written under another secret key: treat as absent

    def _usable(self, record: TokenRecord | None) -> str | None:
        if record is None or not record.ciphertext:
            return None
        if not self._fresh(record.expires_at, record.fetched_at):
            return None
        token = self._decrypt(record.ciphertext)
        if token:
            self._cached = _Cached(token, record.ciphertext, record.expires_at, record.fetched_at)
        return token

    def _load_or_refresh(self) -> str:
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.02
        while True:
            record = self.store.read()
            token = self._usable(record)
            if token:
                return token
            if self.store.try_lease(self.owner, self.clock.now(), self.lease_seconds):
                try:
                    # Someone may have refreshed between our read and our lease.
                    record = self.store.read()
                    return self._usable(record) or self._fetch_and_store(record)
                finally:
                    self.store.release(self.owner)
            if time.monotonic() >= deadline:
                fallback = self._still_valid(record)
                if fallback:
                    return fallback
                raise TransientWeChatError(
                    "等待其他进程刷新 access_token 超时：稍后会自动重试；若反复出现，请检查网络和公众号凭证配置。",
                    endpoint="/cgi-bin/stable_token" if self.fetcher.mode == "stable" else "/cgi-bin/token")
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def _still_valid(self, record: TokenRecord | None) -> str | None:
        """A token inside the refresh margin but not expired: better than failing the call."""
        if record is None or not record.ciphertext or record.expires_at is None:
            return None
        if record.expires_at <= self.clock.now():
            return None
        return self._decrypt(record.ciphertext)

    def _fetch_and_store(self, record: TokenRecord | None) -> str:
        old = self._decrypt(record.ciphertext) if record and record.ciphertext else None
        was_rejected = record is not None and bool(record.ciphertext) and record.expires_at is None
        token, expires_in = self.fetcher.fetch()
        if was_rejected and token == old and self.fetcher.can_force:
            # stable_token keeps handing out the same token while WeChat thinks it is valid; a
            # rejected one needs force_refresh to be replaced. That is limited (20/day, 30 s
            # apart): when refused, keep the normal token; the caller retries only once anyway.
            try:
                token, expires_in = self.fetcher.fetch(force=True)
            except WeChatError as exc:
                if exc.errcode not in (45009, 45011):
                    raise
                logger.warning("force_refresh refused (%s); keeping the current token", exc.errcode)
        now = self.clock.now()
        expires_at = now + timedelta(seconds=expires_in)
        ciphertext = self.box.encrypt(token)
        self.store.write(ciphertext, expires_at, now)
        self._cached = _Cached(token, ciphertext, expires_at, now)
        logger.info("fetched a new access token for %s (expires in %ss)", self.fetcher.appid, expires_in)
        return token
