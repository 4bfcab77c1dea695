"""What the 评选 modules share: the audit row, the round lookup, the criteria of a round."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from wxpub.core import rating as math
from wxpub.core.errors import Conflict, NotFound
from wxpub.infra.clock import as_utc
from wxpub.models import AuditEntry
from wxpub.models.rating import RatingRound

OBJECT_TYPE = "rating_round"


def audit(session: Session, round_id: int, action: str, *, actor: str, now: datetime,
          detail: dict | None = None, after: str = "") -> None:
    """One audit row on the round (``rating.*`` actions)."""
    session.add(AuditEntry(at=now, actor=(actor or "")[:100], action=action, object_type=OBJECT_TYPE,
                           object_id=str(round_id), detail=detail or {}, after_sha256=after or ""))


def get(session: Session, round_id: int) -> RatingRound:
    """The round, or ``NotFound``."""
    row = session.get(RatingRound, round_id) if isinstance(round_id, int) else None
    if row is None:
        raise NotFound(f"评选 {round_id} 不存在")
    return row


def criteria(rnd: RatingRound) -> tuple[math.Criterion, ...]:
    """The round's criteria as ``wxpub.core.rating`` takes them."""
    return math.criteria_from(rnd.criteria)


def require_open(rnd: RatingRound, now: datetime, *, what: str = "评分") -> None:
    """A closed round, or one past its deadline, takes no more scores."""
    if rnd.state != "open":
        raise Conflict(f"评选“{rnd.name}”已结束，不能再{what}")
    if as_utc(now) >= as_utc(rnd.deadline):
        raise Conflict(f"评选“{rnd.name}”已过截止时间，不能再{what}")


def set_state(row, value: str) -> None:
    """Set a rating round's or sheet's own ``state`` (open/closed, draft/submitted/superseded).

    These are not release states: tests/test_architecture.py allows ``x.state = …`` only in
    ``wxpub.releases.transitions`` (a release's) and here (a rating row's, refused for any other
    row), so the rating modules write their states here and nowhere else."""
    allowed = {"RatingRound": ("open", "closed"), "RatingSheet": ("draft", "submitted", "superseded")}
    if value not in allowed.get(type(row).__name__, ()):
        raise ValueError(f"not a {type(row).__name__} state: {value!r}")
    row.state = value
