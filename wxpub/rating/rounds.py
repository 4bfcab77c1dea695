"""Setting up a 评选: the round (cases as published, criteria, deadline), its panel — 评审专家
users and outside experts with one-time invitation links (only the link's SHA-256 is kept) — and
closing it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core import rating as math
from wxpub.core.errors import Conflict, NotFound, ValidationError
from wxpub.infra.clock import as_utc
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import Article, Case, Chapter, Release, Series, User
from wxpub.models.rating import RatingCase, RatingExpert, RatingRound
from wxpub.rating.common import audit, get, require_open, set_state

__all__ = ["create_round", "add_expert", "invite_expert", "expert_by_invite", "expert_of_user",
           "close_round", "listing", "get", "published_cases", "token_hash", "parse_deadline",
           "cases_of", "experts_of"]

TOKEN_PREFIX = "wxr_"
MAX_INVITE_DAYS = 90


def parse_deadline(text, *, tz, field: str = "deadline") -> datetime:
    """A deadline given by staff: ISO 8601 with its offset, or Beijing ``YYYY-MM-DD HH:MM``."""
    from wxpub.releases.actions import parse_at
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"{field}（截止时间）：请填写截止时间，如“2026-03-05 18:00”")
    return parse_at(text, field=f"{field}（截止时间）", tz=tz)


def token_hash(token_text: str) -> str:
    """The SHA-256 (hex) under which an invitation link is kept."""
    return hashlib.sha256(token_text.encode("utf-8")).hexdigest()


def published_cases(session: Session, series_id: int) -> dict[int, tuple[int, int]]:
    """``{case id: (article id, release id)}`` for the series' cases that went out: a case id in
    ``Article.case_ids`` of the sent version of a published release (the latest one wins)."""
    rows = session.execute(
        select(Article, Release).join(Release, Release.sent_version_id == Article.message_version_id)
        .where(Release.series_id == series_id, Release.state == "published")
        .order_by(Release.scheduled_at, Release.id, Article.idx)).all()
    found: dict[int, tuple[int, int]] = {}
    for article, release in rows:
        for case_id in article.case_ids or ():
            found[int(case_id)] = (article.id, release.id)
    return found


def _criteria(items) -> list[dict]:
    try:
        chosen = math.criteria_from(items if items is not None else math.DEFAULT_CRITERIA)
    except math.RatingError as error:
        raise ValidationError(f"criteria（评分标准）：{error}") from None
    return [c.as_dict() for c in chosen]


def _series(session: Session, name: str) -> Series:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise ValidationError("series（系列）：请填写系列名称")
    row = session.scalar(select(Series).where(Series.name == name))
    if row is None:
        raise NotFound(f"series（系列）：没有名为“{name}”的系列")
    return row


def _cases(session: Session, series: Series, case_ids) -> list[tuple[Case, tuple | None]]:
    """The cases of the round in publication order (chosen ones: in the order given)."""
    published = published_cases(session, series.id)
    in_series = {c.id: c for c in session.scalars(
        select(Case).join(Chapter, Chapter.id == Case.chapter_id).where(Chapter.series_id == series.id))}
    if case_ids is None:
        if not published:
            raise ValidationError(f"case_ids（案例）：系列“{series.name}”还没有已发布的案例，请指定参评案例")
        return [(in_series[i], published[i]) for i in published if i in in_series]
    if not isinstance(case_ids, (list, tuple)) or not case_ids:
        raise ValidationError("case_ids（案例）：请至少选择一个案例")
    out, seen = [], set()
    for value in case_ids:
        if isinstance(value, bool) or not isinstance(value, int) or value not in in_series:
            raise ValidationError(f"case_ids（案例）：案例 {value!r} 不在系列“{series.name}”中")
        if value in seen:
            raise ValidationError(f"case_ids（案例）：案例 {value} 重复")
        seen.add(value)
        out.append((in_series[value], published.get(value)))
    return out


def create_round(session: Session, *, series: str, name: str, deadline: datetime,
                 criteria: list[dict] | None = None, show_others: bool = False,
                 case_ids: list[int] | None = None, actor: str, now: datetime) -> RatingRound:
    """A new open round over the series' published cases (or the ones chosen)."""
    row_series = _series(session, series)
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise ValidationError("name（评选名称）：应为 1–200 个字")
    if not isinstance(deadline, datetime) or deadline.tzinfo is None:
        raise ValidationError("deadline（截止时间）：请给出带时区的时间")
    if as_utc(deadline) <= as_utc(now):
        raise ValidationError("deadline（截止时间）：应晚于现在")
    chosen = _criteria(criteria)
    cases = _cases(session, row_series, case_ids)

    def work():
        rnd = RatingRound(series_id=row_series.id, name=name, criteria=chosen, deadline=as_utc(deadline),
                          show_others=bool(show_others), created_by=actor[:100],
                          created_at=now, signoff={})
        session.add(rnd)
        session.flush()
        for position, (case, went_out) in enumerate(cases, start=1):
            session.add(RatingCase(round_id=rnd.id, case_id=case.id, position=position,
                                   title=case.title[:300], unit=(case.unit or "")[:200],
                                   article_id=went_out[0] if went_out else None,
                                   release_id=went_out[1] if went_out else None))
        audit(session, rnd.id, "rating.create", actor=actor, now=now,
              detail={"name": name, "series": row_series.name, "cases": [c.id for c, _ in cases],
                      "criteria": chosen, "show_others": bool(show_others),
                      "deadline": as_utc(deadline).isoformat()})
        return rnd

    return commit_or_roll_back(session, work)


