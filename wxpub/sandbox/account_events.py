"""Account events about the verification (微信认证, wechat-api.md §0a.3), pushed on request.

WeChat pushes ``Event=annual_renew`` when the yearly renewal (年审) is due and
``Event=verify_expired`` once the verification lapsed, both with ``ExpiredTime`` (Unix seconds).
Nothing in the sandbox's account ages, so tests and training push them by hand:

``POST /sandbox/account-events {"event": "verify_expired" | "annual_renew", "expired_time": N}``

Once a pushed ``verify_expired``'s ``expired_time`` has passed (sandbox time) the account is
unverified: ``freepublish/submit``, ``message/mass/sendall`` and every ``comment/*`` answer 48001
until ``{"event": "renewed"}`` (no push; answers ``{"verified": true}``) marks it verified again.

``expired_time`` defaults to the sandbox's now (verify_expired) or 30 days on (annual_renew). The
event goes out like the job-finished events (safe mode, same delivery and record in
``/sandbox/events``); the answer is that record.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import Blueprint, Response, request

from wxpub.sandbox import events
from wxpub.sandbox.control import only_from_this_machine
from wxpub.sandbox.wire import make_json, state

bp = Blueprint("sandbox_account_events", __name__)
bp.before_request(only_from_this_machine)  # a control endpoint: this machine only, JSON only
KINDS = ("verify_expired", "annual_renew")
RENEW_NOTICE = timedelta(days=30)


@dataclass
class _Push:
    """What ``events.record_and_send`` needs of the thing an event reports."""

    job_id: str
    finished_at: datetime


def account_event_xml(gh_id: str, kind: str, created: datetime, expired_time: int) -> str:
    """The plaintext XML of an ``annual_renew`` / ``verify_expired`` push."""
    cdata = events._cdata
    return (f"<xml><ToUserName>{cdata(gh_id)}</ToUserName>"
            f"<FromUserName>{cdata(events.MPHELPER_OPENID)}</FromUserName>"
            f"<CreateTime>{int(created.timestamp())}</CreateTime>"
            f"<MsgType>{cdata('event')}</MsgType><Event>{cdata(kind)}</Event>"
            f"<ExpiredTime>{int(expired_time)}</ExpiredTime></xml>")


@bp.post("/sandbox/account-events")
def push_account_event() -> Response:
    """Push an account event to the callback URL (recorded even when none is set)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return make_json({"error": "bad_request", "message": "请求体须为 JSON 对象"}, status=400)
    kind = body.get("event")
    st = state()
    if kind == "renewed":
        with st.lock:
            st.verify_expired_at = None
        return make_json({"verified": True})
    if kind not in KINDS:
        return make_json({"error": "bad_request", "message":
                          f"event 只能是 verify_expired、annual_renew 或 renewed，收到 {kind!r}"}, status=400)
    now = st.now()
    default = now if kind == "verify_expired" else now + RENEW_NOTICE
    expired = body.get("expired_time", int(default.timestamp()))
    if isinstance(expired, bool) or not isinstance(expired, int) or expired <= 0:
        return make_json({"error": "bad_request",
                          "message": f"expired_time 须为正整数（Unix 秒），收到 {expired!r}"}, status=400)
    with st.lock:
        if kind == "verify_expired":
            st.verify_expired_at = datetime.fromtimestamp(expired, timezone.utc)
        push = _Push(job_id=f"{kind}-{st.next_number()}", finished_at=now)
        record = events.record_and_send(st, kind, push, account_event_xml(st.gh_id(), kind, now, expired))
        answer = {k: v for k, v in record.items() if k != "attempts"}
    return make_json(answer)
