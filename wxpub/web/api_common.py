"""What every JSON API module shares: who is asking, the JSON body, flags, and shapes of answers.

The API's routes live in several modules (``api`` for the case list, ``api_imports``,
``api_series``, ``api_editor``, ``api_compose`` …); each has a ``ROUTES`` table of
``(rule, view, methods)`` that ``wxpub.web.api`` registers on its one blueprint (login required;
writes need the CSRF token and the editor role). Each view declares what it takes and answers with
``wxpub.web.api_schema.operation`` (validated there; ``GET /api/v1/openapi.json`` is built from it).
"""

from __future__ import annotations

from flask import request

from wxpub.core.errors import ValidationError
from wxpub.web.api_schema import arr, shape

# Shapes more than one module answers with (``wxpub.library.service.case_summary``, a version).
CASE = shape({"id": "integer", "number": "integer?", "title": "string", "chapter": "string",
              "series": "string", "unit": "string?", "status": "string", "chapter_id": "integer",
              "series_id": "integer", "position": "integer?", "score": "number?", "version": "integer?",
              "content_hash": "string?", "points": arr("string"), "paragraphs": arr("string")})
VERSION = shape({"version": "integer", "content_hash": "string", "source_file": "string?",
                 "created_at": "string"})


def actor() -> str:
    """The username of the member of staff making the request."""
    from flask_login import current_user
    return getattr(current_user, "username", None) or "api"


def body() -> dict:
    """The request's JSON object; a body that is not JSON, not an object, or nests too deeply for
    the parser (``RecursionError``) is a 400, not a 500."""
    from wxpub.web.api_schema import json_body
    return json_body()


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
