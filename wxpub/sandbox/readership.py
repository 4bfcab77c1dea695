"""Deterministic synthetic readership for the sandbox's statistics (datacube) endpoints.

Pure: no I/O, no clock of its own, no Flask. Given an article (anything with ``msg_data_id``,
``idx``, ``title``, ``published_at``, ``notified``) and the sandbox seed, it produces the figures
WeChat would report for each Asia/Shanghai calendar day from the publish day on.

How the figures are made (details in ``wxpub/sandbox/STATISTICS.md``):

* Every random draw comes from ``random.Random`` seeded with a SHA-256 of (seed, msg_data_id,
  idx, purpose[, day]) — never Python's salted ``hash()`` — so the same seed gives the same
  numbers in every process, and one day's figures do not depend on how many days are asked for.
* Reading intensity is a sum of two exponentials in hours since publish (a fast peak and a slow
  tail); a day's expected readers is the integral of that curve over the day, so an article sent
  at 21:00 peaks on day 1, one sent at 08:00 on day 0. Nothing is read after ``HORIZON_DAYS``.
* Mass-sent (notified) articles are read mostly through 公众号消息; freepublish ones through
  聊天会话 / 朋友圈 / 搜一搜. The source mix drifts from an "early" to a "late" mix over days.
* Only the per-source and per-scene figures are drawn; every total is their sum. That keeps
  全部 == sum of sources and cumulative == sum of daily true by construction,
  also after provisional scaling (``DayFigures.scaled``).

Availability (``day_fraction``): a day exists once it is over; yesterday's figures appear at
08:00 Beijing time at 90 % of their final value, grow linearly, and are final from 10:00.
"""
from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Iterable, Protocol
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

ALL_SOURCES = "全部"
# Order is the order of DayFigures.read_users and of every read_user_source list.
SOURCES = ("公众号消息", "聊天会话", "朋友圈", "公众号主页", "推荐", "搜一搜", "其他")
# Share scenes (getarticleshare's sources): 1 friend forward (聊天会话), 2 Moments, 255 other.
SHARE_SCENES = (1, 2, 255)

HORIZON_DAYS = 60          # day offsets 0..HORIZON_DAYS-1 carry reads; later days are all zero
PROVISIONAL_FROM = 8 * 60  # minutes after Beijing midnight when yesterday first appears
FINAL_FROM = 10 * 60       # minutes after Beijing midnight when yesterday becomes final
PROVISIONAL_START = 0.9    # share of the final value shown at PROVISIONAL_FROM

# Source mixes (weights per SOURCES) at day 0 ("early") and for old articles ("late").
_MIX = {
    True: ((0.70, 0.12, 0.08, 0.04, 0.02, 0.02, 0.02),
           (0.15, 0.30, 0.20, 0.08, 0.07, 0.15, 0.05)),
    False: ((0.00, 0.42, 0.30, 0.03, 0.07, 0.13, 0.05),
            (0.00, 0.25, 0.15, 0.03, 0.10, 0.40, 0.07)),
}
_SHARE_MIX = (0.6, 0.3, 0.1)


class ArticleLike(Protocol):
    """What readership needs to know about a published article (PublishedArticle fits)."""

    msg_data_id: str
    idx: int
    title: str
    published_at: datetime
    notified: bool


def _rng(*parts: object) -> random.Random:
    """A Random seeded from a stable digest of ``parts`` (same in every process)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class DayFigures:
    """One day's figures of one article (or a sum of several days or articles).

    Only the drawn components are stored; totals are properties, so they always add up.
    """

    day: date
    read_users: tuple[int, ...]   # per SOURCES
    share_users: tuple[int, ...]  # per SHARE_SCENES
    fav_users: int = 0            # collection (收藏)
    zaikan_users: int = 0         # 在看 / 爱心赞
    like_users: int = 0           # 拇指赞
    comment_count: int = 0
    subscribe_users: int = 0      # readers who follow the account
    finish_rate: float = 0.0      # share of readers who read to the end
    avg_activetime: float = 0.0   # seconds per reader

    @property
    def read_user(self) -> int:
        """全部 readers: the sum over sources."""
        return sum(self.read_users)

    @property
    def share_user(self) -> int:
        """Sharers: the sum over share scenes."""
        return sum(self.share_users)

    def source_users(self) -> dict[str, int]:
        """Readers per source name, 全部 first."""
        return {ALL_SOURCES: self.read_user, **dict(zip(SOURCES, self.read_users))}

    def scaled(self, fraction: float) -> "DayFigures":
        """The figures as counted so far when only ``fraction`` of them has been processed.

        Every component is floored, so the invariants (sums) still hold and the
        result grows monotonically with ``fraction`` up to the final figures at 1.0.
        """
        if fraction >= 1.0:
            return self

        def cut(value: int) -> int:
            return math.floor(value * fraction)

        return replace(
            self,
            read_users=tuple(cut(v) for v in self.read_users),
            share_users=tuple(cut(v) for v in self.share_users),
            fav_users=cut(self.fav_users),
            zaikan_users=cut(self.zaikan_users), like_users=cut(self.like_users),
            comment_count=cut(self.comment_count), subscribe_users=cut(self.subscribe_users),
        )


def combine(figures: Iterable[DayFigures], day: date) -> DayFigures:
    """Sum figures (several days of one article, or several articles on one day) into one.

    Rates are averaged weighted by readers, as a per-reader rate over the union would be.
    """
    items = list(figures)
    n_src, n_scene = len(SOURCES), len(SHARE_SCENES)

    def total(attr: str) -> int:
        return sum(getattr(f, attr) for f in items)

    def vector(attr: str, size: int) -> tuple[int, ...]:
        return tuple(sum(getattr(f, attr)[i] for f in items) for i in range(size))

    readers = sum(f.read_user for f in items)

    def weighted(attr: str) -> float:
        if not readers:
            return 0.0
        return round(sum(getattr(f, attr) * f.read_user for f in items) / readers, 4)

    return DayFigures(
        day=day,
        read_users=vector("read_users", n_src), share_users=vector("share_users", n_scene),
        fav_users=total("fav_users"),
        zaikan_users=total("zaikan_users"), like_users=total("like_users"),
        comment_count=total("comment_count"), subscribe_users=total("subscribe_users"),
        finish_rate=weighted("finish_rate"), avg_activetime=weighted("avg_activetime"),
    )


def followers(seed: int) -> int:
    """The sandbox account's follower count (depends on the seed only)."""
    return 20000 + _rng(seed, "followers").randrange(40000)


