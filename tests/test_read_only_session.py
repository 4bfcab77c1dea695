"""The session of a page that only reads (``Database.read_session``): no transaction, no writes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from wxpub.infra.db import ReadOnlySession
from wxpub.models import Alert


def test_a_read_session_reads_what_is_committed_and_refuses_to_write(runtime):
    with runtime.db.session() as s:
        s.add(Alert(cause="test:1", message="已提交的告警"))
        s.commit()
    reader = runtime.db.read_session()
    try:
        assert reader.scalar(select(func.count()).select_from(Alert)) == 1
        reader.add(Alert(cause="test:2", message="不应写入"))
        with pytest.raises(ReadOnlySession):
            reader.flush()
        reader.rollback()
    finally:
        reader.close()
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 1  # nothing half-written


def test_the_reading_pages_answer_through_it_and_the_desk_still_writes(app, editor_client):
    for path in ("/dashboard/", "/dashboard/chapters", "/calendar", "/workbench"):
        assert editor_client.get(path).status_code == 200, path
