"""What every JSON API module shares: who is asking, the JSON body, and query arguments.

The API's routes live in several modules (``api`` for the case list, ``api_imports``,
``api_series``, ``api_editor``, ``api_compose``); each has a ``ROUTES`` table of
``(rule, view, methods)`` that ``wxpub.web.api`` registers on its one blueprint (login required;
writes need the CSRF token and the editor role).
"""

from __future__ import annotations

from flask import request

from wxpub.core.errors import ValidationError


def actor() -> str:
    """The username of the member of staff making the request."""
    from flask_login import current_user
    return getattr(current_user, "username", None) or "api"


def body() -> dict:
    """The request's JSON object; a body that is not one (or nests too deeply for the parser:
    ``RecursionError``) is a 400, not a 500."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise ValidationError("请求体的 JSON 嵌套层数太多") from None
    if not isinstance(data, dict):
        raise ValidationError("请求体应为 JSON 对象")
    return data


def positive_arg(name: str, default: int, *, most: int | None = None) -> int:
    """A positive integer query argument (``default`` when absent; capped at ``most``)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise ValidationError(f"参数 {name} 应为正整数，而不是 {raw!r}")
    return min(int(raw), most) if most else int(raw)


def flag(value) -> bool:
    """A form or JSON boolean: true/1/yes/on (any case) are true; absent and everything else false."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")
