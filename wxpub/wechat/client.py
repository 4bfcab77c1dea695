"""``WxClient``: wechatpy's ``WeChatClient`` with our transport, token and retry rules.

What changes against wechatpy 1.8.18:

* every URL (token, cgi-bin, datacube, absolute official URLs) goes to ``api_url``;
* every call has a timeout;
* the token comes from ``SharedAccessToken`` (shared by all processes) instead of the session;
* on 40001/40014/42001 the token is invalidated, fetched once and the call retried once; a second
  rejection raises ``TokenError`` (wechatpy recursed without limit);
* uploads are read into bytes once, so the retry sends the same bytes (wechatpy re-sent an
  exhausted file object, i.e. an empty file);
* failures raise the typed errors of ``wxpub.wechat.errors``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import requests
from wechatpy import WeChatClient

from wxpub.wechat import transport
from wxpub.wechat.api import (WxComment, WxDataCube, WxDraft, WxFreePublish, WxMass, WxMaterial, WxMedia,
                              WxOpenApi)
from wxpub.wechat.errors import TOKEN_ERRCODES, TokenError, WeChatError, explain, raise_for_body
from wxpub.wechat.tokens import SharedAccessToken

_MAGIC = ((b"\xff\xd8", "jpg"), (b"\x89PNG", "png"), (b"GIF8", "gif"), (b"BM", "bmp"))


def freeze_files(files: dict | None) -> dict | None:
    """Read every upload into ``(filename, bytes[, content_type])`` so it can be sent twice.

    Accepts file objects (read from their current position), bytes, paths, or tuples
    ``(filename, file_or_bytes[, content_type])``.
    """
    if not files:
        return None
    frozen = {}
    for field, value in files.items():
        name, content, ctype = None, value, None
        if isinstance(value, tuple):
            name, content = value[0], value[1]
            ctype = value[2] if len(value) > 2 else None
        if isinstance(content, (str, os.PathLike)):
            path = Path(content)
            name = name or path.name
            content = path.read_bytes()
        elif hasattr(content, "read"):
            name = name or os.path.basename(str(getattr(content, "name", "") or ""))
            content = content.read()
        if isinstance(content, str):
            content = content.encode("utf-8")
        content = bytes(content)
        if not name:
            ext = next((e for magic, e in _MAGIC if content.startswith(magic)), "bin")
            name = f"{field}.{ext}"
        frozen[field] = (name, content, ctype) if ctype else (name, content)
    return frozen


class WxClient(WeChatClient):
    """The one wechatpy client of wxpub. Construct through ``wxpub.wechat.WeChat``."""

    media = WxMedia()
    material = WxMaterial()
    draft = WxDraft()
    freepublish = WxFreePublish()
    mass = WxMass()
    datacube = WxDataCube()
    comment = WxComment()
    openapi = WxOpenApi()

    def __init__(self, appid: str, secret: str, *, tokens: SharedAccessToken, api_url: str,
                 timeout: float, http: requests.Session | None = None, limits=None):
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        if http is not None:
            self._http = http
        self.tokens = tokens
        self.api_url = api_url.rstrip("/")
        self.API_BASE_URL = self.api_url + "/cgi-bin/"
        self.calls = 0  # HTTP requests this client sent (token fetches not included)
        self.limits = limits  # ``wxpub.wechat.limits.CallLimits`` of the account, shared by processes

    # wechatpy reads these two; both now go through the shared token.
    @property
    def access_token(self) -> str:
        """The shared access token (fetched under the lease if needed)."""
        tokens = self.__dict__.get("tokens")
        if tokens is None:
            # wechatpy's __new__ runs inspect.getmembers(), which reads every property before
            # __init__: an AttributeError makes it skip this one instead of fetching a token.
            raise AttributeError("access_token")
        return tokens.get()

    def fetch_access_token(self) -> dict:
        """Refresh the shared token now; returns its expiry, never the token."""
        self.tokens.refresh()
        record = self.tokens.record()
        return {"expires_at": record.expires_at.isoformat() if record and record.expires_at else None}

    def _request(self, method, url_or_endpoint, **kwargs):
        """Send one API call (plus at most one retry after a token rejection)."""
        base = kwargs.pop("api_base_url", None) or self.API_BASE_URL
        if url_or_endpoint.startswith(("http://", "https://")):
            url = url_or_endpoint
        else:
            url = base + url_or_endpoint
        url = transport.rebase(url, self.api_url)
        endpoint = transport.endpoint_of(url)
        params = dict(kwargs.pop("params", None) or {})
        files = freeze_files(kwargs.pop("files", None))
        data = kwargs.pop("data", None)
        if isinstance(data, (dict, list)) and not files:
            data = json.dumps(data, ensure_ascii=False).encode("utf-8")
        processor = kwargs.pop("result_processor", None)
        timeout = kwargs.pop("timeout", None) or self.timeout
        own_token = "access_token" in params  # a caller-supplied token is not ours to refresh
        if self.limits is not None:
            self.limits.before(endpoint)  # per-minute rates and used-up quotas: refused unsent
        for attempt in (1, 2):
            token = params["access_token"] if own_token else self.tokens.get()
            self.calls += 1
            response = transport.send(self._http, method.upper(), url, timeout=timeout,
                                      params={**params, "access_token": token},
                                      data=data, files=files, **kwargs)
            result = transport.decode(response)
            if not isinstance(result, dict):
                return result  # raw bytes (image material) or a JSON list
            errcode = _errcode(result)
            if errcode in TOKEN_ERRCODES and not own_token:
                self.tokens.invalidate(token)
                if attempt == 1:
                    continue
                raise TokenError(explain(errcode), errcode=errcode,
                                 errmsg=str(result.get("errmsg", "")), endpoint=endpoint, body=result)
            if errcode in (45009, 45011) and self.limits is not None:
                try:
                    raise_for_body(result, endpoint)
                except WeChatError as error:
                    raise self.limits.refused(endpoint, errcode, error) from None
            raise_for_body(result, endpoint)
            return processor(result) if processor else result
        raise AssertionError("unreachable")  # pragma: no cover


def _errcode(result: dict) -> int:
    try:
        return int(result.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return -1