def _expert_row(rnd: RatingRound, *, name: str, unit: str, actor: str, now: datetime, **extra) -> RatingExpert:
    return RatingExpert(round_id=rnd.id, name=name, unit=unit, created_by=actor[:100], created_at=now, **extra)


def _unit(unit) -> str:
    unit = (unit or "").strip() if isinstance(unit, str) else ""
    if len(unit) > 200:
        raise ValidationError("unit（单位）：不能超过 200 个字")
    return unit


def add_expert(session: Session, round_id: int, *, username: str, unit: str = "", actor: str,
               now: datetime) -> RatingExpert:
    """Put a staff user with the 评审专家 role on the panel."""
    rnd = get(session, round_id)
    require_open(rnd, now, what="增加专家")
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise NotFound(f"username（账号）：没有账号“{username}”")
    if user.role != "expert":
        raise ValidationError(f"username（账号）：“{user.username}”不是评审专家账号，请先把角色设为评审专家")
    if not user.active:
        raise ValidationError(f"username（账号）：账号“{user.username}”已停用")
    if session.scalar(select(RatingExpert.id).where(RatingExpert.round_id == rnd.id,
                                                    RatingExpert.user_id == user.id)) is not None:
        raise Conflict(f"“{user.username}”已在本次评选的专家名单中")
    unit = _unit(unit)
    display = (user.display_name or user.username)[:80]

    def work():
        expert = _expert_row(rnd, name=display, unit=unit, actor=actor, now=now, user_id=user.id)
        session.add(expert)
        session.flush()
        audit(session, rnd.id, "rating.expert_add", actor=actor, now=now,
              detail={"expert_id": expert.id, "username": user.username, "name": display, "unit": unit})
        return expert

    return commit_or_roll_back(session, work)


def invite_expert(session: Session, round_id: int, *, name: str, unit: str = "", days: int = 14,
                  actor: str, now: datetime) -> tuple[RatingExpert, str]:
    """An outside expert reached by a link: returns the expert and the link's token (shown once;
    only its SHA-256 is stored). The link expires after ``days`` days or when the round closes."""
    rnd = get(session, round_id)
    require_open(rnd, now, what="邀请专家")
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 80:
        raise ValidationError("name（专家姓名）：应为 1–80 个字")
    unit = _unit(unit)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_INVITE_DAYS:
        raise ValidationError(f"days（有效天数）：应为 1 到 {MAX_INVITE_DAYS} 之间的整数")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = as_utc(now) + timedelta(days=days)

    def work():
        expert = _expert_row(rnd, name=name, unit=unit, actor=actor, now=now, invite_hash=token_hash(token),
                             invite_prefix=token[:12], invite_expires_at=expires)
        session.add(expert)
        session.flush()
        audit(session, rnd.id, "rating.invite", actor=actor, now=now,
              detail={"expert_id": expert.id, "name": name, "unit": unit, "prefix": token[:12],
                      "expires_at": expires.isoformat()})
        return expert

    return commit_or_roll_back(session, work), token


def expert_by_invite(session: Session, token_text: str, now: datetime) -> RatingExpert | None:
    """The invited expert whose link this is; None when unknown, expired or the round is closed."""
    if not isinstance(token_text, str) or not token_text.startswith(TOKEN_PREFIX) or len(token_text) > 200:
        return None
    expert = session.scalar(select(RatingExpert).where(RatingExpert.invite_hash == token_hash(token_text)))
    if expert is None or expert.invite_expires_at is None or as_utc(expert.invite_expires_at) <= as_utc(now):
        return None
    rnd = session.get(RatingRound, expert.round_id)
    if rnd is None or rnd.state != "open":
        return None
    return expert


def expert_of_user(session: Session, round_id: int, username: str) -> RatingExpert:
    """The panel member who is this staff user (``NotFound`` when not on the panel)."""
    rnd = get(session, round_id)
    expert = session.scalar(select(RatingExpert).join(User, User.id == RatingExpert.user_id)
                            .where(RatingExpert.round_id == rnd.id, User.username == username))
    if expert is None:
        raise NotFound(f"你不在评选“{rnd.name}”的专家名单中")
    return expert


def close_round(session: Session, round_id: int, *, actor: str, now: datetime) -> RatingRound:
    """Close the round: no more scores; experts may now see the results; invitation links stop."""
    rnd = get(session, round_id)
    if rnd.state == "closed":
        raise Conflict(f"评选“{rnd.name}”已经结束")

    def work():
        set_state(rnd, "closed")
        rnd.closed_at, rnd.closed_by = now, actor[:100]
        audit(session, rnd.id, "rating.close", actor=actor, now=now, detail={"name": rnd.name})
        return rnd

    return commit_or_roll_back(session, work)


def listing(session: Session) -> list[RatingRound]:
    """Every round, the newest first."""
    return list(session.scalars(select(RatingRound).order_by(RatingRound.created_at.desc(),
                                                             RatingRound.id.desc())))


def cases_of(session: Session, round_id: int) -> list[RatingCase]:
    """The round's cases in their order."""
    return list(session.scalars(select(RatingCase).where(RatingCase.round_id == round_id)
                                .order_by(RatingCase.position)))


def experts_of(session: Session, round_id: int) -> list[RatingExpert]:
    """The round's panel in the order they joined."""
    return list(session.scalars(select(RatingExpert).where(RatingExpert.round_id == round_id)
                                .order_by(RatingExpert.id)))
