"""Staff accounts with roles, their signed-in sessions and login throttles, the audit log, alerts
(one per root cause) and the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wxpub.models.base import Base, utcnow

# "expert" (评审专家): a member of a 评选 panel, who rates cases and does nothing else.
ROLES = ("editor", "proofreader", "reviewer", "approver", "admin", "expert")


class User(Base):
    """A staff member; the password is stored only as a salted hash."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    wechat_id: Mapped[str] = mapped_column(String(100), default="")  # 微信号, for phone previews


class StaffSession(Base):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is stored here.

    A session ends at ``expires_at`` (login time + ``WXPUB_SESSION_HOURS``, never extended) or when
    ``ended_at`` is set: logout ends that browser's session; a password change or reset, a role change
    and disabling the account end every session of the user.
    """

    __tablename__ = "staff_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    address: Mapped[str] = mapped_column(String(64), default="")
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(50))


class LoginThrottle(Base):
    """Wrong passwords counted per account name (``kind`` user) and per client address (``kind``
    address), shared by every web worker; ``locked_until`` refuses logins until then."""

    __tablename__ = "login_throttles"
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what to which object, when, from where (imports, edits, curation, compose, sign-offs,
    plans, cancels, retries, logins, user changes). Append-only and chained: ``seq`` numbers the rows
    without gaps, ``prev_hash`` is the previous row's ``row_hash`` and ``row_hash`` covers this row's
    fields and ``prev_hash`` (``wxpub.infra.audit_chain``), so an edited or deleted row is found by
    ``wxpub audit verify``. ``seq``/``prev_hash``/``row_hash`` are set when the transaction commits."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int | None] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str] = mapped_column(String(50), default="")
    object_id: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict] = mapped_column(default=dict)
    before_sha256: Mapped[str] = mapped_column(String(64), default="")  # content hash before the action
    after_sha256: Mapped[str] = mapped_column(String(64), default="")   # … and after it
    address: Mapped[str] = mapped_column(String(64), default="")        # the request's client address
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    row_hash: Mapped[str] = mapped_column(String(64), default="")


class AuditHead(Base):
    """The chain's newest link (one row, id 1): appending locks it, so two transactions never chain
    onto the same row, and a deleted last row is found (the head no longer matches)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    row_hash: Mapped[str] = mapped_column(String(64), default="")


class Alert(Base):
    """An alert raised once per root cause (e.g. an expired secret), however many releases it hits.

    Open until resolved (``resolved_at``); a person may acknowledge it first (``acknowledged_at``:
    "I am on it") — an acknowledged alert is still open, so a recurrence of its cause only counts.
    ``acknowledged_by`` / ``resolved_by`` are usernames (or the system account that resolved it).
    """

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    cause: Mapped[str] = mapped_column(String(200), index=True)
    severity: Mapped[str] = mapped_column(String(20), default="error")
    message: Mapped[str] = mapped_column(Text)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(default=1)
    release_ids: Mapped[list] = mapped_column(default=list)
    sent: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    # WeChat's request id of the failed call behind the alert (its support asks for it; kept 7 days).
    rid: Mapped[str | None] = mapped_column(String(64))
    # The official account it concerns (None: the office's wxpub itself, or from before accounts
    # were kept apart); the same cause on two accounts is two alerts.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                                   index=True)


class OutboxMessage(Base):
    """A side effect that leaves the process (a webhook call), written in the transaction that
    decided it and delivered by a periodic job after that transaction committed.

    A rolled-back transaction leaves no row, so nothing is sent; a delivered row is marked and never
    sent again. ``claimed_by``/``claimed_until`` keep two deliverers from sending the same row.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # webhook | robot | phone_preview
    target: Mapped[str] = mapped_column(String(1024))
    payload: Mapped[dict] = mapped_column(default=dict)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_try_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    gave_up_at: Mapped[datetime | None]


class Notice(Base):
    """A message for one member of staff, shown on their pages until read (e.g. "the content you
    approved was changed")."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), ForeignKey("users.username", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(300), default="")
    read_at: Mapped[datetime | None]
