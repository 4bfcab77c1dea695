"""Alerts for people: a log line and a message to each configured channel, once per root cause.

A root cause is a string key: account-wide problems (an expired AppSecret, the IP whitelist, a missing
permission, a used-up quota) use ``account:<errcode>`` so that ten releases hit by one expired secret
raise one alert; release-specific problems use ``release:<id>:<what>``. An open alert with the same
cause is updated (count, release ids) instead of sent again. The webhook is never called from here:
the first alert of a cause puts one message in the outbox, in the caller's transaction, and the
scheduler delivers it after that transaction committed (``wxpub.notify.outbox``).

The channels are the generic JSON webhook (``WXPUB_ALERT_WEBHOOK_URL``) and the group robots
(企业微信, 钉钉, 飞书: ``WXPUB_ALERT_*_URL``), one outbox row each; a row names only its channel
(``webhook``, ``robot:dingtalk`` …) — the address, with its access key, and the signing secret are
read from the settings when the row is delivered (``wxpub.notify.robots``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.models import Alert, Release
from wxpub.notify import outbox, robots

log = logging.getLogger("wxpub.notify.alerts")

# errcodes that concern the whole account, not one article.
ACCOUNT_WIDE = {40001, 40013, 40125, 40164, 40243, 41002, 41004, 42001, 45009, 45028, 48001,
                48003, 48004, 50002, 50004, 50007, 89503, 89506, 89507}


def cause_for(errcode: int | None, release_id: int, what: str = "failed") -> str:
    """The root-cause key of a failure: account-wide errcodes share one key."""
    if errcode in ACCOUNT_WIDE:
        return f"account:{errcode}"
    return f"release:{release_id}:{what}"


# The lapsed WeChat verification (微信认证) and every 48001 share one root cause: the account lost
# its 发布/群发 API permissions. ``annual_renew`` (renewal due, not lapsed yet) is a cause of its own.
VERIFY_CAUSE = "account:48001"
RENEW_CAUSE = "account:annual_renew"
SYSTEM = "系统"
_HOW_TO_RENEW = ("请公众号管理员登录 mp.weixin.qq.com → 设置与开发 → 账号设置 → 微信认证，按提示完成年审"
                 "（认证续期）；完成前，失败的发布可用其手工发布材料在公众号后台手工发表。")
VERIFY_EXPLANATION = ("公众号的微信认证每年须年审（续期）一次；认证过期后，微信会收回“发布”和“群发”接口权限，"
                      "本系统的发布都会失败（错误码 48001），直到重新完成认证。" + _HOW_TO_RENEW)


def _when(at: datetime | None, tz) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") + "（北京时间）" if at is not None else ""


def verify_expired_message(expired_at: datetime | None, tz) -> str:
    """The alert text of WeChat's ``verify_expired`` event: what lapsed, what it breaks, what to do."""
    head = (f"公众号的微信认证已于 {_when(expired_at, tz)}过期。" if expired_at is not None
            else "公众号的微信认证已过期。")
    return head + VERIFY_EXPLANATION


def annual_renew_message(expires_at: datetime | None, tz) -> str:
    """The alert text of WeChat's ``annual_renew`` event (the yearly renewal is due)."""
    head = (f"公众号的微信认证需要年审：认证将于 {_when(expires_at, tz)}到期。" if expires_at is not None
            else "公众号的微信认证需要年审，即将到期。")
    return (head + "微信认证每年须年审（续期）一次；到期未完成，微信会收回“发布”和“群发”接口权限，"
            "之后的发布都会失败（错误码 48001）。" + _HOW_TO_RENEW)


def no_permission_message(detail: str) -> str:
    """The text of a 48001 (at pre-flight or when a release fails): the verification explanation
    after what was refused."""
    return (f"{detail.rstrip('。')}。微信返回 48001（接口未授权）：最常见的原因是公众号的微信认证已过期"
            f"或未完成年审。" + VERIFY_EXPLANATION)


