"""The audit log names the real actor: the logged-in user on the web, the ``--as`` account on the
command line (checked against the user table), else the operating-system account — never "cli"."""

from __future__ import annotations

import getpass
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from auth_helpers import login
from publishing_helpers import SERIES
from security_helpers import PASSWORD, staff  # noqa: F401  (staff: a fixture)
from wxpub.models import AuditEntry, Case, Release

ARTICLES = Path(__file__).resolve().parents[2] / "articles"
SYSTEM = f"系统账号 {getpass.getuser()}@{socket.gethostname()}"


def _last(session, action: str) -> AuditEntry:
    session.expire_all()
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                           .order_by(AuditEntry.id.desc())).first()


def _case_ids(session) -> list[int]:
    return list(session.scalars(select(Case.id).order_by(Case.id)))


def test_commands_record_the_named_account_or_the_system_account(cli, session, staff, tmp_path):
    assert cli("import", str(ARTICLES), "--as", "editor1").exit_code == 0
    assert _last(session, "import").actor == "editor1"
    first, second = _case_ids(session)[:2]
    assert cli("case", "select", str(first), "--as", "editor1").exit_code == 0
    assert _last(session, "case.selected").actor == "editor1"
    assert cli("case", "reject", str(second)).exit_code == 0
    assert _last(session, "case.rejected").actor == SYSTEM
    assert cli("case", "score", str(first), "88", "--as", "admin1").exit_code == 0
    assert _last(session, "case.score").actor == "admin1"
    out = tmp_path / "out"
    assert cli("render", "--chapter", "人文环境", "--out", str(out), "--as", "editor1").exit_code == 0
    assert _last(session, "message.version").actor == "editor1"
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0).isoformat()
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"series: {SERIES}\naccount: 新政服\nmode: publish\nstart: {start}\ninterval: 1d\n"
                    "chapters:\n  - 市场环境\n", encoding="utf-8")
    assert cli("plan", "apply", str(plan)).exit_code == 0
    assert _last(session, "plan.apply").actor == SYSTEM
    release_id = session.scalar(select(Release.id))
    assert cli("release", "cancel", str(release_id), "--by", "approver1").exit_code == 0
    assert _last(session, "release.cancel").actor == "approver1"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == "cli")) == 0


def test_an_unknown_or_disabled_as_account_is_refused_with_nothing_written(cli, session, clock, staff):
    from wxpub.staff import users

    assert cli("import", str(ARTICLES), "--as", "editor1").exit_code == 0
    first = _case_ids(session)[0]
    users.disable(session, "editor1", actor="admin1", now=clock.now())
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    for who, words in (("nobody", "没有用户名为“nobody”的账号"), ("editor1", "账号“editor1”已停用")):
        refused = cli("case", "select", str(first), "--as", who)
        assert refused.exit_code == 2 and words in refused.stderr
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert session.get(Case, first).status == "pending"


def test_the_web_records_the_logged_in_user_and_the_address(app, cli, session, staff):
    assert cli("import", str(ARTICLES)).exit_code == 0
    client, headers = login(app, "editor1", PASSWORD)
    first = _case_ids(session)[0]
    assert client.patch(f"/api/v1/cases/{first}", json={"status": "selected"}, headers=headers).status_code == 200
    assert _last(session, "case.selected").actor == "editor1"
    logged_in = _last(session, "user.login")
    assert logged_in.actor == "editor1" and logged_in.detail["address"] == "127.0.0.1"
