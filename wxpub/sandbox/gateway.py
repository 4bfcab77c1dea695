"""`POST /datacube/<name>`: token check, faults and logging here; the answer from datacube.py.

`wxpub.sandbox.datacube` is written separately and imported lazily; until it exists the route
answers 48001 (api unauthorized) with a hint.
"""
from __future__ import annotations

import importlib

from flask import Blueprint

from wxpub.sandbox.state import SandboxState
from wxpub.sandbox.wire import WeChatError, json_body, wechat_endpoint

bp = Blueprint("sandbox_datacube_gateway", __name__)
MODULE = "wxpub.sandbox.datacube"


@wechat_endpoint(bp, "/datacube/<name>")
def datacube(state: SandboxState, name: str) -> dict:
    """Delegate to `handle_datacube(state, name, body)`."""
    body = json_body()
    try:
        module = importlib.import_module(MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != MODULE:
            raise
        raise WeChatError(48001, "api unauthorized hint: [sandbox datacube not available]") from None
    return module.handle_datacube(state, name, body)
