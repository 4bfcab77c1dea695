"""Per-path daily call counts (``openapi/quota/get``) and the rid record (``openapi/rid/get``).

Kept apart from ``openapi.py`` because the call pipeline (``wire.py``) feeds both, and ``openapi.py``
needs ``wire.py``: this module depends on the state only. Per-minute limits (45011): ``rates.py``,
which also takes a call's slot in both counts at once.

Counting: every business call that passed the access-token check counts once for its path, per
Beijing day of sandbox time. Enforcement (45009) only for paths whose limit was set through
``POST /sandbox/quota`` — the default limits are reported, never enforced, so long test runs and
demos are not cut off by numbers nobody chose.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from wxpub.sandbox.state import SandboxState

#: Default daily limits (wechat-api.md §8); comment/* and datacube/* are sandbox choices.
DEFAULT_LIMITS = {
    "/cgi-bin/draft/add": 1000, "/cgi-bin/draft/delete": 1000, "/cgi-bin/draft/update": 1000,
    "/cgi-bin/draft/count": 1000, "/cgi-bin/draft/batchget": 1000, "/cgi-bin/draft/get": 500,
    "/cgi-bin/freepublish/submit": 100, "/cgi-bin/freepublish/get": 100,
    "/cgi-bin/freepublish/getarticle": 100, "/cgi-bin/freepublish/batchget": 100,
    "/cgi-bin/freepublish/delete": 10, "/cgi-bin/message/mass/sendall": 100,
}
PREFIX_LIMITS = (("/cgi-bin/material/", 100_000), ("/cgi-bin/media/", 100_000),
                 ("/cgi-bin/comment/", 1000), ("/datacube/", 1000))
OTHER_LIMIT = 1000
RID_KEEP = timedelta(days=7)
RID_RE = re.compile(r" rid: ([0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8})")
_SECRET_KEYS = {"access_token", "secret", "appsecret"}
_MASKS = {"access_token": "ACCESS_TOKEN", "secret": "APPSECRET", "appsecret": "APPSECRET"}
_QUERY_SECRET = re.compile(r"\b(access_token|secret|appsecret)=[^&]*")
BODY_KEEP = 10_000  # characters of a request/response body kept with a rid


def daily_limit(state: SandboxState, path: str) -> int:
    """The path's daily limit: the one set through /sandbox/quota, else the default."""
    with state.lock:
        if path in state.quota_limits:
            return state.quota_limits[path]
    if path in DEFAULT_LIMITS:
        return DEFAULT_LIMITS[path]
    return next((limit for prefix, limit in PREFIX_LIMITS if path.startswith(prefix)), OTHER_LIMIT)


def today(state: SandboxState) -> str:
    """The Beijing date of sandbox time (quota days)."""
    return state.local_now().date().isoformat()


def used(state: SandboxState, path: str) -> int:
    """Calls counted for ``path`` today."""
    with state.lock:
        return state.quota_used.get((today(state), path), 0)


def set_used(state: SandboxState, path: str, value: int) -> None:
    """Pretend ``value`` calls were made to ``path`` today (control endpoint)."""
    with state.lock:
        state.quota_used[(today(state), path)] = value


def exhausted(state: SandboxState, path: str) -> bool:
    """True when ``path`` has an enforced daily limit (set through /sandbox/quota) and reached it."""
    with state.lock:
        return path in state.quota_limits and used(state, path) >= state.quota_limits[path]


def count(state: SandboxState, path: str) -> None:
    """Count one call to ``path`` today (``rates.take`` decides whether it may be made)."""
    with state.lock:
        key = (today(state), path)
        state.quota_used[key] = state.quota_used.get(key, 0) + 1


def paths_today(state: SandboxState) -> set[str]:
    """Paths with a daily limit set or calls today."""
    with state.lock:
        day = today(state)
        return set(state.quota_limits) | {p for d, p in state.quota_used if d == day}


def quota_row(state: SandboxState, path: str) -> dict:
    """One path's quota as the control endpoint shows it."""
    with state.lock:
        limit, count = daily_limit(state, path), used(state, path)
        return {"cgi_path": path, "daily_limit": limit, "used": count, "remain": max(limit - count, 0),
                "enforced": path in state.quota_limits}


# ----- rids ----------------------------------------------------------------------------------

def mask_query(text: str) -> str:
    """``access_token=…`` → ``access_token=ACCESS_TOKEN`` (and the secret likewise)."""
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}={_MASKS[m.group(1)]}", text)


def mask_body(request, mimetype: str) -> str:
    """The request body as kept with a rid: secrets masked, uploads summarised, length capped."""
    if mimetype.startswith("multipart/"):
        return f"<multipart/form-data, {request.content_length or 0} bytes>"
    text = request.get_data(cache=True).decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return mask_query(text)[:BODY_KEEP]
    if isinstance(data, dict):
        data = {k: (_MASKS[k] if k in _SECRET_KEYS else v) for k, v in data.items()}
    return json.dumps(data, ensure_ascii=False)[:BODY_KEEP]


def keep_rid(state: SandboxState, response_text: str, record: dict) -> str | None:
    """If ``response_text`` is an error body carrying a rid, keep ``record`` under it."""
    try:
        body = json.loads(response_text)
    except ValueError:
        return None
    if not isinstance(body, dict) or not body.get("errcode"):
        return None
    match = RID_RE.search(str(body.get("errmsg", "")))
    if match is None:
        return None
    rid = match.group(1)
    with state.lock:
        state.rids[rid] = {**record, "rid": rid, "response_body": response_text[:BODY_KEEP]}
    return rid


def rid_age(state: SandboxState, record: dict) -> timedelta:
    """How long ago (sandbox time) the rid's request was made."""
    return state.now() - datetime.fromtimestamp(record["invoke_time"], state.now().tzinfo)
