"""How the web app answers errors, and the request id that lets an admin find one in the log.

* under ``/api/``: JSON ``{"error": code, "message": Chinese text}`` with the right status
  (a ``WxpubError``'s own ``http_status``, an HTTP error's code, 500 for anything unexpected, whose
  body also carries ``request_id``);
* under ``/wechat/callback``: plain text, as the callback answers WeChat itself;
* everywhere else: a Chinese HTML page on the site's layout (``templates/errors/``) saying what
  happened and what the staff member can do, with a link back to the home page.

Every response carries ``X-Request-Id``: the caller's own id when it is a short safe token (a proxy in
front may set one), else a fresh one. An unexpected exception is logged on ``wxpub.web`` with that id
and its traceback; the page shows the id only, never the exception's text.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from wxpub.core.errors import WxpubError

log = logging.getLogger("wxpub.web")

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HOME_URL = "/"

# status -> (code, page title, message). The message is the JSON API's text and the page's first line.
HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求有误", "这个请求的内容不完整或格式不对，无法处理。"),
    401: ("unauthorized", "请先登录", "请先登录后再访问。"),
    403: ("forbidden", "你没有权限访问这里", "你没有权限访问这个页面或执行这个操作。"),
    404: ("not_found", "页面不存在", "要访问的页面不存在。"),
    405: ("method_not_allowed", "不支持这种访问方式", "这个地址不支持这种请求方式。"),
    408: ("timeout", "请求超时", "请求等待太久，已被中止。"),
    409: ("conflict", "操作无法完成", "当前状态不允许这个操作。"),
    413: ("too_large", "上传的内容太大", "上传的文件或提交的内容超过了允许的大小。"),
    415: ("unsupported_media_type", "不支持的内容格式", "提交的内容格式不受支持。"),
    429: ("too_many_requests", "请求太频繁", "请求太频繁，请稍后再试。"),
    500: ("internal", "服务器出错了", "服务器在处理请求时出错了，这不是你的操作造成的。"),
    502: ("bad_gateway", "上游服务出错", "依赖的服务（例如微信接口）暂时没有正常答复。"),
    503: ("unavailable", "服务暂时不可用", "服务暂时不可用，请稍后再试。"),
}
_API_NOT_FOUND = "没有这个接口，请检查地址。"
_CSRF_MESSAGE = "页面已过期或缺少安全令牌，请刷新页面后重新提交。"


def request_id() -> str:
    """This request's id: the incoming ``X-Request-Id`` when it is a short safe token, else new."""
    rid = g.get("request_id")
    if rid is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex[:12]
        g.request_id = rid
    return rid


def describe(status: int) -> tuple[str, str, str]:
    """``(code, title, message)`` for an HTTP status (a generic Chinese text for rare ones)."""
    if status in HTTP_ERRORS:
        return HTTP_ERRORS[status]
    if status >= 500:
        return (f"http_{status}", "服务器出错了", f"服务器暂时无法完成这个请求（HTTP {status}）。")
    return (f"http_{status}", "请求无法完成", f"这个请求无法完成（HTTP {status}）。")


def init_app(app: Flask) -> None:
    """Register the request id and the error handlers on ``app``."""
    @app.before_request
    def _assign_request_id() -> None:
        request_id()  # before any view, so that whatever it logs can use the id

    @app.after_request
    def _send_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response

    @app.errorhandler(WxpubError)
    def _expected_error(error: WxpubError):
        status = error.http_status
        if status >= 500:
            log.warning("request %s: %s %s answered %s (%s): %s", request_id(), request.method,
                        request.path, status, error.code, error.message)
        return _answer(status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error  # redirects and the like are answers, not errors
        code, _title, message = describe(error.code)
        if _is_csrf_error(error):
            code, message = "csrf", _CSRF_MESSAGE
        elif error.code == 404 and _is_api():
            message = _API_NOT_FOUND
        elif error.code == 413:
            message = _too_large_message(app, message)
        if error.code >= 500:
            log.error("request %s: %s %s answered %s", request_id(), request.method, request.path,
                      error.code)
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        return _answer(error.code, code, message, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected_error(error: Exception):
        rid = request_id()
        log.error("request %s: unexpected error in %s %s", rid, request.method, request.path,
                  exc_info=(type(error), error, error.__traceback__))
        _roll_back_session()
        return _answer(500, "internal", f"服务器内部错误，请把请求编号 {rid} 告诉管理员",
                       page_message=describe(500)[2])  # the page shows the id on its own line


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _is_callback() -> bool:
    return request.path == "/wechat/callback" or request.path.startswith("/wechat/callback/")


def _is_csrf_error(error: HTTPException) -> bool:
    try:
        from flask_wtf.csrf import CSRFError
    except ImportError:  # pragma: no cover - Flask-WTF is a dependency
        return False
    return isinstance(error, CSRFError)


def _too_large_message(app: Flask, message: str) -> str:
    # The limit of this request: an upload route's own (``wxpub.web.upload_limit``) or the app's.
    limit = request.max_content_length or app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return message
    if limit >= 1024 * 1024:
        size = f"{limit / (1024 * 1024):.3g} MB"
    elif limit >= 1024:
        size = f"{limit / 1024:.3g} KB"
    else:
        size = f"{limit} 字节"
    return f"{message[:-1]}（上限 {size}）。"


def _roll_back_session() -> None:
    """Leave the request's session usable for the error page (the user loader may query)."""
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except Exception:  # the database may be what failed; the page must still be answered
        log.warning("request %s: rollback after the error failed too", request_id(), exc_info=True)


def _answer(status: int, code: str, message: str, *, page_message: str | None = None,
            headers: list[tuple[str, str]] | None = None) -> Response:
    """The error answer in the form the path calls for (``page_message``: the HTML page's text
    when it differs from the JSON and plain-text one)."""
    rid = request_id()
    if _is_api():
        body = {"error": code, "message": message}
        if status >= 500:
            body["request_id"] = rid
        response = jsonify(body)
        response.status_code = status
    elif _is_callback():
        text = f"{message}（请求编号 {rid}）" if status >= 500 else message
        response = Response(text, status=status, mimetype="text/plain")
    else:
        response = _page(status, code, page_message or message)
    for key, value in headers or ():
        response.headers[key] = value
    return response


def _page(status: int, code: str, message: str) -> Response:
    """The Chinese HTML error page; a bare page if even the site's layout cannot be rendered."""
    title = describe(status)[1]
    rid = request_id()
    context = {"status": status, "code": code, "title": title, "message": message,
               "request_id": rid if status >= 500 else None, "home_url": HOME_URL}
    try:
        html = render_template([f"errors/{status}.html", "errors/error.html"], **context)
    except Exception:
        log.error("request %s: the error page for %s could not be rendered", rid, status,
                  exc_info=True)
        html = _bare_page(**context)
    return Response(html, status=status, mimetype="text/html")


def _bare_page(*, status: int, title: str, message: str, request_id: str | None, home_url: str,
               **_ignored) -> str:
    rid = f"<p>请求编号：<code>{escape(request_id)}</code>，请告诉管理员。</p>" if request_id else ""
    return ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)} · 新政服发布后台</title></head>"
            '<body style="font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">'
            f"<h1>{escape(title)}</h1><p>{escape(message)}</p>{rid}"
            f'<p><a href="{escape(home_url)}">返回首页</a></p></body></html>')
