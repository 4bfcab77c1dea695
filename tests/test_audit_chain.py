"""The audit trail as a hash chain, as an auditor checks it with ``wxpub audit verify``: an untouched
chain verifies; a row edited or deleted behind the system's back (plain SQL) is found and named;
two sessions writing one after the other keep one chain; a rolled-back transaction leaves no link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from wxpub.infra.audit_chain import row_digest
from wxpub.models import AuditEntry, AuditHead
from wxpub.staff import users

PASSWORD = "Shenhe-2026-ok!"


def _three_accounts(runtime, clock):
    """Three audit rows (seq 1–3), each written by its own use case and commit."""
    for name in ("wangbianji", "lifushen", "zhangzhongshen"):
        with runtime.db.session() as s:
            users.create_user(s, name, PASSWORD, "editor", now=clock.now(), actor="admin1")
        clock.advance(minutes=1)


def _sql(runtime, statement: str, **params) -> None:
    with runtime.db.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_an_untouched_chain_verifies_and_prints_its_head(runtime, clock, cli):
    _three_accounts(runtime, clock)
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    with runtime.db.session() as s:
        head = s.get(AuditHead, 1)
    assert head.seq == 3
    assert f"操作日志完整：共 3 条，链头 第 3 条，哈希 {head.row_hash}" in result.output


def test_an_empty_log_verifies(cli):
    result = cli("audit", "verify")
    assert result.exit_code == 0 and "操作日志完整：共 0 条" in result.output


def test_a_row_edited_with_sql_is_found_and_named(runtime, clock, cli):
    _three_accounts(runtime, clock)
    _sql(runtime, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "操作日志不完整：发现 1 处问题" in result.output
    assert "第 2 条记录" in result.output and "someone-else" in result.output
    assert "内容与其哈希不符：记录被改动过" in result.output


def test_an_edit_that_recomputes_its_own_hash_breaks_the_next_link(runtime, clock, cli):
    _three_accounts(runtime, clock)
    with runtime.db.session() as s:
        row = s.scalar(select(AuditEntry).where(AuditEntry.seq == 2))
        row.actor = "someone-else"
        forged = row_digest(row)
        s.rollback()
    _sql(runtime, "UPDATE audit_log SET actor = 'someone-else', row_hash = :h WHERE seq = 2", h=forged)
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "第 3 条记录" in result.output and "与上一条的链接不符" in result.output


def test_a_deleted_middle_row_is_found(runtime, clock, cli):
    _three_accounts(runtime, clock)
    _sql(runtime, "DELETE FROM audit_log WHERE seq = 2")
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "第 2 条记录缺失（已被删除）" in result.output
    assert "第 3 条记录" in result.output  # its link now points at nothing


def test_a_deleted_last_row_is_found(runtime, clock, cli):
    _three_accounts(runtime, clock)
    _sql(runtime, "DELETE FROM audit_log WHERE seq = 3")
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "链头记为第 3 条，而最后一条是第 2 条：末尾的记录被删除或改动过" in result.output


def test_a_row_inserted_with_sql_is_found(runtime, clock, cli):
    _three_accounts(runtime, clock)
    _sql(runtime, "INSERT INTO audit_log (at, actor, action, object_type, object_id, detail, before_sha256, "
                  "after_sha256, address, prev_hash, row_hash) VALUES (:at, 'x', 'user.create', 'user', 'x', "
                  "'{}', '', '', '', '', '')", at=clock.now())
    result = cli("audit", "verify")
    assert result.exit_code == 1 and "没有链序号" in result.output


def test_two_sessions_committing_one_after_the_other_keep_one_chain(runtime, clock, cli):
    """Both sessions are open and have read the head before either writes; the second to commit
    chains onto the first one's row, not onto the head it saw. On PostgreSQL both rows are even
    flushed (ids taken) before the later-numbered one commits first."""
    first, second = runtime.db.new_session(), runtime.db.new_session()
    try:
        for s in (first, second):
            s.get(AuditHead, 1)
        on_postgres = runtime.db.engine.dialect.name == "postgresql"
        first.add(AuditEntry(at=clock.now(), actor="wangbianji", action="case.edit", object_type="case",
                             object_id="1"))
        if on_postgres:
            first.flush()
        second.add(AuditEntry(at=clock.now() + timedelta(seconds=1), actor="lifushen",
                              action="review.approve", object_type="message", object_id="1"))
        if on_postgres:
            second.flush()
            second.commit()
            first.commit()
        else:  # SQLite has one writer at a time: the second writes once the first has committed
            first.commit()
            second.commit()
    finally:
        first.close()
        second.close()
    with runtime.db.session() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [r.seq for r in rows] == [1, 2]
        assert rows[1].prev_hash == rows[0].row_hash and rows[0].prev_hash == ""
        assert s.get(AuditHead, 1).row_hash == rows[1].row_hash
    assert cli("audit", "verify").exit_code == 0


def test_a_rolled_back_transaction_leaves_no_link(runtime, clock, cli):
    _three_accounts(runtime, clock)
    with runtime.db.session() as s:
        s.add(AuditEntry(at=clock.now(), actor="admin1", action="user.create", object_type="user",
                         object_id="ghost"))
        s.flush()
        s.rollback()
    with runtime.db.session() as s:
        users.create_user(s, "zhaojiaodui", PASSWORD, "proofreader", now=clock.now(), actor="admin1")
    result = cli("audit", "verify")
    assert result.exit_code == 0 and "共 4 条" in result.output


def test_the_pages_quick_check_of_a_big_log_walks_the_newest_rows_and_the_counts(runtime, clock):
    from wxpub.staff.audit import quick_check

    with runtime.db.session() as s:
        for i in range(6):
            s.add(AuditEntry(at=clock.now(), actor="bianji", action="case.edit", object_type="case",
                             object_id=str(i)))
        s.commit()
        found = quick_check(s, recent=2, full_up_to=3)
        assert found.ok and (found.total, found.checked, found.full) == (6, 2, False)
        assert quick_check(s).full and quick_check(s).checked == 6
    _sql(runtime, "UPDATE audit_log SET actor = 'x' WHERE seq = 1")  # old: only the full walk sees it
    with runtime.db.session() as s:
        assert quick_check(s, recent=2, full_up_to=3).ok and not quick_check(s).ok
    _sql(runtime, "UPDATE audit_log SET actor = 'x' WHERE seq = 6")
    with runtime.db.session() as s:
        assert any("第 6 条记录" in p for p in quick_check(s, recent=2, full_up_to=3).problems)
    _sql(runtime, "DELETE FROM audit_log WHERE seq = 2")  # a deletion anywhere changes the count
    with runtime.db.session() as s:
        assert any("有记录被删除或插入" in p for p in quick_check(s, recent=2, full_up_to=3).problems)
