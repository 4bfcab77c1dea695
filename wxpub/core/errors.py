"""The one error hierarchy of wxpub. Messages are plain Chinese for staff; ``code`` is stable.

::

    WxpubError                      code, message (Chinese), http_status
    ├── ValidationError             bad input from a person or a file (400)
    │   └── SourceError             an import source that cannot be read (file, location)
    ├── NotFound                    an id that does not exist (404)
    ├── Conflict                    a state that forbids the action (409), e.g. approving a published release
    ├── ConfigError (infra/config) a missing or malformed setting (start-up)
    └── WeChatError (wechat/errors) a WeChat API failure
        ├── TransientWeChatError    retry with backoff: -1, 45011, HTTP 5xx, timeouts, resets
        └── PermanentWeChatError    fail now: 45003, 45166, 40007, 48001, 40164, 45028 …

The JSON API maps any ``WxpubError`` to ``{"error": code, "message": text}``; commands print the
message and exit non-zero.
"""

from __future__ import annotations


class WxpubError(Exception):
    """Base of every expected error; ``message`` is shown to staff as is."""

    code = "error"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def to_dict(self) -> dict:
        """The JSON API's error body."""
        return {"error": self.code, "message": self.message}


class ValidationError(WxpubError):
    """Input that cannot be accepted; the message names what is wrong and where."""

    code = "invalid"
    http_status = 400


class NotFound(WxpubError):
    """The object asked for does not exist."""

    code = "not_found"
    http_status = 404


class Conflict(WxpubError):
    """The object is in a state that forbids the action."""

    code = "conflict"
    http_status = 409


class Forbidden(WxpubError):
    """The person's role does not allow the action (HTTP 403)."""

    code = "forbidden"
    http_status = 403