def publish_day(article: ArticleLike) -> date:
    """The Asia/Shanghai calendar day the article was published on."""
    return article.published_at.astimezone(BEIJING).date()


def target_user(article: ArticleLike, seed: int) -> int:
    """Delivered count: followers reached by a mass send, 0 for freepublish (nobody notified)."""
    if not article.notified:
        return 0
    rng = _rng(seed, article.msg_data_id, article.idx, "delivery")
    fans = followers(seed)
    return fans - math.floor(fans * rng.uniform(0.005, 0.02))


@dataclass(frozen=True)
class _Profile:
    """Per-article parameters, drawn once from the article's own random stream."""

    lifetime_readers: float
    tau_fast: float      # hours
    tau_slow: float      # hours
    tail_share: float
    early_mix: tuple[float, ...]
    late_mix: tuple[float, ...]
    share_rate: float
    share_mix: tuple[float, ...]
    fav_rate: float
    zaikan_rate: float
    like_rate: float
    comment_rate: float
    subscribe_rate: float
    finish_rate: float
    activetime: float


def _jitter(rng: random.Random, weights: tuple[float, ...]) -> tuple[float, ...]:
    raw = [w * rng.uniform(0.7, 1.3) for w in weights]
    norm = sum(raw)
    return tuple(w / norm for w in raw)


def _profile(article: ArticleLike, seed: int) -> _Profile:
    rng = _rng(seed, article.msg_data_id, article.idx, "profile")
    notified = bool(article.notified)
    position = 1.0 if article.idx <= 1 else rng.uniform(0.15, 0.4)
    virality = min(4.0, rng.lognormvariate(0.0, 0.5))
    if notified:
        base = followers(seed) * rng.uniform(0.025, 0.07)
        tau_fast = rng.uniform(8.0, 24.0)
    else:
        base = rng.uniform(150.0, 1500.0)
        tau_fast = rng.uniform(20.0, 48.0)
    early, late = _MIX[notified]
    return _Profile(
        lifetime_readers=base * position * virality,
        tau_fast=tau_fast, tau_slow=rng.uniform(120.0, 360.0), tail_share=rng.uniform(0.08, 0.2),
        early_mix=_jitter(rng, early), late_mix=_jitter(rng, late),
        share_rate=rng.uniform(0.01, 0.03) if notified else rng.uniform(0.02, 0.05),
        share_mix=_jitter(rng, _SHARE_MIX),
        fav_rate=rng.uniform(0.003, 0.01),
        zaikan_rate=rng.uniform(0.005, 0.02), like_rate=rng.uniform(0.01, 0.03),
        comment_rate=rng.uniform(0.0, 0.004),
        subscribe_rate=rng.uniform(0.75, 0.92) if notified else rng.uniform(0.3, 0.55),
        finish_rate=rng.uniform(0.35, 0.65), activetime=rng.uniform(45.0, 150.0),
    )


def _expected_readers(profile: _Profile, start_h: float, end_h: float) -> float:
    """Integral of the reading intensity between two instants (hours since publish)."""
    if end_h <= 0:
        return 0.0
    start_h = max(0.0, start_h)
    fast = (1 - profile.tail_share) * (
        math.exp(-start_h / profile.tau_fast) - math.exp(-end_h / profile.tau_fast))
    slow = profile.tail_share * (
        math.exp(-start_h / profile.tau_slow) - math.exp(-end_h / profile.tau_slow))
    return profile.lifetime_readers * (fast + slow)


