"""诊断: what WeChat kept of one of its requests, found by the request's ``rid``.

Every error answer of WeChat ends with ``rid: …``; ``openapi/rid/get`` returns, for 7 days, the
request it was (address, body, time, cost, client IP) and the answer sent. ``diagnose`` asks for it
and returns it in a shape staff can read (Beijing time, access tokens masked, the answer's errcode
explained in Chinese). It is a read: nothing is sent that changes anything, so no outbox; one audit
row (``wechat.diagnose``) says who asked about which release or alert.

Refusals (``DiagnoseRefused``, 4xx, in Chinese): a rid WeChat does not know (76001), one of another
account (76002), one it no longer keeps (76003), and — without asking WeChat — a rid whose failure
wxpub recorded more than 7 days ago (``TOO_OLD``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from wxpub.core.errors import NotFound, ValidationError, WxpubError
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Account, Alert, AuditEntry, PublishAttempt, Release
from wxpub.wechat import PermanentWeChatError
from wxpub.wechat.errors import explain

KEEP = timedelta(days=7)  # how long WeChat keeps a request for rid/get (reference §0a.7)
TOO_OLD = "微信只保留 7 天的请求记录，此 rid 已无法诊断"
ROLES = ("editor", "approver")  # who may ask (admins may do everything)
RID = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,63}")
SHOWN_LIMIT = 20_000  # characters of a request or answer body shown (a draft's HTML can be long)
# Defensive: WeChat masks the token in what it keeps; should one slip through, it is never shown.
_SECRETS = (re.compile(r"((?:access_token|secret|appsecret)=)[^&\s\"'<>]+", re.I),
            re.compile(r'("(?:access_token|secret|appsecret)"\s*:\s*")[^"]*(")', re.I))
MASK = "******"
REFUSED = {
    76001: (404, "微信查不到这个 rid：rid 可能抄错了，或不是本公众号发出的请求。请核对 rid 后再试。"),
    76002: (409, "这个 rid 属于别的公众号：只能诊断本公众号的请求。"),
    76003: (410, "这个 rid 已过期：微信只保留最近 7 天的请求记录，无法再诊断。"),
}


class DiagnoseRefused(WxpubError):
    """WeChat cannot (or no longer) tell about this rid; ``errcode`` is WeChat's (None: too old)."""

    code = "diagnose_refused"

    def __init__(self, message: str, *, errcode: int | None, http_status: int):
        super().__init__(message, code=f"wechat_{errcode}" if errcode else "rid_too_old")
        self.errcode = errcode
        self.http_status = http_status


def clean_rid(value) -> str:
    """The rid as typed or pasted (``rid: `` prefix and spaces dropped), or ``ValidationError``."""
    text = value.strip() if isinstance(value, str) else ""
    text = re.sub(r"^rid\s*[:：]\s*", "", text, flags=re.I)
    if not text:
        raise ValidationError("rid：请填写微信错误信息末尾“rid: ”后面的编号")
    if not RID.fullmatch(text):
        raise ValidationError(f"rid“{text[:70]}”格式不对：应为字母、数字和连字符，如 6560f0a4-1a2b3c4d-5e6f7a8b")
    return text


def fresh(at: datetime | None, now: datetime) -> bool:
    """True while a failure recorded at ``at`` can still be diagnosed (unknown time: we try)."""
    return at is None or now - at <= KEEP


def mask(text) -> str:
    """``text`` with any access token or secret replaced by ``******``."""
    shown = "" if text is None else str(text)
    for pattern in _SECRETS:
        shown = pattern.sub(lambda m: m.group(1) + MASK + (m.group(2) if m.lastindex == 2 else ""), shown)
    return shown


def seen(session: Session, rid: str) -> tuple[datetime | None, str | None, int | None]:
    """When wxpub recorded the failure with this rid (its first attempt row, else the alert's last
    occurrence) and the object it belongs to: ``(at, "release" | "alert" | None, id)``."""
    attempt = session.execute(
        select(PublishAttempt.started_at, PublishAttempt.release_id)
        .where(cast(PublishAttempt.detail, String).like(f"%{rid}%"))
        .order_by(PublishAttempt.started_at, PublishAttempt.id).limit(1)).first()
    if attempt is not None:
        return _aware(attempt.started_at), "release", attempt.release_id
    alert = session.execute(select(Alert.last_at, Alert.id).where(Alert.rid == rid)
                            .order_by(Alert.last_at.desc()).limit(1)).first()
    if alert is not None:
        return _aware(alert.last_at), "alert", alert.id
    return None, None, None


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=timezone.utc) if at is not None and at.tzinfo is None else at


