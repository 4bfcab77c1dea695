"""Shared set-up for the security tests (imported by them; tests/conftest.py gives the fixtures
they build on): staff accounts on the test database, and small helpers
that act as a browser would (the real login form, CSRF on)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from wxpub.models import AuditEntry
from wxpub.staff import users

PASSWORD = "correct-horse-9"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def staff(session, clock):
    """An admin, an editor and an approver, all with ``PASSWORD``."""
    for name, role, display in (("admin1", "admin", "王管理"), ("editor1", "editor", "李编辑"),
                                ("approver1", "approver", "张主任")):
        users.create_user(session, name, PASSWORD, role, now=clock.now(), actor="测试",
                          display_name=display)
    return {"admin": "admin1", "editor": "editor1", "approver": "approver1"}


def csrf_of(client, path: str = "/login") -> str:
    """The CSRF token of the form on ``path``."""
    return CSRF_FIELD.search(client.get(path).get_data(as_text=True)).group(1)


def try_login(client, username: str, password: str, *, path: str = "/login"):
    """Post the login form as a browser does; returns the answer."""
    return client.post(path, data={"username": username, "password": password,
                                   "csrf_token": csrf_of(client)})


def audit(session, action: str) -> list[AuditEntry]:
    """The audit rows of ``action``, oldest first (a fresh read)."""
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                .order_by(AuditEntry.id)))
