"""Pre-flight checks 24 hours and 1 hour before each release, so problems surface while a person can
still fix them: the access token works, the content is approved and clean, images upload, and (for
mass sends) the day's quota is not already used by another release."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from wxpub.notify import alerts

from wxpub.editorial import compose

from wxpub.releases.queries import approval_valid
from wxpub.models import MessageVersion, PublishAttempt, Release
from wxpub.infra.runtime import Runtime
from wxpub.publishing.uploads import draft_payload
from wxpub.core.errors import WxpubError
from wxpub.wechat import WeChat, WeChatError
from wxpub.wechat.errors import rid_of

log = logging.getLogger("wxpub.publishing.preflight")
NO_PERMISSION = 48001  # api unauthorized: the account's verification lapsed (or it has none)
WINDOWS = (("preflight-24h", timedelta(hours=24)), ("preflight-1h", timedelta(hours=1)))


def _review_problem(rt: Runtime, session, release: Release) -> str:
    """What stops the release on the review side, in words: "审核未完成：还缺 复审、校对 2 轮"."""
    from wxpub.editorial import chain
    from wxpub.models import Message

    message = session.get(Message, release.message_id) if release.message_id else None
    version = message.current_version if message else None
    if version is None:
        return "还没有排版好的内容"
    if chain.version_drifted(session, version):
        return f"v{version.version} 生成后案例又有修改：须重新生成并重新审核"
    missing = chain.state(session, version.id, rt.settings.review_policy).missing()
    return f"审核未完成（三审三校）：v{version.version} 还缺 {'、'.join(missing)}" if missing \
        else "内容尚未审批或审批已失效"


def check_release(rt: Runtime, session, release: Release, wx: WeChat) -> list[str]:
    """Problems that would stop ``release`` (Chinese sentences); empty when all is well."""
    problems = []
    if not approval_valid(session, release):
        problems.append(_review_problem(rt, session, release))
    elif compose.content_drifted(session, release):
        problems.append("案例内容在审批后有改动，发布时将需要重新审批")
    version = session.get(MessageVersion, release.approved_version_id) if release.approved_version_id else None
    if version is not None:
        blocking = [f for f in version.findings if f["severity"] == "blocking"]
        if blocking:
            problems.append(f"内容有 {len(blocking)} 个阻断问题")
    try:
        wx.token.get()
    except WeChatError as error:
        problems.append(f"无法获取微信接口凭证：{error.message}")
        return problems
    if version is not None and not problems:
        problems += dry_run_draft(rt, session, release, version, wx)
    if release.mode == "mass_send" and release.account.account_type == "subscription":
        day = release.scheduled_at.astimezone(rt.settings.tz).date()
        others = [r for r in session.scalars(select(Release).where(
            Release.mode == "mass_send", Release.id != release.id, Release.account_id == release.account_id,
            Release.state.in_(("approved", "publishing", "published"))))
            if r.scheduled_at.astimezone(rt.settings.tz).date() == day]
        if others:
            problems.append(f"同一天还有群发（发布 {', '.join(str(r.id) for r in others)}），订阅号每天只能群发一次")
    return problems


# The start of the problem a 48001 gives: the account's verification alert already explains it, so
# the release does not raise an alert of its own for it.
LAPSED_PROBLEM = "试建草稿失败：微信返回 48001"


def dry_run_draft(rt: Runtime, session, release: Release, version: MessageVersion, wx: WeChat) -> list[str]:
    """Upload the images (through the cache, so the release reuses them) and create, then delete, a
    draft of the approved content: WeChat's own checks run a day and an hour ahead."""
    try:
        payload = draft_payload(session, wx, release.account_id, version, now=rt.clock.now(),
                                commit=session.commit)
        media_id = wx.draft.add(payload)["media_id"]
    except WeChatError as error:
        if error.errcode == NO_PERMISSION:
            # the lapsed verification (or none): the account's one alert, shared with the release
            # failures and the verify_expired event, explains it; the caller commits
            alerts.raise_alert(session, cause=alerts.VERIFY_CAUSE, now=rt.clock.now(), release_id=release.id,
                               message=f"发布 {release.id} 预检时试建草稿被拒绝", settings=rt.settings)
            return [f"{LAPSED_PROBLEM}（接口未授权），公众号的微信认证可能已过期，"
                    f"处理办法见告警箱（/alerts）中关于微信认证的告警（{error.message}）"]
        return [f"试建草稿失败：{error.message}"]
    try:
        wx.draft.delete(media_id)
    except WeChatError as error:
        log.warning("pre-flight draft %s could not be deleted: %s", media_id, error.message)
    return []


def _with_rid(detail: dict) -> dict:
    """A check's detail with the rid of the last WeChat refusal among its problems (diagnosable)."""
    rids = [rid for rid in map(rid_of, detail["problems"]) if rid]
    return {**detail, "rid": rids[-1]} if rids else detail


def _check(rt: Runtime, session, release: Release) -> list[str]:
    """``check_release`` on the release's own account; a disabled account, or credentials that
    cannot be read, are problems of their own."""
    account = release.account
    if not account.enabled:
        return [f"公众号“{account.name}”已停用，这次发布不会发出"]
    try:
        wx = rt.wechat_for(account)
    except WxpubError as error:
        return [error.message]
    return check_release(rt, session, release, wx)


def run_due_checks(rt: Runtime) -> int:
    """Run each window's check once for every release entering it; returns how many ran."""
    now = rt.clock.now()
    ran = 0
    with rt.db.session() as session:
        upcoming = session.scalars(select(Release).where(
            Release.state.in_(("planned", "approved")), Release.scheduled_at > now,
            Release.scheduled_at <= now + WINDOWS[0][1]))
        for release in upcoming:
            for step, ahead in WINDOWS:
                if release.scheduled_at - now > ahead:
                    continue
                # done for this planned time (a release moved to another time is checked again)
                done = session.scalar(select(PublishAttempt.id).where(
                    PublishAttempt.release_id == release.id, PublishAttempt.step == step,
                    PublishAttempt.started_at >= release.scheduled_at - ahead))
                if done:
                    continue
                problems = _check(rt, session, release)
                session.add(PublishAttempt(release_id=release.id, step=step, worker="preflight",
                                           started_at=now, finished_at=now,
                                           outcome="ok" if not problems else "permanent",
                                           detail=_with_rid({"problems": problems})))
                if problems and not all(p.startswith(LAPSED_PROBLEM) for p in problems):
                    alerts.raise_alert(session, cause=f"release:{release.id}:{step}", severity="warning",
                                       message=f"发布 {release.id} 预检（{'提前24小时' if step.endswith('24h') else '提前1小时'}）"
                                               f"发现问题：" + "；".join(problems),
                                       now=now, release_id=release.id,
                                       webhook_url=rt.settings.alert_webhook_url,
                                       settings=rt.settings)
                ran += 1
        session.commit()
    return ran