def raise_alert(session: Session, *, cause: str, message: str, now: datetime,
                release_id: int | None = None, severity: str = "error",
                webhook_url: str = "", settings=None, refresh_message: bool = False,
                rid: str | None = None, account_id: int | None = None) -> Alert:
    """Record an alert (the first of its cause also goes to the outbox, one row per configured
    channel of ``settings``; without settings, to the generic webhook when ``webhook_url`` is set);
    flushes, the caller commits.

    An open alert of the cause — acknowledged or not — only counts the recurrence (nothing is sent
    again); ``refresh_message`` also replaces its text (a more precise one: the expiry date of a
    ``verify_expired`` event after a 48001). A 48001 alert always carries the verification
    explanation (``VERIFY_EXPLANATION``), whoever raised it. ``rid``: WeChat's request id of the
    failed call behind it (``Alert.rid``; a recurrence's newest rid replaces the older one).

    Alerts are kept apart per account (``account_id``, by default the release's): the same cause
    on two accounts is two alerts."""
    if cause == VERIFY_CAUSE and VERIFY_EXPLANATION not in message:
        message = no_permission_message(message)
    if account_id is None and release_id is not None:
        account_id = session.scalar(select(Release.account_id).where(Release.id == release_id))
    alert = session.scalar(select(Alert).where(
        Alert.cause == cause, Alert.resolved_at.is_(None),
        Alert.account_id.is_(None) if account_id is None else Alert.account_id == account_id))
    if alert is not None:
        alert.count += 1
        alert.last_at = now
        if rid:
            alert.rid = rid[:64]
        if refresh_message:
            alert.message = message
        if release_id is not None and release_id not in alert.release_ids:
            alert.release_ids = [*alert.release_ids, release_id]
        log.info("alert repeated (%s, %d times): %s", cause, alert.count, message)
        return alert
    alert = Alert(cause=cause, severity=severity, message=message, first_at=now, last_at=now,
                  account_id=account_id,
                  release_ids=[release_id] if release_id is not None else [], rid=rid[:64] if rid else None)
    session.add(alert)
    session.flush()
    log.error("ALERT [%s] %s", cause, message)
    targets = robots.channels(settings) if settings is not None else (["webhook"] if webhook_url else [])
    payload = {"cause": cause, "severity": severity, "message": message,
               "release_ids": alert.release_ids, "at": now.isoformat()}
    for target in targets:
        outbox.enqueue(session, kind="webhook" if target == "webhook" else "robot", target=target,
                       alert_id=alert.id, now=now, payload=dict(payload))
    return alert


def resolve(session: Session, cause: str, now: datetime, by: str = SYSTEM,
            account_id: int | None = None) -> None:
    """Close the open alert of a cause (of one account when ``account_id`` is given; so a
    recurrence alerts again); the caller commits."""
    query = select(Alert).where(Alert.cause == cause, Alert.resolved_at.is_(None))
    if account_id is not None:
        query = query.where(Alert.account_id == account_id)
    for alert in session.scalars(query):
        alert.resolved_at = now
        alert.resolved_by = by[:100]


# WeChat's account events about the verification (§0a.3), as ``wxpub.wechat.parse_event`` names them.
ACCOUNT_EVENTS = ("verify_expired", "annual_renew")


def account_event(session: Session, *, event: str, expired_at: datetime | None, now: datetime,
                  settings, account_id: int | None = None) -> Alert:
    """The alert of a ``verify_expired`` / ``annual_renew`` push: the lapsed verification shares the
    48001 root cause (one message however many releases fail with it); a renewal due is a warning
    of its own. Flushes, the caller commits."""
    tz = settings.tz
    if event == "verify_expired":
        alert = raise_alert(session, cause=VERIFY_CAUSE, message=verify_expired_message(expired_at, tz),
                            now=now, severity="error", settings=settings, refresh_message=True,
                            account_id=account_id)
        # the reminder is overtaken by the lapse itself
        resolve(session, RENEW_CAUSE, now, account_id=account_id)
        return alert
    return raise_alert(session, cause=RENEW_CAUSE, message=annual_renew_message(expired_at, tz),
                       now=now, severity="warning", settings=settings, refresh_message=True,
                       account_id=account_id)