def apportion(total: int, weights: Iterable[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights``; the parts are >= 0 and sum to ``total``.

    Each part is the difference of rounded cumulative shares, which cannot drift by float
    error. All-zero weights put everything in the first part.
    """
    weights = [max(0.0, float(w)) for w in weights]
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum <= 0:
        return [total] + [0] * (len(weights) - 1)
    parts, running, previous = [], 0.0, 0
    for w in weights:
        running += w
        boundary = round(total * min(1.0, running / weight_sum))
        parts.append(boundary - previous)
        previous = boundary
    parts[-1] += total - previous
    return parts


def _draw(rng: random.Random, expected: float, spread: float = 0.15) -> int:
    """An integer near ``expected`` with multiplicative noise (never negative)."""
    return max(0, round(expected * rng.uniform(1 - spread, 1 + spread)))


def figures_for_day(article: ArticleLike, seed: int, day: date) -> DayFigures:
    """Final figures of ``article`` for one Beijing calendar day (zeros outside its life)."""
    first = publish_day(article)
    offset = (day - first).days
    zeros = (0,) * len(SOURCES)
    if offset < 0 or offset >= HORIZON_DAYS:
        return DayFigures(day=day, read_users=zeros, share_users=(0,) * len(SHARE_SCENES))
    profile = _profile(article, seed)
    rng = _rng(seed, article.msg_data_id, article.idx, "day", offset)
    day_start = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    start_h = (day_start - article.published_at).total_seconds() / 3600
    expected = _expected_readers(profile, start_h, start_h + 24)

    drift = math.exp(-offset / 2.0)  # how much of the early mix remains
    mix = [(e * drift + l * (1 - drift)) * rng.uniform(0.85, 1.15)
           for e, l in zip(profile.early_mix, profile.late_mix)]
    # Draw the day's total first and split it, so a quiet tail day still shows a few readers.
    users = tuple(apportion(_draw(rng, expected), mix))
    readers = sum(users)

    share_expected = readers * profile.share_rate
    share_users = tuple(_draw(rng, share_expected * w, 0.3) for w in profile.share_mix)
    return DayFigures(
        day=day, read_users=users, share_users=share_users,
        fav_users=_draw(rng, readers * profile.fav_rate, 0.3),
        zaikan_users=_draw(rng, readers * profile.zaikan_rate, 0.3),
        like_users=_draw(rng, readers * profile.like_rate, 0.3),
        comment_count=_draw(rng, readers * profile.comment_rate, 0.5),
        subscribe_users=min(readers, _draw(rng, readers * profile.subscribe_rate, 0.05)),
        finish_rate=round(min(0.95, max(0.05, profile.finish_rate + rng.uniform(-0.03, 0.03))), 4),
        avg_activetime=round(profile.activetime * rng.uniform(0.9, 1.1), 1),
    )


def day_fraction(day: date, now: datetime) -> float | None:
    """How much of ``day``'s figures exist at sandbox time ``now`` (aware).

    None: not available yet (today or later, or yesterday before 08:00 Beijing time).
    Between 0.9 and 1.0 (exclusive): yesterday between 08:00 and 10:00, growing each minute.
    1.0: final.
    """
    local_now = now.astimezone(BEIJING)
    yesterday = local_now.date() - timedelta(days=1)
    if day < yesterday:
        return 1.0
    if day > yesterday:
        return None
    minutes = local_now.hour * 60 + local_now.minute
    if minutes < PROVISIONAL_FROM:
        return None
    if minutes >= FINAL_FROM:
        return 1.0
    progress = (minutes - PROVISIONAL_FROM) / (FINAL_FROM - PROVISIONAL_FROM)
    return PROVISIONAL_START + (1 - PROVISIONAL_START) * progress


def last_available_day(now: datetime) -> date:
    """The latest day with figures at ``now`` (yesterday from 08:00, else the day before)."""
    yesterday = now.astimezone(BEIJING).date() - timedelta(days=1)
    return yesterday if day_fraction(yesterday, now) is not None else yesterday - timedelta(days=1)


def visible_figures(article: ArticleLike, seed: int, day: date, now: datetime) -> DayFigures | None:
    """``article``'s figures for ``day`` as the platform shows them at ``now``.

    None if the day's figures do not exist yet; provisional (scaled down) while is_delay holds.
    """
    fraction = day_fraction(day, now)
    if fraction is None:
        return None
    return figures_for_day(article, seed, day).scaled(fraction)


def daily_series(article: ArticleLike, seed: int, now: datetime, days: int | None = None) -> list[DayFigures]:
    """Visible daily figures from the publish day on: at most ``days`` days, none in the future."""
    first = publish_day(article)
    last = last_available_day(now)
    if days is not None:
        last = min(last, first + timedelta(days=days - 1))
    series = []
    day = first
    while day <= last:
        figures = visible_figures(article, seed, day, now)
        if figures is not None:
            series.append(figures)
        day += timedelta(days=1)
    return series
