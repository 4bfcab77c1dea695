"""Wire conventions shared by every emulated endpoint (reference §0).

HTTP 200 with `{"errcode","errmsg"}` for errors, errmsg ending in ` rid: ...`; JSON bodies parsed
whatever the Content-Type; one pipeline per call: forced errors and pre-processing faults, method
check, access-token check, daily and per-minute quotas (45009 / 45011, ``rates.py``), the handler,
post-processing faults, and the call log (with the body's ``media_id`` when it has one).
"""
from __future__ import annotations

import json
import re
import time
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Response, current_app, request

from wxpub.sandbox import faults, rates, usage
from wxpub.sandbox.state import SandboxState, Token

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40010: "invalid voice size",
    40011: "invalid video size",
    40012: "invalid thumb size",
    40013: "invalid appid",
    40014: "invalid access_token",
    40033: "invalid charset. please check your request, if include \\uxxxx will create fail!",
    40059: "invalid msg id",
    40114: "invalid index value",
    40125: "invalid appsecret",
    40132: "invalid weixin name",
    40164: "invalid ip, not in whitelist",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    41039: "invalid content_source_url",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43004: "require subscribe",
    44001: "empty media data",
    44002: "empty post data",
    44003: "empty news data",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    45028: "has no masssend quota",
    45065: "clientmsgid exist",
    45066: "same clientmsgid retry too fast",
    45067: "clientmsgid size out of limit",
    45110: "author size out of limit",
    47001: "data format error",
    47009: "this api is offline, please use the new api",
    48001: "api unauthorized",
    48004: "api forbidden for irregularities",
    50002: "user limited",
    53402: "cover crop failed",
    53503: "draft has not passed publish check",
    53600: "Article ID is invalid",
    61501: "date range error",
    76001: "rid not found",
    76002: "rid belongs to another account",
    76003: "rid expired",
    76021: "cgi_path not found, please check",
    88000: "without comment privilege",
    88001: "msg_data_id is invalid",
    88002: "the article is limit for safety",
    88005: "already reply",
    88007: "reply content beyond max len or content len is zero",
    88008: "comment is not exists",
    88010: "count range error",
}


class WeChatError(Exception):
    """Raised by handlers to answer `{"errcode": code, "errmsg": ...}` (plus extra fields)."""

    def __init__(self, errcode: int, errmsg: str | None = None, **extra: Any):
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "error")
        self.extra = extra


def state() -> SandboxState:
    """The SandboxState of the running app."""
    return current_app.extensions["wxpub_sandbox"]


def error_body(errcode: int, errmsg: str | None = None, **extra: Any) -> dict:
    """An error body with a WeChat-style rid suffix."""
    msg = errmsg or ERRMSG.get(errcode, "error")
    return {"errcode": errcode, "errmsg": f"{msg} rid: {SandboxState.rid()}", **extra}


_MEDIA_KEY = "wxpub.sandbox.media_id"  # request.environ: the body's media_id for the call log


def _media_id_of(data: dict) -> str | None:
    """A top-level string ``media_id``, else mass send's ``mpnews.media_id``."""
    media_id = data.get("media_id")
    if not isinstance(media_id, str):
        mpnews = data.get("mpnews")
        media_id = mpnews.get("media_id") if isinstance(mpnews, dict) else None
    return media_id if isinstance(media_id, str) else None


def _logged_media_id() -> str | None:
    """The media_id json_body found; a call whose handler did not parse its body (refused before
    it) is parsed here, quietly and once; uploads never."""
    if _MEDIA_KEY not in request.environ:
        data = None
        if request.content_length and not (request.mimetype or "").startswith("multipart/"):
            try:
                data = json.loads(request.get_data(cache=True))
            except ValueError:  # UnicodeDecodeError included
                pass
        request.environ[_MEDIA_KEY] = _media_id_of(data) if isinstance(data, dict) else None
    return request.environ[_MEDIA_KEY]


def json_body() -> dict:
    """The request body as a JSON object, whatever the Content-Type (wechatpy sends none)."""
    request.environ[_MEDIA_KEY] = None  # parsed once: the call log does not parse it again
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise WeChatError(44002)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WeChatError(40033) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise WeChatError(47001, f"data format error hint: [{exc.msg} at char {exc.pos}]") from exc
    if not isinstance(data, dict):
        raise WeChatError(47001, "data format error hint: [body must be a JSON object]")
    request.environ[_MEDIA_KEY] = _media_id_of(data)
    return data


