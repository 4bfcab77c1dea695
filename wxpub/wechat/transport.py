"""One HTTP exchange with WeChat: base-URL rewriting, a timeout on every call, typed failures.

Transport failures become ``TransientWeChatError``. ``maybe_applied`` is False only when the
request provably never reached the server (connection refused, connect timeout, DNS failure);
a read timeout or a reset after sending may hide a call that took effect.
Nothing here logs or raises the access token: URLs in messages are redacted.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
import re
import threading
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from wxpub.wechat.errors import PermanentWeChatError, TransientWeChatError

OFFICIAL_HOST = "https://api.weixin.qq.com"
_OFFICIAL_PREFIXES = ("https://api.weixin.qq.com", "http://api.weixin.qq.com")
# Query parameters that carry a credential: WeChat's access_token, 企业微信's robot key, 钉钉's
# access_token and signature.
_TOKEN_RE = re.compile(r"((?:access_token|key|sign)=)[^&\s'\"]+")
# Other credentials to hide wherever they appear (a 飞书 hook token is a path segment): registered
# by the code that puts them on the wire (``hide_in_logs``).
_HIDDEN: set[str] = set()
_HIDDEN_LOCK = threading.Lock()


def hide_in_logs(*values: str) -> None:
    """Register credentials (8 characters or more) that log records must never show."""
    with _HIDDEN_LOCK:
        _HIDDEN.update(v for v in values if v and len(v) >= 8)


def redact(text: str) -> str:
    """``text`` with every credential query value (``access_token``, ``key``, ``sign``) and every
    registered credential replaced by ``***``."""
    text = _TOKEN_RE.sub(r"\1***", text)
    for value in tuple(_HIDDEN):
        if value in text:
            text = text.replace(value, "***")
    return text


class RedactTokenFilter(logging.Filter):
    """Log filter that hides credentials in messages (urllib3 logs full URLs at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                return True
            record.args = ()
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_log_redaction() -> None:
    """Attach ``RedactTokenFilter`` to the urllib3 pool logger once (idempotent)."""
    pool_logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactTokenFilter) for f in pool_logger.filters):
        pool_logger.addFilter(RedactTokenFilter())


def rebase(url: str, base: str) -> str:
    """Point an official ``api.weixin.qq.com`` URL at ``base`` (the sandbox, a proxy …)."""
    base = base.rstrip("/")
    for prefix in _OFFICIAL_PREFIXES:
        if url.startswith(prefix + "/"):
            return base + url[len(prefix):]
    return url


def endpoint_of(url: str) -> str:
    """The path of ``url`` (``/cgi-bin/draft/add``): what error messages call the endpoint."""
    return urlsplit(url).path or url


def _never_connected(exc: BaseException) -> bool:
    """True when the chain of ``exc`` shows the TCP connection was never established."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen = set()
    stack = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, (NewConnectionError, NameResolutionError, ConnectionRefusedError)):
            return True
        stack.extend([cur.__cause__, cur.__context__, getattr(cur, "reason", None)])
        stack.extend(a for a in getattr(cur, "args", ()) if isinstance(a, BaseException))
    return False


def _remember_server_date(http: requests.Session, response: requests.Response) -> None:
    """Keep WeChat's own clock (the ``Date`` header) and when we saw it, for ``server_now``."""
    raw = response.headers.get("Date")
    if not raw:
        return
    try:
        stamp = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    http.wxpub_server_date = (stamp, time.monotonic())


def server_now(http: requests.Session) -> datetime | None:
    """WeChat's current time as last reported in a ``Date`` header, or None if none seen yet."""
    seen = getattr(http, "wxpub_server_date", None)
    if seen is None:
        return None
    stamp, at = seen
    return stamp + timedelta(seconds=time.monotonic() - at)


def send(http: requests.Session, method: str, url: str, *, timeout: float,
         **kwargs) -> requests.Response:
    """Perform one request; map timeouts, resets and HTTP errors to typed WeChat errors."""
    endpoint = endpoint_of(url)
    try:
        response = http.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        applied = not _never_connected(exc)
        what = "读取超时" if applied else "连接超时"
        raise TransientWeChatError(
            f"微信接口{what}（{timeout:g} 秒）：网络或微信服务器暂时异常。"
            + ("请求可能已被微信处理，重试前系统会先核对结果。" if applied else "请求未到达微信，可以直接重试。"),
            maybe_applied=applied, endpoint=endpoint, errmsg=redact(str(exc))) from None
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as exc:
        # A TLS handshake failure happens before the request is written.
        applied = not (_never_connected(exc) or isinstance(exc, requests.exceptions.SSLError))
        raise TransientWeChatError(
            "与微信服务器的连接中断：" + ("请求可能已被微信处理，重试前系统会先核对结果。"
                                          if applied else "无法连接微信服务器，请检查网络，稍后会自动重试。"),
            maybe_applied=applied, endpoint=endpoint, errmsg=redact(str(exc))) from None
    except requests.RequestException as exc:
        raise PermanentWeChatError("调用微信接口的请求无效：这是程序问题，请联系技术人员。",
                                   endpoint=endpoint, errmsg=redact(str(exc))) from None
    _remember_server_date(http, response)
    status = response.status_code
    if status >= 500:
        raise TransientWeChatError(
            f"微信服务器返回 HTTP {status}：服务器暂时故障，请求可能已被处理，重试前系统会先核对结果。",
            maybe_applied=True, endpoint=endpoint, errmsg=f"HTTP {status}")
    if status >= 400:
        raise PermanentWeChatError(
            f"微信服务器拒绝了请求（HTTP {status}）：接口地址或请求方式不对，请联系技术人员。",
            endpoint=endpoint, errmsg=f"HTTP {status}")
    return response


def decode(response: requests.Response) -> dict | list | bytes:
    """The JSON body of ``response``, or its raw bytes when it is not JSON (material images)."""
    content = response.content
    ctype = response.headers.get("Content-Type", "")
    looks_json = "json" in ctype or "text/plain" in ctype or content[:1] in (b"{", b"[")
    if looks_json:
        try:
            return json.loads(content.decode("utf-8", "replace"), strict=False)
        except ValueError:
            pass
    return content
