"""The two ends of a statistics pull around its WeChat calls: what is known before, what was learnt.

``Known.read(session, window)`` reads the call log once, in a short read-only session, so the
pull can plan which (endpoint, day) to ask with no session open. ``Batch`` holds everything the
calls brought back — parsed rows in the order they came, and one log entry per call (failed
ones included) — until ``Batch.store(session, appid)`` writes it all in the caller's single
transaction. Nothing here commits; the pull does, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from sqlalchemy.orm import Session

from wxpub.stats import store
from wxpub.stats.dates import MAX_SPAN


@dataclass(frozen=True)
class Known:
    """What the call log said before the pull, per endpoint.

    ``final``: days of the window with a final (not delayed) answer; ``listed``: those whose final
    answer listed something; ``pending``: days (of any date) whose last answer was provisional
    and never became final.
    """

    final: dict[str, frozenset[date]]
    listed: dict[str, frozenset[date]]
    pending: dict[str, frozenset[date]]

    @classmethod
    def read(cls, session: Session, window: list[date], account_id: int | None = None) -> "Known":
        """Read the call log of ``account_id`` for every datacube endpoint (only SELECTs)."""
        first, last = window[0], window[-1]
        final, listed, pending = {}, {}, {}
        for endpoint in MAX_SPAN:
            final[endpoint] = frozenset(store.final_days(session, endpoint, first, last,
                                                         account_id=account_id))
            listed[endpoint] = frozenset(store.final_days(session, endpoint, first, last, with_rows=True,
                                                          account_id=account_id))
            pending[endpoint] = frozenset(store.delayed_days(session, endpoint, account_id))
        return cls(final, listed, pending)

    def todo(self, endpoint: str, window: list[date], always_from: date | None = None) -> list[date]:
        """Days of ``window`` not final yet for ``endpoint`` (+ earlier provisional ones); from
        ``always_from`` on, also final days that listed articles (their totals keep growing)."""
        if not window:
            return []
        days = {d for d in window if d not in self.final[endpoint]}
        if always_from is not None:
            days |= {d for d in self.listed[endpoint] if d >= always_from}
        days |= {d for d in self.pending[endpoint] if d <= window[-1]}
        return sorted(days)


@dataclass(frozen=True)
class Call:
    """One datacube call as it goes into the ``StatPull`` log."""

    endpoint: str
    begin: date
    end: date
    at: datetime
    rows: int = 0
    is_delay: bool = False
    errcode: int | None = None
    rid: str | None = None


@dataclass
class Batch:
    """Answers of one pull, parsed and in order, not stored yet."""

    calls: list[Call] = field(default_factory=list)
    writes: list[tuple[str, dict]] = field(default_factory=list)

    # ----- collecting (fetch phase, no database) -----
    def call(self, endpoint: str, begin: date, end: date, *, at: datetime, rows: int = 0,
             is_delay: bool = False, errcode: int | None = None, rid: str | None = None) -> None:
        """Log one call (answered or failed, with WeChat's rid)."""
        self.calls.append(Call(endpoint, begin, end, at, rows, is_delay, errcode, rid))

    def articles(self, rows: list[dict], now: datetime) -> None:
        """Articles with their latest cumulative figures."""
        self.writes.append(("articles", {"rows": rows, "now": now}))

    def daily_engagement(self, rows: list[dict], delayed: bool, now: datetime) -> None:
        """Per-day favourites and 在看."""
        self.writes.append(("engagement", {"rows": rows, "delayed": delayed, "now": now}))

    def daily_reads(self, rows: list[dict], delayed: bool, now: datetime) -> None:
        """Per-day reads and shares (their articles are created bare when unknown)."""
        self.writes.append(("reads", {"rows": rows, "delayed": delayed, "now": now}))

    def biz(self, rows: list[dict], delayed: bool, now: datetime) -> None:
        """Days of the account overview."""
        self.writes.append(("biz", {"rows": rows, "delayed": delayed, "now": now}))

    # ----- storing (store phase, the caller's one transaction) -----
    def store(self, session: Session, account: int) -> int:
        """Write every answer of account ``account`` (its id), the call log and the msgid →
        release mapping; flushes, never commits. Returns how many statistics rows were newly
        linked to releases."""
        for kind, args in self.writes:
            if kind == "articles":
                store.save_articles(session, args["rows"], args["now"], account)
            elif kind == "engagement":
                store.save_daily_engagement(session, args["rows"], args["delayed"], args["now"])
            elif kind == "reads":
                store.ensure_articles(session, [r["msgid"] for r in args["rows"]], account)
                store.save_daily_reads(session, **args)
            elif kind == "biz":
                store.save_biz(session, account, args["rows"], args["delayed"], args["now"])
            else:  # pragma: no cover - every kind is written above
                raise AssertionError(kind)
        for c in self.calls:
            store.log_pull(session, c.endpoint, c.begin, c.end, rows=c.rows, is_delay=c.is_delay,
                           errcode=c.errcode, rid=c.rid, now=c.at, account_id=account)
        session.flush()
        return store.map_releases(session)
