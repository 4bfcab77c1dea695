"""Per-minute rate limits (45011) per account and path, next to ``usage.py``'s daily quotas (45009).

Windows are the minutes of sandbox time (``state.now()``), as WeChat's "retry next minute" says: a
window is ``[hh:mm:00, hh:mm+1:00)``, so moving the sandbox clock past it opens a new one. A call
counts in both (its minute and its Beijing day) once its access token was accepted; a call refused
by either limit counts in neither.

Which per-minute limit is in force for a path, first match wins:

1. one set at run time through ``POST /sandbox/quota {"cgi_path", "minute_limit"}`` (per account);
2. ``--minute-limit PATH=N`` (``SandboxConfig.minute_limits``, every account);
3. ``ENFORCED``: the mass-send endpoint at 60 a minute (wechat-api.md §8);

all three **enforced**. Otherwise the reported one (``rate_limit.call_count`` of quota/get): the
default daily limit of the path, counted but not enforced, so long test runs are not cut off.
"""
from __future__ import annotations

import math

from wxpub.sandbox import usage
from wxpub.sandbox.state import SandboxState

#: Per-minute limits enforced by default (wechat-api.md §8: mass send "+60/min").
ENFORCED = {"/cgi-bin/message/mass/sendall": 60}
WINDOW_SECONDS = 60


def _window(state: SandboxState) -> tuple[int, float]:
    """(number of the current minute, sandbox time as a Unix timestamp)."""
    now = state.now().timestamp()
    return int(now // WINDOW_SECONDS), now


def minute_limit(state: SandboxState, path: str) -> tuple[int, bool]:
    """(calls allowed per minute, whether enforced) for ``path`` on the current account."""
    with state.lock:
        if path in state.minute_limits:
            return state.minute_limits[path], True
        configured = dict(state.config.minute_limits)
    if path in configured:
        return configured[path], True
    if path in ENFORCED:
        return ENFORCED[path], True
    return usage.DEFAULT_LIMITS.get(path, usage.OTHER_LIMIT), False


def minute_used(state: SandboxState, path: str) -> int:
    """Calls counted for ``path`` in the current minute."""
    with state.lock:
        window, count = state.minute_used.get(path, (None, 0))
        return count if window == _window(state)[0] else 0


def refresh_second(state: SandboxState) -> int:
    """Whole seconds until the current window ends (1–60)."""
    window, now = _window(state)
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))


def take(state: SandboxState, path: str) -> int:
    """Count one call to ``path`` in its day and minute, or refuse it: 0 (counted), 45009 (daily
    limit reached) or 45011 (minute limit reached); a refused call counts nowhere."""
    with state.lock:
        if usage.exhausted(state, path):
            return 45009
        window = _window(state)[0]
        limit, enforced = minute_limit(state, path)
        count = minute_used(state, path)
        if enforced and count >= limit:
            return 45011
        state.minute_used[path] = (window, count + 1)
        usage.count(state, path)
        return 0


def set_minute_limit(state: SandboxState, path: str, limit: int | None) -> None:
    """Set (and enforce) the current account's per-minute limit of ``path``; None = back to default."""
    with state.lock:
        if limit is None:
            state.minute_limits.pop(path, None)
        else:
            state.minute_limits[path] = limit


def rate_answer(state: SandboxState, path: str) -> dict:
    """quota/get's ``rate_limit``: the limit in force and the seconds until the window resets."""
    return {"call_count": minute_limit(state, path)[0], "refresh_second": refresh_second(state)}


def quota_row(state: SandboxState, path: str) -> dict:
    """One path's daily and per-minute quota as ``GET /sandbox/quota`` shows it."""
    with state.lock:
        limit, enforced = minute_limit(state, path)
        return {**usage.quota_row(state, path), "minute_limit": limit,
                "minute_used": minute_used(state, path), "minute_enforced": enforced}


def quota_rows(state: SandboxState) -> list[dict]:
    """Every path with a limit set (daily or per minute, at run time or by option), calls today or
    calls this minute."""
    with state.lock:
        window = _window(state)[0]
        paths = (usage.paths_today(state) | set(state.minute_limits) | set(dict(state.config.minute_limits))
                 | {p for p, (w, _) in state.minute_used.items() if w == window})
        return [quota_row(state, p) for p in sorted(paths)]


def effective_limits(config) -> list[tuple[str, int, bool]]:
    """(path, per-minute limit, set by option) enforced for every account by ``config`` (the banner)."""
    configured = dict(config.minute_limits)
    rows = [(p, n, False) for p, n in ENFORCED.items() if p not in configured]
    return sorted(rows + [(p, n, True) for p, n in configured.items()])
