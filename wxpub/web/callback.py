"""``/wechat/callback/<account>``: WeChat's push endpoint of each account (URL check, signed and
encrypted events), checked with that account's Token and EncodingAESKey; ``<account>`` is its code
(or AppID). ``/wechat/callback`` stays the environment's account's.

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


from flask import Blueprint, Flask, Response, abort, request

from wxpub.core.errors import WxpubError
from wxpub.publishing import events
from wxpub.wechat import CallbackCrypto, CallbackError, parse_event
from wxpub.wechat.callback import MAX_BODY
from wxpub.web import db_session, runtime

bp = Blueprint("callback", __name__)
log = logging.getLogger("wxpub.callback")
REPLAY_WINDOW = 300  # seconds either side of our clock


def _crypto(account=None) -> CallbackCrypto:
    if account is None:
        return CallbackCrypto.from_settings(runtime().settings)
    return runtime().wechat_for(account).callback_crypto()


def _account(key: str):
    """The account of ``/wechat/callback/<key>`` (its code or AppID); 404 for any other."""
    from sqlalchemy import or_, select
    from wxpub.models import Account
    account = db_session().scalar(select(Account).where(or_(Account.code == key, Account.appid == key)))
    if account is None:
        abort(404)
    return account


def _fresh(timestamp: str | None) -> bool:
    try:
        sent = int(timestamp or "")
    except ValueError:
        return False
    return abs(runtime().clock.now().timestamp() - sent) <= REPLAY_WINDOW


@bp.get("/wechat/callback")
@bp.get("/wechat/callback/<key>")
def verify(key: str | None = None):
    """URL verification: echo ``echostr`` when the signature is right and the timestamp fresh."""
    account = _account(key) if key is not None else None
    if not _fresh(request.args.get("timestamp")):
        log.warning("callback URL check refused: timestamp outside the replay window")
        return Response("timestamp outside the replay window", status=403)
    try:
        return Response(_crypto(account).verify_url(request.args), mimetype="text/plain")
    except WxpubError as error:  # the account's Token / key cannot be read
        log.warning("callback URL check of %s refused: %s", key, error.message)
        return Response(error.message, status=403, mimetype="text/plain; charset=utf-8")
    except CallbackError as error:
        log.warning("callback URL check refused: %s", error.message)
        return Response(error.message, status=403, mimetype="text/plain; charset=utf-8")


@bp.post("/wechat/callback")
@bp.post("/wechat/callback/<key>")
def receive(key: str | None = None):
    """A pushed message or event (plaintext or safe mode)."""
    account = _account(key) if key is not None else None
    if not _fresh(request.args.get("timestamp")):
        log.warning("callback refused: timestamp outside the replay window")
        return Response("timestamp outside the replay window", status=403)
    request.max_content_length = MAX_BODY  # werkzeug answers 413 before reading more than this
    try:
        xml = _crypto(account).open(request.get_data(), request.args)
        event = parse_event(xml)
    except WxpubError as error:
        log.warning("callback of %s refused: %s", key, error.message)
        return Response(error.message, status=403, mimetype="text/plain; charset=utf-8")
    except CallbackError as error:
        log.warning("callback refused: %s", error.message)
        return Response(error.message, status=403, mimetype="text/plain; charset=utf-8")
    events.receive_event(db_session(), runtime().settings, event, runtime().clock.now(), account=account)
    return Response("success", mimetype="text/plain")


def init_app(app: Flask) -> None:
    """Register the callback (exempt from CSRF: WeChat signs its requests instead)."""
    from wxpub.web.auth import csrf
    csrf.exempt(bp)
    app.register_blueprint(bp)