def _answer_code(body: str) -> tuple[int | None, str]:
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return None, ""
    if not isinstance(data, dict) or not isinstance(data.get("errcode"), int):
        return None, ""
    return data["errcode"], str(data.get("errmsg") or "")


def explanation(errcode: int | None, request_url: str) -> str:
    """What the kept answer meant, in plain Chinese."""
    if errcode is None:
        return "微信保存的应答不是带错误码的 JSON，无法自动解释；请把下面的内容发给技术人员。"
    if errcode == 0:
        return "微信当时处理成功（错误码 0）。"
    path = request_url.split("?", 1)[0]
    return f"微信当时返回错误码 {errcode}：{explain(errcode, path)}"


def _clip(text: str) -> str:
    if len(text) <= SHOWN_LIMIT:
        return text
    return text[:SHOWN_LIMIT] + f"\n……（其余 {len(text) - SHOWN_LIMIT} 个字符未显示）"


def result(rid: str, request: dict, tz) -> dict:
    """The ``POST /api/v1/diagnose`` object from rid/get's ``request`` (tokens masked)."""
    invoke = request.get("invoke_time")
    at = datetime.fromtimestamp(int(invoke), timezone.utc).astimezone(tz) if isinstance(invoke, (int, float)) else None
    url, response = mask(request.get("request_url")), mask(request.get("response_body"))
    errcode, errmsg = _answer_code(response)
    return {"rid": rid, "invoke_time": at.isoformat() if at else None,
            "cost_in_ms": request.get("cost_in_ms"), "request_url": url,
            "request_body": _clip(mask(request.get("request_body"))), "response_body": _clip(response),
            "client_ip": str(request.get("client_ip") or ""), "errcode": errcode, "errmsg": errmsg,
            "explanation": explanation(errcode, url)}


def _account_of(session, kind: str | None, object_id) -> object | None:
    """The account whose request the rid was (a rid is only known to its own account's API):
    the release's, or the alert's release's; None (the environment's) otherwise."""
    release = None
    if kind == "release" and object_id is not None:
        release = session.get(Release, int(object_id))
    elif kind == "alert" and object_id is not None:
        alert = session.get(Alert, int(object_id))
        if alert is not None and alert.account_id is not None:
            return session.get(Account, alert.account_id)
        release = session.get(Release, alert.release_ids[0]) if alert and alert.release_ids else None
    return release.account if release is not None else None


def diagnose(runtime, rid, *, actor: str, release_id: int | None = None,
             alert_id: int | None = None) -> dict:
    """Ask WeChat (``openapi/rid/get``) what it kept of the request ``rid`` and return it
    (``result``); ``release_id`` / ``alert_id`` name the page it was asked from (the audit row's
    object; else the release or alert the rid was recorded with). Refuses without asking when
    wxpub recorded the rid more than 7 days ago; ``DiagnoseRefused`` for 76001–76003."""
    rid = clean_rid(rid)
    now = runtime.clock.now()
    with runtime.db.session() as session:
        at, kind, object_id = seen(session, rid)
        if release_id is not None:
            if session.get(Release, release_id) is None:
                raise NotFound(f"没有编号为 {release_id} 的发布")
            kind, object_id = "release", release_id
        elif alert_id is not None:
            if session.get(Alert, alert_id) is None:
                raise NotFound(f"没有编号为 {alert_id} 的告警")
            kind, object_id = "alert", alert_id
        if not fresh(at, now):
            raise DiagnoseRefused(f"{TOO_OLD}（请求发生在 {at.astimezone(runtime.settings.tz):%Y-%m-%d %H:%M}，"
                                  "北京时间）", errcode=None, http_status=410)
        wechat = runtime.wechat_for(_account_of(session, kind, object_id))
        session.rollback()  # no transaction open while WeChat answers
        refused = None
        try:
            answer = wechat.openapi.rid(rid)
        except PermanentWeChatError as error:
            if error.errcode not in REFUSED:
                raise
            status, message = REFUSED[error.errcode]
            refused = DiagnoseRefused(message, errcode=error.errcode, http_status=status)
        shown = None if refused else result(rid, answer.get("request") or {}, runtime.settings.tz)

        def work():
            session.add(AuditEntry(at=now, actor=actor[:100], action="wechat.diagnose",
                                   object_type=kind or "rid", object_id=str(object_id or rid),
                                   detail={"rid": rid, "errcode": refused.errcode if refused else 0,
                                           **({"answer_errcode": shown["errcode"]} if shown else {})}))

        commit_or_roll_back(session, work)
    if refused is not None:
        raise refused
    return shown
