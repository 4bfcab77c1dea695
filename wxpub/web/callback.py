"""``/wechat/callback``: WeChat's push endpoint (URL check, signed and encrypted events).

Answers well within WeChat's 5 seconds (one small database write), accepts each event once (WeChat
retries deliveries), refuses stale or replayed timestamps (on the URL check too, else a captured
check could be replayed forever), and always answers ``success`` to a valid push so WeChat does not
retry what we already stored. Polling stays the fallback when no event comes.

Before anything is parsed: the timestamp is checked, the body is limited to ``MAX_BODY`` (64 KB;
HTTP 413 beyond), and in safe mode the ``msg_signature`` over the ``<Encrypt>`` value is verified
(``wxpub.wechat.callback``). Only safe-mode pushes are accepted unless
``WXPUB_CALLBACK_PLAINTEXT=1``.
"""

from __future__ import annotations

import logging


from flask import Blueprint, Flask, Response, request

from wxpub.publishing import events
from wxpub.wechat import CallbackCrypto, CallbackError, parse_event
from wxpub.wechat.callback import MAX_BODY
from wxpub.web import db_session, runtime

bp = Blueprint("callback", __name__)
log = logging.getLogger("wxpub.callback")
REPLAY_WINDOW = 300  # seconds either side of our clock


def _crypto() -> CallbackCrypto:
    return CallbackCrypto.from_settings(runtime().settings)


def _fresh(timestamp: str | None) -> bool:
    try:
        sent = int(timestamp or "")
    except ValueError:
        return False
    return abs(runtime().clock.now().timestamp() - sent) <= REPLAY_WINDOW


@bp.get("/wechat/callback")
def verify():
    """URL verification: echo ``echostr`` when the signature is right and the timestamp fresh."""
    if not _fresh(request.args.get("timestamp")):
        log.warning("callback URL check refused: timestamp outside the replay window")
        return Response("timestamp outside the replay window", status=403)
    try:
        return Response(_crypto().verify_url(request.args), mimetype="text/plain")
    except CallbackError as error:
        log.warning("callback URL check refused: %s", error.message)
        return Response(error.message, status=403, mimetype="text/plain; charset=utf-8")


@bp.post("/wechat/callback")
def receive():
    """A pushed message or event (plaintext or safe mode)."""
    if not _fresh(request.args.get("timestamp")):
        log.warning("callback refused: timestamp outside the replay window")
        return Response("timestamp outside the replay window", status=403)
    request.max_content_length = MAX_BODY  # werkzeug answers 413 before reading more than this
    try:
        xml = _crypto().open(request.get_data(), request.args)
        event = parse_event(xml)
    except CallbackError as error:
        log.warning("callback refused: %s", error.message)
        return Response(error.message, status=403, mimetype="text/plain; charset=utf-8")
    events.receive_event(db_session(), runtime().settings, event, runtime().clock.now())
    return Response("success", mimetype="text/plain")


def init_app(app: Flask) -> None:
    """Register the callback (exempt from CSRF: WeChat signs its requests instead)."""
    from wxpub.web.auth import csrf
    csrf.exempt(bp)
    app.register_blueprint(bp)


