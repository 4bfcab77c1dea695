"""Access tokens (reference §1): /cgi-bin/token, /cgi-bin/stable_token and the token check.

Sandbox rules: a token superseded by a newer /cgi-bin/token fetch stays valid 5 minutes, then
answers 40001 ("invalid or not latest"); a token past its natural 7200 s answers 42001; a string
that cannot be a token answers 40014; any other unknown string 40001. The two families never
touch each other.
"""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import Blueprint, request

from wxpub.sandbox.state import SandboxState, Token
from wxpub.sandbox.wire import WeChatError, check_access_token, json_body, wechat_endpoint

bp = Blueprint("sandbox_tokens", __name__)

LIFETIME = timedelta(seconds=7200)
GRACE = timedelta(minutes=5)
FORCE_SPACING = timedelta(seconds=30)
FORCE_PER_DAY = 20
_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _check_credentials(state: SandboxState, grant_type, appid, secret) -> None:
    if grant_type != "client_credential":
        raise WeChatError(40002)
    if not appid:
        raise WeChatError(41002)
    if appid not in state.accounts:
        raise WeChatError(40013, f"invalid appid hint: [{appid}]")
    state.select(appid)  # the rest of the call (secret check, rid record) is this account's
    if not secret:
        raise WeChatError(41004)
    if secret != state.config.secret:
        raise WeChatError(40125)


def _issue(state: SandboxState, kind: str) -> Token:
    now = state.now()
    # Not from the seeded RNG: after /sandbox/reset a stale token must not come back to life.
    body = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(120))
    prefix = "81_" if kind == "token" else "82_"
    token = Token(value=prefix + body, kind=kind, issued_at=now, expires_at=now + LIFETIME)
    state.tokens[token.value] = token
    return token


def _remaining(state: SandboxState, token: Token) -> int:
    end = min(token.expires_at, token.revoked_at or token.expires_at)
    return max(round((end - state.now()).total_seconds()), 0)


@wechat_endpoint(bp, "/cgi-bin/token", methods=("GET",), auth=False)
def get_token(state: SandboxState) -> dict:
    """Issue a new token; earlier /cgi-bin/token tokens keep working for 5 more minutes."""
    args = request.args
    _check_credentials(state, args.get("grant_type"), args.get("appid"), args.get("secret"))
    with state.lock:
        now = state.now()
        for old in state.tokens.values():
            if old.kind == "token" and (old.revoked_at is None or old.revoked_at > now + GRACE):
                old.revoked_at = now + GRACE
        token = _issue(state, "token")
        return {"access_token": token.value, "expires_in": int(LIFETIME.total_seconds())}


@wechat_endpoint(bp, "/cgi-bin/stable_token", methods=("POST",), auth=False)
def stable_token(state: SandboxState) -> dict:
    """Return the current stable token, rotating it 5 minutes before expiry or on force_refresh."""
    body = json_body()
    _check_credentials(state, body.get("grant_type"), body.get("appid"), body.get("secret"))
    force = body.get("force_refresh") in (True, 1, "true", "1")
    with state.lock:
        now = state.now()
        current = state.stable_current
        if force:
            day = state.local_now().date()
            today = [t for t in state.stable_forced
                     if t.astimezone(state.local_now().tzinfo).date() == day]
            if today and now - max(today) < FORCE_SPACING:
                raise WeChatError(45011, "api minute-quota reach limit  mustslower  retry next minute"
                                  " hint: [force_refresh at most once per 30 seconds]")
            if len(today) >= FORCE_PER_DAY:
                raise WeChatError(45009, "reach max api daily quota limit"
                                  " hint: [force_refresh at most 20 times per day]")
            state.stable_forced = today + [now]
            if current is not None:
                current.revoked_at = now  # forced mode ends the previous stable token at once
            current = None
        elif current is not None and _remaining(state, current) <= GRACE.total_seconds():
            current = None  # rotation 5 minutes before expiry; the old one runs out naturally
        if current is None:
            current = _issue(state, "stable")
            state.stable_current = current
        return {"access_token": current.value, "expires_in": _remaining(state, current)}
