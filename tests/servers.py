"""The one way tests run things on loopback ports: a WSGI app served over real HTTP and a WeChat
sandbox in a thread. The fixtures in conftest.py (``make_sandbox``, ``sandbox``, ``module_sandbox``,
``live_server``, ``wechat_settings``, ``sandbox_runtime``, ``sandbox_sleep``) are built on these
two; use these directly only where a fixture cannot be (a module-scoped fixture, a server of a
test's own inside a ``with`` block)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from wxpub.sandbox.testing import SandboxServer
from wxpub.wechat.testing import SANDBOX_ACCOUNT

# The `sandbox` fixture's options unless a test says otherwise with @pytest.mark.sandbox(...):
# a short publish delay and short "slow" faults, so publishing tests wait little.
SANDBOX_DEFAULTS = {"publish_delay": 0.3, "slow_seconds": 1.5}


class Served:
    """An app being served: ``url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, server):
        self.server = server
        self.server_port = server.server_port
        self.url = f"http://127.0.0.1:{server.server_port}"


@contextmanager
def serve_app(app) -> Iterator[Served]:
    """Serve the WSGI ``app`` over real HTTP on a free loopback port until the block ends."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True, name="served-app")
    thread.start()
    try:
        yield Served(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def start_sandbox(**options) -> SandboxServer:
    """A (not yet started) sandbox with the accounts' credentials named explicitly; ``options`` are
    ``SandboxConfig`` fields (publish_delay, callback_url, slow_seconds, fault_rate, seed …).
    Use it as ``with start_sandbox(publish_delay=600) as sandbox: …``."""
    return SandboxServer(**{**SANDBOX_ACCOUNT, **options})


def advance_sandbox_clock(sandbox, seconds: float) -> dict:
    """Move the sandbox's clock on by ``seconds``: publish jobs and mass sends due by then finish at
    once (and their events are pushed), instead of the test waiting for them."""
    return sandbox.control("clock", {"advance_seconds": seconds})


def away_from_midnight(sandbox, *, minutes: int = 30) -> dict:
    """Move the sandbox's clock past the next Beijing midnight when it is less than ``minutes``
    before it, so that a test counting "per day" (quotas, a day's statistics) does not see the day
    change under it when the suite happens to run at 23:50 Beijing time."""
    from datetime import datetime, timedelta

    now = datetime.fromisoformat(sandbox.control("clock")["now_shanghai"])
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    left = (midnight - now).total_seconds()
    if left < minutes * 60:
        return advance_sandbox_clock(sandbox, left + 60)
    return sandbox.control("clock")
