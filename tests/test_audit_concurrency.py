"""Writers committing audit rows at the same time still make one unbroken chain: sealing locks the
chain's head (PostgreSQL: SELECT … FOR UPDATE; SQLite: its one writer), so no two rows link to the
same predecessor and no number is used twice."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from sqlalchemy import func, select

from wxpub.infra import audit_chain
from wxpub.models import AuditEntry


def test_parallel_writers_keep_one_chain(runtime):
    errors = []

    def writer(k):
        try:
            for n in range(20):
                with runtime.db.session() as session:
                    session.add(AuditEntry(at=datetime.now(timezone.utc), actor=f"writer-{k}",
                                           action="case.edit", object_type="case", object_id=str(n)))
                    session.commit()
        except Exception as error:  # a failed commit would be a lost action
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with runtime.db.session() as session:
        verdict = audit_chain.verify(session)
        assert verdict.ok, verdict.problems
        written = session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.actor.like("writer-%")))
        assert written == 60
        assert session.scalar(select(func.count(func.distinct(AuditEntry.prev_hash)))) == verdict.rows


def test_a_rolled_back_transaction_leaves_no_link(runtime):
    with runtime.db.session() as session:
        session.add(AuditEntry(at=datetime.now(timezone.utc), actor="a", action="x"))
        session.flush()
        session.rollback()
        session.add(AuditEntry(at=datetime.now(timezone.utc), actor="b", action="y"))
        session.commit()
        verdict = audit_chain.verify(session)
        assert verdict.ok, verdict.problems