def as_int(value: Any, errcode: int = 40002, name: str = "value") -> int:
    """Accept ints and digit strings (WeChat ids arrive both ways); else raise `errcode`."""
    if isinstance(value, bool):
        raise WeChatError(errcode, f"invalid {name}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise WeChatError(errcode, f"invalid {name}")


def make_json(data: dict, status: int = 200) -> Response:
    """Serialise like WeChat: raw UTF-8, no ASCII escapes."""
    return Response(json.dumps(data, ensure_ascii=False), status=status,
                    content_type="application/json; encoding=utf-8")


def wechat_endpoint(bp: Blueprint, rule: str, methods: tuple[str, ...] = ("POST",),
                    auth: bool = True) -> Callable:
    """Register `fn(state, **kwargs) -> dict | Response` as an emulated WeChat endpoint."""

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def view(**kwargs: Any) -> Response:
            return _run_call(fn, methods, auth, kwargs)

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=["GET", "POST"])
        return fn

    return decorator


def _run_call(fn: Callable, methods: tuple[str, ...], auth: bool, kwargs: dict) -> Response:
    if request.headers.get("Origin"):
        # Server-side clients (wechatpy, requests) never send an Origin; a browser always does on a
        # cross-origin call. A web page open in a trainee's browser must not drive the emulator.
        return Response('{"errcode":-1,"errmsg":"browser requests are not accepted by the sandbox"}',
                        status=403, content_type="application/json")
    st = state()
    started, invoked = time.monotonic(), int(st.now().timestamp())
    entry = {"time": st.now().isoformat(), "method": request.method, "path": request.path,
             "query": {k: v for k, v in request.args.items() if k != "access_token"},
             "errcode": 0, "http_status": 200, "fault": None}
    try:
        fault = faults.pick(st, request.path)
        entry["fault"] = fault.get("kind")
        if fault.get("kind") == "http502":
            entry.update(errcode=None, http_status=502)
            return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", status=502,
                            content_type="text/html")
        if fault.get("kind") in ("busy", "forced"):
            raise WeChatError(fault["errcode"], fault.get("errmsg"))
        if request.method not in methods:
            raise WeChatError(43002 if "POST" in methods else 43001)
        if auth:
            check_access_token(st, request.args.get("access_token"))
            refused = rates.take(st, request.path)  # counted only once the token was accepted
            if refused:
                raise WeChatError(refused)  # 45009 daily, 45011 per minute
        result = fn(st, **kwargs)
        response = result if isinstance(result, Response) else make_json(result)
        if isinstance(result, dict):
            entry["errcode"] = result.get("errcode", 0)
    except WeChatError as exc:
        entry["errcode"] = exc.errcode
        response = make_json(error_body(exc.errcode, exc.errmsg, **exc.extra))
    finally:
        media_id = _logged_media_id()
        if media_id is not None:
            entry["media_id"] = media_id
        with st.lock:
            entry["appid"] = st.config.appid  # the account the call ended up on (first if no token)
            st.calls.append(entry)
    if entry["errcode"]:
        _keep_rid(st, response, invoked, started)
    if entry["fault"] in ("slow", "reset"):
        request.environ[faults.ENVIRON_KEY] = entry["fault"]
    return response


def _keep_rid(st: SandboxState, response: Response, invoked: int, started: float) -> None:
    """Keep an error answer's rid with the request that caused it (openapi/rid/get), secrets masked."""
    query = request.query_string.decode("utf-8", errors="replace")
    usage.keep_rid(st, response.get_data(as_text=True), {
        "invoke_time": invoked, "cost_in_ms": int((time.monotonic() - started) * 1000),
        "request_url": usage.mask_query(request.path + (f"?{query}" if query else "")),
        "request_body": usage.mask_body(request, request.mimetype or ""),
        "client_ip": request.remote_addr or ""})


_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{16,512}$")


def check_access_token(state: SandboxState, value: str | None) -> Token:
    """Validate the `access_token` query parameter or raise the matching WeChatError."""
    if not value:
        raise WeChatError(41001)
    if not _TOKEN_SHAPE.match(value):
        raise WeChatError(40014)
    with state.lock:
        appid, token = state.find_token(value)
        now = state.now()
        if token is None:
            raise WeChatError(40001)
        state.select(appid)  # the token names its account: the handler sees only that one's data
        if token.revoked_at is not None and now >= token.revoked_at:
            raise WeChatError(40001)
        if now >= token.expires_at:
            raise WeChatError(42001)
        return token
