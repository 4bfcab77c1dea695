"""Fault injection: seeded random faults plus faults and errors forced through /sandbox.

`busy` (-1) and `http502` strike before the request is processed, so nothing changes;
`slow` and `reset` strike after it was fully processed, so the client cannot tell whether
its call took effect. Post-processing faults are carried out by `FaultMiddleware`.
"""
from __future__ import annotations

import socket
import struct
import time
from typing import Any, Callable, Iterable

from wxpub.sandbox.state import SandboxState

ENVIRON_KEY = "wxpub.sandbox.fault"
KINDS = ("busy", "http502", "slow", "reset")


def _matches(rule_path: str, path: str) -> bool:
    rule_path = rule_path or "*"
    if rule_path == "*":
        return True
    return path.rstrip("/") == "/" + rule_path.strip("/")


def pick(state: SandboxState, path: str) -> dict:
    """Decide the fault for one call: forced error, forced fault, random fault, or none."""
    with state.lock:
        for rule in state.forced_errors:
            if rule["count"] > 0 and _matches(rule["path"], path):
                rule["count"] -= 1
                state.forced_errors = [r for r in state.forced_errors if r["count"] > 0]
                return {"kind": "forced", "errcode": rule["errcode"], "errmsg": rule.get("errmsg")}
        for rule in state.forced_faults:
            if rule["count"] > 0 and _matches(rule["path"], path):
                rule["count"] -= 1
                state.forced_faults = [r for r in state.forced_faults if r["count"] > 0]
                return _fault(rule["kind"])
        if state.fault_rate > 0 and state.fault_rng.random() < state.fault_rate:
            return _fault(state.fault_rng.choice(state.fault_kinds))
    return {}


def _fault(kind: str) -> dict:
    if kind == "busy":
        return {"kind": "busy", "errcode": -1, "errmsg": "system error"}
    return {"kind": kind}


class FaultMiddleware:
    """WSGI wrapper that stalls or drops the connection after the app produced its answer."""

    def __init__(self, app: Callable, state: SandboxState):
        self.app = app
        self.state = state

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        kind = environ.get(ENVIRON_KEY)
        if kind == "slow":
            time.sleep(self.state.config.slow_seconds)
        elif kind == "reset":
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                # Linger 0 makes the kernel answer with RST instead of a polite FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            # werkzeug treats ConnectionError as "client went away" and sends nothing.
            raise ConnectionResetError("sandbox fault: connection reset")
        start_response(captured["status"], captured["headers"])
        return [body]
