"""The audit trail as a hash chain: every ``AuditEntry`` is numbered and linked to the one before
when its transaction commits, so that an edited, inserted or deleted row is found by ``verify``.

How a row is sealed: ``Database`` registers ``track`` (before each flush) and ``seal`` (before each
commit) on its sessions. ``track`` notes new audit rows (and fills in the request's client address,
set by the web layer in ``current_address``); ``seal`` locks the chain's head row (``audit_head``,
``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time anyway), gives each new row
the next ``seq``, ``prev_hash`` = the head's hash and ``row_hash`` = ``row_digest(row)``, and moves
the head. Two transactions therefore never chain onto the same row, and a transaction that rolls
back leaves no link behind.

The digest's input (``row_fields``) is a contract: changing it would make every stored chain fail
verification. Limits: someone who can rewrite the whole table and the head after a row can rebuild
the chain from that row on; the head's hash printed on each 审核表 (an outside copy) catches that.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from wxpub.models import AuditEntry, AuditHead

# The client address of the web request being served (empty for commands and the scheduler).
current_address: ContextVar[str] = ContextVar("wxpub_audit_address", default="")

_PENDING = "wxpub_audit_pending"


def _when(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(detail) -> object:
    """The detail as the database gives it back (JSON: string keys, no tuples)."""
    return json.loads(json.dumps(detail if detail is not None else {}, ensure_ascii=False, default=str))


def row_fields(row: AuditEntry) -> list:
    """What a row's hash covers, in order (see the module's note: a contract)."""
    return [row.seq, _when(row.at), row.actor or "", row.action or "", row.object_type or "",
            row.object_id or "", _plain(row.detail), row.before_sha256 or "", row.after_sha256 or "",
            row.address or "", row.prev_hash or ""]


def row_digest(row: AuditEntry) -> str:
    """SHA-256 of the row's fields in canonical JSON."""
    text = json.dumps(row_fields(row), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def track(session: Session, _context, _instances) -> None:
    """Before a flush: note the new audit rows of this transaction and give them the address."""
    new = [obj for obj in session.new if isinstance(obj, AuditEntry)]
    if not new:
        return
    address = current_address.get()
    for row in new:
        if not row.address and address:
            row.address = address[:64]
        if row.before_sha256 is None:
            row.before_sha256 = ""
        if row.after_sha256 is None:
            row.after_sha256 = ""
    session.info.setdefault(_PENDING, []).extend(new)


def seal(session: Session) -> None:
    """Before a commit: chain this transaction's new audit rows onto the head."""
    if session.new:
        session.flush()
    pending = [row for row in session.info.pop(_PENDING, []) if row.seq is None and row.id is not None]
    if not pending:
        return
    head = session.scalar(select(AuditHead).where(AuditHead.id == 1).with_for_update())
    if head is None:
        head = AuditHead(id=1, seq=0, row_hash="")
        session.add(head)
    for row in sorted(pending, key=lambda r: r.id):
        row.seq = head.seq + 1
        row.prev_hash = head.row_hash
        row.detail = _plain(row.detail)
        row.row_hash = row_digest(row)
        head.seq, head.row_hash = row.seq, row.row_hash
    session.flush()


def forget(session: Session, *_args) -> None:
    """After a rollback: the noted rows are gone."""
    session.info.pop(_PENDING, None)


def install(factory) -> None:
    """Seal the audit rows of every session ``factory`` makes."""
    event.listen(factory, "before_flush", track)
    event.listen(factory, "before_commit", seal)
    event.listen(factory, "after_soft_rollback", forget)


@dataclass
class Verdict:
    """What ``verify`` found: how many rows it checked and each problem (in Chinese)."""

    rows: int = 0
    head_seq: int = 0
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, *, batch: int = 2000) -> Verdict:
    """Walk the chain from its first row: every ``seq`` present once and in order, every link equal
    to the previous row's hash, every hash equal to the row's fields, and the head on the last row."""
    verdict = Verdict()
    unsealed = session.scalars(select(AuditEntry.id).where(AuditEntry.seq.is_(None))
                               .order_by(AuditEntry.id).limit(20)).all()
    for row_id in unsealed:
        verdict.problems.append(f"记录（id {row_id}）没有链序号：不是通过系统写入的，或已被改动")
    expected_seq, prev = 1, ""
    last_seq = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.seq >= expected_seq)
                               .order_by(AuditEntry.seq).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                verdict.problems.append(
                    f"第 {expected_seq}–{row.seq - 1} 条记录缺失（已被删除）" if row.seq > expected_seq + 1
                    else f"第 {expected_seq} 条记录缺失（已被删除）")
            if (row.prev_hash or "") != prev:
                verdict.problems.append(f"第 {row.seq} 条记录（id {row.id}）与上一条的链接不符：前面的记录被删除、插入或改动过")
            if row_digest(row) != row.row_hash:
                verdict.problems.append(f"第 {row.seq} 条记录（id {row.id}，{_when(row.at)[:19]}，{row.actor}，"
                                        f"{row.action}）的内容与其哈希不符：记录被改动过")
            prev, expected_seq, last_seq = row.row_hash, row.seq + 1, row.seq
            verdict.rows += 1
        session.expunge_all()
    head = session.get(AuditHead, 1)
    verdict.head_seq, verdict.head_hash = (head.seq, head.row_hash) if head else (0, "")
    if (head.seq if head else 0) != last_seq or (head.row_hash if head else "") != prev:
        verdict.problems.append(f"链头记为第 {verdict.head_seq} 条，而最后一条是第 {last_seq} 条：末尾的记录被删除或改动过")
    return verdict
