"""Alert channels: the generic JSON webhook and the group robots offices use (企业微信, 钉钉, 飞书).

An outbox row names its channel only — ``webhook``, ``robot:wecom``, ``robot:dingtalk`` or
``robot:feishu`` — never its address: robot URLs carry access keys and the signing secrets are
secrets, so both are read from the settings when the row is delivered, and the DingTalk and Feishu
signatures are computed then (they expire after an hour anyway). The payload is the alert itself
(cause, severity, message, release ids); the Chinese text is written at delivery time too.

``send`` returns None when the receiver accepted the message, else a short Chinese reason that
names no URL, key or secret (it goes to ``outbox.last_error`` and the log). A robot answering HTTP
200 with a non-zero ``errcode`` (钉钉, 企业微信) or ``code`` (飞书) refused the message: that is a
failed delivery, retried with the outbox's backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qsl, quote_plus, urlsplit

import requests

from wxpub.wechat.transport import hide_in_logs

TIMEOUT = 5
TITLE = "【新政服发布告警】"
SEVERITY_WORDS = {"error": "严重", "warning": "警告", "info": "提示"}
ROBOT_NAMES = {"wecom": "企业微信机器人", "dingtalk": "钉钉机器人", "feishu": "飞书机器人"}
WEBHOOK = "webhook"


def channels(settings) -> list[str]:
    """The outbox targets of every channel configured in ``settings`` (in a fixed order)."""
    found = [WEBHOOK] if getattr(settings, "alert_webhook_url", "") else []
    for robot in ROBOT_NAMES:
        if getattr(settings, f"alert_{robot}_url", ""):
            found.append(f"robot:{robot}")
    return found


def release_link(public_url: str, release_id: int) -> str:
    """The address of a release's page in the web app (``<WXPUB_PUBLIC_URL>/releases/<id>``)."""
    return f"{public_url.rstrip('/')}/releases/{release_id}"


def text(payload: dict, public_url: str = "") -> str:
    """The Chinese message a person reads in the group."""
    word = SEVERITY_WORDS.get(payload.get("severity", ""), "告警")
    lines = [f"{TITLE}{word}", str(payload.get("message", ""))]
    for release_id in payload.get("release_ids") or []:
        if public_url:
            lines.append(f"发布 {release_id}：{release_link(public_url, release_id)}")
        else:
            lines.append(f"发布 {release_id}：请在网页的“发布”中查看")
    return "\n".join(lines)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉加签: base64(HMAC-SHA256(key=secret, msg="<timestamp ms>\\n<secret>")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书签名校验: base64(HMAC-SHA256(key="<timestamp s>\\n<secret>", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def build(target: str, payload: dict, settings, now: float | None = None) -> tuple[str, dict] | str:
    """The URL and JSON body for ``target``, or a reason when the channel is no longer configured."""
    now = time.time() if now is None else now
    content = text(payload, getattr(settings, "public_url", ""))
    if target == WEBHOOK or target.startswith(("http://", "https://")):  # the latter: old rows
        url = settings.alert_webhook_url if target == WEBHOOK else target
        if not url:
            return "未配置 WXPUB_ALERT_WEBHOOK_URL"
        return url, {**payload, "text": content}
    robot = target.removeprefix("robot:")
    if robot not in ROBOT_NAMES:
        return f"未知的告警渠道 {target!r}"
    url = getattr(settings, f"alert_{robot}_url", "")
    if not url:
        return f"未配置 WXPUB_ALERT_{robot.upper()}_URL"
    if robot == "wecom":
        return url, {"msgtype": "text", "text": {"content": content}}
    if robot == "dingtalk":
        secret = settings.alert_dingtalk_secret
        if secret:
            stamp = int(now * 1000)
            url = f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={dingtalk_sign(secret, stamp)}"
        return url, {"msgtype": "text", "text": {"content": content}}
    body: dict = {"msg_type": "text", "content": {"text": content}}
    if settings.alert_feishu_secret:
        stamp = int(now)
        body = {"timestamp": str(stamp), "sign": feishu_sign(settings.alert_feishu_secret, stamp), **body}
    return url, body


def send(target: str, payload: dict, settings, http=None) -> str | None:
    """Deliver one message; None when it was accepted, else a reason without any secret."""
    built = build(target, payload, settings)
    if isinstance(built, str):
        return built
    url, body = built
    _hide_credentials(url, settings)
    try:
        response = (http or requests).post(url, json=body, timeout=TIMEOUT)
    except requests.RequestException as error:
        return type(error).__name__  # the exception's text would carry the URL and its key
    if not 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}"
    if target == WEBHOOK or target.startswith("http"):
        return None
    return _scrub(_verdict(target.removeprefix("robot:"), response), settings)


def _hide_credentials(url: str, settings) -> None:
    """Keep the address's credentials out of the log (urllib3 logs request lines at DEBUG): its
    query values, a long last path segment (飞书's hook token) and the signing secrets."""
    parts = urlsplit(url)
    last = parts.path.rstrip("/").rpartition("/")[2]
    # (not the per-request timestamp and signature: the regex hides ``sign``, and registering them
    # would grow the set with every delivery)
    query = [value for name, value in parse_qsl(parts.query) if name not in ("timestamp", "sign")]
    hide_in_logs(*query, last if len(last) >= 16 else "", getattr(settings, "alert_dingtalk_secret", ""),
                 getattr(settings, "alert_feishu_secret", ""))


def _verdict(robot: str, response) -> str | None:
    """A robot's answer: errcode 0 (钉钉, 企业微信) or code 0 (飞书) means accepted."""
    try:
        answer = response.json()
    except ValueError:
        return f"{ROBOT_NAMES[robot]}的回答不是 JSON"
    if not isinstance(answer, dict):
        return f"{ROBOT_NAMES[robot]}的回答无法识别"
    key = "code" if robot == "feishu" else "errcode"
    code = answer.get(key, answer.get("StatusCode", 0) if robot == "feishu" else None)
    if code in (0, "0"):
        return None
    detail = str(answer.get("msg") or answer.get("errmsg") or answer.get("StatusMessage") or "")[:120]
    return f"{ROBOT_NAMES[robot]}拒收（{key} {code}：{detail}）"


def _scrub(reason: str | None, settings) -> str | None:
    """Remove any key or secret a robot might have echoed back."""
    if reason is None:
        return None
    for name in ("alert_dingtalk_secret", "alert_feishu_secret"):
        secret = getattr(settings, name, "")
        if secret:
            reason = reason.replace(secret, "***")
    return reason
