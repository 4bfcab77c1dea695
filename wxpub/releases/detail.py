"""One release's whole story, and the release list's filters — shared by the JSON API
(``wxpub.web.api_releases``) and the release pages (``wxpub.web.release_pages``), so both show the
same thing.

* ``find(session, in_state=, month=, account=, tz=)``: ``(release, chapter name)`` rows, soonest
  first (``month`` is ``YYYY-MM`` in Beijing time, ``account`` a name or AppID); a bad filter is a
  ``ValidationError`` naming it.
* ``detail(session, release, settings)``: the ``GET /api/v1/releases/<id>`` object — the list
  shape plus ``state_name``, ``timeline``, ``attempts`` (with WeChat's ``rid``), ``preflight``,
  ``readback``, ``fallback_path`` and ``review``.
* ``page(session, release, settings, now=)``: that, plus what a person reads on the release page
  (names instead of codes, the actions the state allows, whether it is in flight).
* ``status(session, release, now=)``: the few fields the page polls while a release is in flight.

Read-only: nothing here writes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wxpub.core.errors import ValidationError
from wxpub.core.release_states import (FROZEN, TRANSITIONS, State, Step, mode_name, state_name)
from wxpub.models import (Account, Chapter, Message, MessageVersion, PublishAttempt, Release,
                          ReleaseTransition, Series)
from wxpub.releases import queries
from wxpub.staff.audit import people as staff_people

MONTH = re.compile(r"(\d{4})-(\d{2})")
PREFLIGHT_STEPS = ("preflight-24h", "preflight-1h")
RID = re.compile(r"rid:\s*([0-9A-Za-z-]+)")  # WeChat appends it to errmsg: "... rid: 65f0-1a2b-3c4d"
LIVE_AHEAD = timedelta(minutes=15)  # an approved release this close to its time is watched live
WORKER = re.compile(r".+:\d+(:.*)?$")  # the scheduler's worker ids: host:pid[:run]

STEP_NAMES = {"": "开始", "gate": "发布前核对", "claimed": "领取发布任务", "images_uploaded": "上传图片",
              "draft": "创建草稿", "drafted": "创建草稿", "readback": "回读草稿", "fire": "到点发送",
              "discard": "丢弃旧草稿", "submit": "提交微信", "submitted": "等待微信结果",
              "published": "发布完成", "failed": "发布失败", "reconcile": "核对中断的发布",
              "hold": "暂停", "event": "微信推送事件", "preflight-24h": "发布前 24 小时检查",
              "preflight-1h": "发布前 1 小时检查"}
OUTCOME_NAMES = {"ok": "成功", "transient": "暂时失败（会自动重试）", "permanent": "失败（不再重试）",
                 "running": "进行中", "not_applied": "未生效", "uncertain": "结果不明（先核对再决定）",
                 "rate_limited": "本分钟限额已满（下一分钟继续）"}
FIELD_NAMES = {"title": "标题", "author": "作者", "digest": "摘要", "content_source_url": "原文链接",
               "thumb_media_id": "封面图", "content": "正文", "count": "文章篇数"}
ACTOR_NAMES = {"callback": "微信推送", "publisher": "定时发布程序", "preflight": "发布前检查程序", "测试": "测试"}

# Each staff action and the state moves it makes (from core.release_states.TRANSITIONS).
ACTION_MOVES = {
    "retry": ((State.FAILED, State.APPROVED), (State.HELD, State.APPROVED)),
    "hold": ((State.APPROVED, State.HELD), (State.PUBLISHING, State.HELD)),
    "resume": ((State.HELD, State.APPROVED),),
    "cancel": tuple((s, State.CANCELED) for s in State if (s, State.CANCELED) in TRANSITIONS),
    "manual": tuple((s, State.MANUAL) for s in State if (s, State.MANUAL) in TRANSITIONS),
}


# --- the list ----------------------------------------------------------------------------------

def month_range(text: str, tz) -> tuple[datetime, datetime]:
    """The first instant of a ``YYYY-MM`` month and of the next one, in ``tz``."""
    match = MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(f"参数 month 应为 YYYY-MM（如 2026-03），而不是 {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start, end


def find(session: Session, *, in_state: str = "", month: str = "", account: str = "", tz,
         newest_first: bool = False) -> list:
    """``(release, chapter name)`` rows matching the filters, soonest first (or newest first)."""
    order = (Release.scheduled_at.desc(), Release.id.desc()) if newest_first else (Release.scheduled_at, Release.id)
    query = (select(Release, Chapter.name).join(Chapter, Release.chapter_id == Chapter.id).order_by(*order))
    if in_state:
        if in_state not in {s.value for s in State}:
            raise ValidationError(f"参数 state 无效：{in_state!r}（可选 {'、'.join(s.value for s in State)}）")
        query = query.where(Release.state == in_state)
    if month:
        start, end = month_range(month, tz)
        query = query.where(Release.scheduled_at >= start, Release.scheduled_at < end)
    if account:
        query = query.join(Account, Release.account_id == Account.id).where(
            or_(Account.name == account, Account.appid == account))
    return session.execute(query).all()


def months(session: Session, tz) -> list[str]:
    """Every ``YYYY-MM`` (in ``tz``) that has a release, newest first (for the list's month choice)."""
    found = {r.astimezone(tz).strftime("%Y-%m") for r in session.scalars(select(Release.scheduled_at))}
    return sorted(found, reverse=True)


def names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """account id → name and series id → name."""
    return (dict(session.execute(select(Account.id, Account.name)).all()),
            dict(session.execute(select(Series.id, Series.name)).all()))


# --- one release -------------------------------------------------------------------------------

def rid(detail: dict) -> str | None:
    """WeChat's request id for an error, when the attempt recorded one (itself, or in its errmsg)."""
    if detail.get("rid"):
        return str(detail["rid"])
    texts = [detail.get("error"), detail.get("message"), *(detail.get("errors") or [])]
    found = [m.group(1) for t in texts if isinstance(t, str) for m in [RID.search(t)] if m]
    return found[-1] if found else None


def _at(value, tz) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


def _rows(session: Session, release: Release) -> tuple[list, list]:
    transitions = session.scalars(select(ReleaseTransition).where(ReleaseTransition.release_id == release.id)
                                  .order_by(ReleaseTransition.at, ReleaseTransition.id)).all()
    attempts = session.scalars(select(PublishAttempt).where(PublishAttempt.release_id == release.id)
                               .order_by(PublishAttempt.id)).all()
    return transitions, attempts


def detail(session: Session, release: Release, settings, *, _rows_read=None) -> dict:
    """The release with its timeline, publish log, pre-flight checks, read-back and review
    (the ``GET /api/v1/releases/<id>`` object; times ISO 8601 in the office's timezone)."""
    tz = settings.tz
    chapter = session.get(Chapter, release.chapter_id)
    data = queries.release_dict(release, chapter.name if chapter else "", tz)
    transitions, attempts = _rows_read or _rows(session, release)
    preflight = {}
    for a in attempts:  # the newest row of each window wins
        if a.step in PREFLIGHT_STEPS:
            preflight[a.step] = {"step": a.step, "ok": a.outcome == "ok", "outcome": a.outcome,
                                 "problems": list((a.detail or {}).get("problems") or []),
                                 "at": _at(a.started_at, tz)}
    readbacks = [a for a in attempts if a.step == "readback" and a.outcome == "ok"]
    message = session.get(Message, release.message_id) if release.message_id else None
    data.update({
        "state_name": state_name(release.state),
        "timeline": [{"from": t.from_state, "to": t.to_state, "step": t.step, "reason": t.reason,
                      "actor": t.actor, "at": _at(t.at, tz)} for t in transitions],
        "attempts": [{"step": a.step, "outcome": a.outcome, "errcode": a.errcode,
                      "detail": a.detail or {}, "rid": rid(a.detail or {}),
                      "started_at": _at(a.started_at, tz), "finished_at": _at(a.finished_at, tz)}
                     for a in attempts],
        "preflight": [preflight[s] for s in PREFLIGHT_STEPS if s in preflight],
        "readback": (readbacks[-1].detail or {}).get("changes") or [] if readbacks else None,
        "fallback_path": release.fallback_path,
        "time_set_by": release.time_set_by,  # who moved it by hand (the plan then keeps that time)
        "review": review(session, message, settings),
    })
    return data


def review(session: Session, message, settings) -> dict | None:
    """The review of the release's message: ``complete``, ``version_hash``, ``missing`` (or None)."""
    if message is None:
        return None
    from wxpub.editorial.review_report import review_json
    full = review_json(session, message, settings.review_policy, settings.tz)
    return {"complete": full["complete"], "version_hash": full["version_hash"], "missing": full["missing"]}


def actions(release: Release, now: datetime) -> list[str]:
    """The staff actions the release's state allows now (``retry``, ``hold``, ``resume``,
    ``reschedule``, ``manual``, ``cancel``): nothing once WeChat has it or a publisher holds it."""
    state = State(release.state)
    if state == State.PUBLISHING and release.step == Step.SUBMITTED:
        return []
    if release.lease_until is not None and release.lease_until > now:
        return []
    allowed = [name for name, moves in ACTION_MOVES.items() if any(source == state for source, _ in moves)]
    if state not in FROZEN:
        allowed.append("reschedule")
    order = ("retry", "resume", "hold", "reschedule", "cancel", "manual")
    return [name for name in order if name in allowed]


def live(release: Release, now: datetime) -> bool:
    """True while the release is in flight (or about to be): the page then follows it by itself."""
    if release.state == State.PUBLISHING:
        return True
    return release.state == State.APPROVED and release.scheduled_at - now <= LIVE_AHEAD


def status(session: Session, release: Release, *, now: datetime) -> dict:
    """What the release page polls: the state, whether it is still live, and a ``signature`` that
    changes whenever something on the page would (a transition, an attempt, the step)."""
    moves = session.scalar(select(func.count()).select_from(ReleaseTransition)
                           .where(ReleaseTransition.release_id == release.id))
    tries = session.scalar(select(func.max(PublishAttempt.id)).where(PublishAttempt.release_id == release.id))
    signature = f"{release.state}|{release.step}|{moves}|{tries or 0}|{len(release.article_urls or [])}"
    return {"id": release.id, "state": release.state, "state_name": state_name(release.state),
            "live": live(release, now), "signature": signature}


def actor_name(actor: str, people: dict[str, str]) -> str:
    """Who or what moved a release, as staff read it."""
    if actor in people:
        shown = people[actor]
        return f"{shown}（{actor}）" if shown and shown != actor else actor
    if actor in ACTOR_NAMES:
        return ACTOR_NAMES[actor]
    if WORKER.match(actor or ""):
        return f"定时发布程序（{actor}）"
    return actor or "系统"


def page(session: Session, release: Release, settings, *, now: datetime) -> dict:
    """Everything the release page shows: ``detail`` plus names, articles, the read labels of the
    timeline and the attempt log, the allowed actions and whether the page follows it live."""
    rows = _rows(session, release)
    data = detail(session, release, settings, _rows_read=rows)
    transitions, attempts = rows
    people = staff_people(session)
    account = session.get(Account, release.account_id)
    series = session.get(Series, release.series_id)
    version_id = release.sent_version_id or release.approved_version_id or (
        release.message.current_version_id if release.message else None)
    version = session.get(MessageVersion, version_id) if version_id else None
    titles = [a.title for a in version.articles] if version is not None else []
    urls = list(release.article_urls or [])
    articles = [{"idx": i + 1, "title": titles[i] if i < len(titles) else f"第 {i + 1} 篇",
                 "url": urls[i] if i < len(urls) else None} for i in range(max(len(titles), len(urls)))]
    timeline = [{"from_name": state_name(t.from_state), "to_name": state_name(t.to_state), "to": t.to_state,
                 "meaning": TRANSITIONS.get(_pair(t.from_state, t.to_state), ""), "step": t.step,
                 "step_name": STEP_NAMES.get(t.step, t.step), "reason": t.reason,
                 "actor": actor_name(t.actor, people), "at": t.at} for t in transitions]
    log = []
    for a, shown in zip(attempts, data["attempts"]):
        info = a.detail or {}
        text = info.get("message") or info.get("error") or info.get("reason") or ""  # Chinese first
        log.append({"step_name": STEP_NAMES.get(a.step, a.step), "outcome": a.outcome,
                    "outcome_name": OUTCOME_NAMES.get(a.outcome, a.outcome), "errcode": a.errcode,
                    "error": text if isinstance(text, str) else str(text), "rid": shown["rid"],
                    "problems": list(info.get("problems") or []), "worker": actor_name(a.worker, people),
                    "tries": info.get("tries"), "started_at": a.started_at, "finished_at": a.finished_at})
    failure = next((entry for entry in reversed(log) if entry["outcome"] == "permanent"), None)
    preflight = [{**p, "name": STEP_NAMES[p["step"]],
                  "at_dt": next(a.started_at for a in reversed(attempts) if a.step == p["step"])}
                 for p in data["preflight"]]
    readback = None if data["readback"] is None else [
        {**c, "field_name": FIELD_NAMES.get(c.get("field"), c.get("field"))} for c in data["readback"]]
    return {"detail": data, "release": release, "account": account.name if account else "",
            "account_type": account.account_type if account else "", "series": series.name if series else "",
            "mode_name": mode_name(release.mode), "articles": articles, "timeline": timeline, "log": log,
            "failure": failure, "rid": failure["rid"] if failure else _last_rid(log),
            "preflight": preflight, "readback": readback, "actions": actions(release, now),
            "live": live(release, now), "status": status(session, release, now=now),
            "message_id": release.message_id, "version": version,
            "time_set_by": actor_name(release.time_set_by, people) if release.time_set_by else None}


def _pair(source: str, target: str):
    try:
        return State(source), State(target)
    except ValueError:
        return None


def _last_rid(log: list[dict]) -> str | None:
    return next((entry["rid"] for entry in reversed(log) if entry["rid"]), None)
