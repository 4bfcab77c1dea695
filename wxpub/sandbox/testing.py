"""Helpers for tests and demos: a sandbox on a free loopback port and a callback receiver."""
from __future__ import annotations

import dataclasses
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from wxpub.sandbox.config import SandboxConfig


class SandboxServer:
    """Run the sandbox in a background thread on 127.0.0.1 with a free port.

    `with SandboxServer(publish_delay=0.5) as sb: requests.get(sb.url + "/cgi-bin/token", ...)`.
    Keyword arguments override SandboxConfig fields; `.state` gives direct access for assertions.
    """

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any):
        base = config or SandboxConfig()
        self.config = dataclasses.replace(base, host="127.0.0.1", port=0, **overrides)
        self.url = ""
        self._server = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "SandboxServer":
        from wxpub.sandbox.app import create_sandbox_app, make_sandbox_server, sandbox_state

        self.app = create_sandbox_app(self.config)
        self.state = sandbox_state(self.app)
        self._server = make_sandbox_server(self.config, self.app)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True, name="sandbox-server")
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        from wxpub.sandbox.app import stop_sandbox_app

        self._server.shutdown()
        self._server.server_close()
        stop_sandbox_app(self.app)

    # Convenience for tests ------------------------------------------------------------
    def token(self, appid: str | None = None) -> str:
        """Fetch a fresh access token with the credentials of account ``appid`` (default: the first)."""
        configs = {c.appid: c for _, c in self.config.account_configs()}
        account = configs[appid] if appid else next(iter(configs.values()))
        reply = requests.get(f"{self.url}/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": account.appid,
            "secret": account.secret}, timeout=10).json()
        return reply["access_token"]

    def control(self, path: str, body: dict | None = None, appid: str | None = None) -> Any:
        """GET (no body) or POST (body) a /sandbox control endpoint of account ``appid`` (default:
        the first) and return its JSON."""
        url = f"{self.url}/sandbox" + (f"/{path.strip('/')}" if path.strip("/") else "")
        params = {"appid": appid} if appid else None
        reply = requests.post(url, json=body, params=params, timeout=10) if body is not None \
            else requests.get(url, params=params, timeout=10)
        reply.raise_for_status()
        return reply.json()


class CallbackReceiver:
    """A tiny HTTP server recording every POST it receives (query, headers, body).

    `status` is what it answers (200 unless changed); `.received` is a list of dicts;
    `.wait(n)` blocks until n requests arrived (or the timeout ends) and returns them.
    """

    def __init__(self, status: int = 200):
        self.status = status
        self.received: list[dict] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._cond:
                    receiver.received.append({
                        "path": urlsplit(self.path).path,
                        "query": dict(parse_qsl(urlsplit(self.path).query)),
                        "headers": dict(self.headers), "body": body})
                    receiver._cond.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "7")
                self.end_headers()
                self.wfile.write(b"success")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/wechat/callback"

    def __enter__(self) -> "CallbackReceiver":
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Wait until `count` requests arrived; return all received so far."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)


class SandboxClient:
    """Raw-HTTP caller for a running sandbox that adds a (lazily fetched) access token."""

    def __init__(self, server: SandboxServer, appid: str | None = None):
        self.server = server
        self.appid = appid  # the account whose token it uses (None: the first)
        self._token: str | None = None

    @property
    def access_token(self) -> str:
        """The cached token, fetched on first use."""
        if self._token is None:
            self._token = self.server.token(self.appid)
        return self._token

    def forget_token(self) -> None:
        """Drop the cached token (after /sandbox/reset, for instance)."""
        self._token = None

    def call(self, path: str, body: Any = None, *, method: str | None = None, files: dict | None = None,
             params: dict | None = None, data: bytes | str | None = None, token: bool = True,
             timeout: float = 10) -> requests.Response:
        """POST (or GET when no body/files/data) `path` with the token in the query string.

        `body` is sent like wechatpy does: UTF-8 JSON without a Content-Type header.
        """
        import json

        query = dict(params or {})
        if token:
            query.setdefault("access_token", self.access_token)
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        verb = method or ("POST" if data is not None or files is not None else "GET")
        reply = requests.request(verb, self.server.url + path, params=query, data=data,
                                 files=files, timeout=timeout)
        if token and "access_token" not in (params or {}) and _token_rejected(reply):
            # Like a real client: fetch a new token once (the sandbox clock may have moved on).
            self._token = None
            query["access_token"] = self.access_token
            reply = requests.request(verb, self.server.url + path, params=query, data=data,
                                     files=files, timeout=timeout)
        return reply

    def json(self, path: str, body: Any = None, **kwargs: Any) -> dict:
        """`call` and decode the JSON answer."""
        return self.call(path, body, **kwargs).json()


def _token_rejected(reply: requests.Response) -> bool:
    try:
        return reply.json().get("errcode") in (40001, 40014, 42001)
    except ValueError:
        return False


def jpeg_bytes(width: int = 16, height: int = 16, pad_to: int = 0) -> bytes:
    """A real JPEG image, optionally padded (after the end marker) to `pad_to` bytes."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    data = buffer.getvalue()
    return data + b"\0" * max(pad_to - len(data), 0)


def png_bytes(width: int = 16, height: int = 16) -> bytes:
    """A real PNG image."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 30, 200)).save(buffer, "PNG")
    return buffer.getvalue()
