"""How releases end: failures recorded with a reason, a fallback pack and one alert per cause, and
WeChat's PUBLISHJOBFINISH / MASSSENDJOBFINISH events applied to their releases (idempotently)."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.notify import alerts
from wxpub.models import PublishAttempt, Release

log = logging.getLogger("wxpub.publishing.outcomes")


PUBLISH_STATUS = {
    2: "原创声明校验未通过（文章被判定为非原创）",
    3: "发布失败（微信常规失败）",
    4: "平台审核不通过",
    5: "发布成功后文章已被全部删除",
    6: "发布成功后文章被系统封禁",
}


def publish_status_message(status: int, fail_idx: list) -> str:
    """Plain-Chinese explanation of a freepublish status."""
    text = PUBLISH_STATUS.get(status, f"发布失败（状态 {status}）")
    if fail_idx:
        text += f"，失败的文章：第 {'、'.join(str(i) for i in fail_idx)} 篇"
    return text + "。可使用手工发布材料在公众号后台发布。"


MASS_STATUS = {
    10001: "涉嫌广告", 20001: "涉嫌政治敏感", 20002: "涉嫌色情", 20004: "涉嫌社会类问题", 20006: "涉嫌违法犯罪",
    20008: "涉嫌欺诈", 20013: "涉嫌侵权", 22000: "涉嫌互推", 21000: "涉嫌其他问题",
    30001: "原创校验出现系统错误（且选择了转载即停止群发）", 30002: "原创校验未通过，不能群发",
    30003: "被判定为转载（且选择了转载即停止群发）", 40001: "管理员拒绝了群发", 40002: "管理员 30 分钟内未确认群发",
}


def mass_status_message(status: str) -> str:
    """Plain-Chinese explanation of a MASSSENDJOBFINISH ``Status`` (``send fail`` or ``err(N)``)."""
    match = re.fullmatch(r"err\((\d+)\)", status.strip())
    reason = MASS_STATUS.get(int(match.group(1)), f"错误 {match.group(1)}") if match else "发送失败"
    return f"群发失败：{reason}（微信状态 {status}）。可使用手工发布材料在公众号后台处理。"


def mark_failed(session: Session, settings, release: Release, errcode, message: str, now: datetime, *,
                worker: str = "", detail: dict | None = None) -> None:
    """Record a failure: state, plain-Chinese reason, manual fallback pack, one alert per cause."""
    from wxpub.publishing.fallback import write_pack
    release.state, release.error_code, release.error_message = "failed", errcode, message
    release.updated_at = now
    try:
        release.fallback_path = str(write_pack(session, settings, release))
    except Exception as pack_error:  # the pack is a courtesy; the failure must still be recorded
        log.exception("release %s: fallback pack failed: %s", release.id, pack_error)
    session.add(PublishAttempt(release_id=release.id, step="failed", worker=worker, started_at=now,
                               finished_at=now, outcome="permanent", errcode=errcode,
                               detail={"message": message, **(detail or {})}))
    cause = alerts.cause_for(errcode, release.id)
    if cause.startswith("account:"):
        text = (f"公众号设置或权限有问题，所有待发布的内容都会受影响，请尽快处理：{message}"
                f"（首个受影响的是发布 {release.id}，手工发布材料：{release.fallback_path}）")
    else:
        text = f"发布 {release.id} 失败：{message} 手工发布材料：{release.fallback_path}"
    alerts.raise_alert(session, cause=cause, message=text, now=now, release_id=release.id,
                       webhook_url=settings.alert_webhook_url)


def record_event(session: Session, settings, event: dict, now: datetime) -> Release | None:
    """Apply a PUBLISHJOBFINISH / MASSSENDJOBFINISH event to its release (idempotent)."""
    kind = event.get("event")
    release = None
    if kind == "PUBLISHJOBFINISH" and event.get("publish_id") is not None:
        release = session.scalar(select(Release).where(Release.publish_id == str(event["publish_id"])))
    elif kind == "MASSSENDJOBFINISH" and event.get("msg_id") is not None:
        release = session.scalar(select(Release).where(Release.msg_id == str(event["msg_id"])))
    if release is None or release.state in ("published", "failed", "canceled"):
        return release
    if kind == "PUBLISHJOBFINISH":
        status = event.get("publish_status")
        if status == 0:
            release.state, release.step = "published", "published"
            release.article_urls = list(event.get("article_urls") or [])
            release.published_at = now
        elif status not in (None, 1):
            mark_failed(session, settings, release, None,
                        publish_status_message(status, event.get("fail_idx") or []), now, worker="callback")
    else:
        status = (event.get("status") or "").lower()
        if status == "send success":
            release.state, release.step = "published", "published"
            release.article_urls = list(event.get("article_urls") or release.article_urls or [])
            release.published_at = now
        elif status:
            mark_failed(session, settings, release, None, mass_status_message(event.get("status") or ""),
                        now, worker="callback")
    release.updated_at = now
    session.add(PublishAttempt(release_id=release.id, step="event", worker="callback", started_at=now,
                               finished_at=now, outcome="ok", detail={"event": event}))
    return release
