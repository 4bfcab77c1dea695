"""Every action the issue lists leaves one audit row with the right actor (the logged-in person, the
command's ``--as`` account or the machine's system account — never a made-up name), its object, the
content hashes before and after where there is content, and the request's address — each done as
staff do it: the web forms, the JSON API and the commands."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from auth_helpers import login
from publishing_helpers import ARTICLES, SERIES, import_samples
from review_helpers import OFFICE_PASSWORD, make_office
from test_case_editor import post_form
from wxpub.models import AuditEntry, Case, CaseVersion, Chapter, Message, MessageVersion, Release
from wxpub.releases import transitions
from wxpub.staff import users

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def office(runtime, clock):
    make_office(runtime)
    with runtime.db.session() as s:
        users.create_user(s, "guanli", OFFICE_PASSWORD, "admin", now=clock.now(), actor="测试",
                          display_name="周管理")
    return runtime


def _entries(runtime, action: str, **where) -> list[AuditEntry]:
    with runtime.db.session() as s:
        query = select(AuditEntry).where(AuditEntry.action == action)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list(s.scalars(query.order_by(AuditEntry.seq)))


def _hash_of(runtime, case_id: int, version: int) -> str:
    with runtime.db.session() as s:
        return s.scalar(select(CaseVersion.content_hash).where(CaseVersion.case_id == case_id,
                                                               CaseVersion.version == version))


def _csrf(client, path: str) -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def _chapter(runtime, name: str) -> int:
    with runtime.db.session() as s:
        return s.scalar(select(Chapter.id).where(Chapter.name == name))


def _whole(runtime, cli) -> None:
    """The chain still verifies, and nobody is recorded as 「cli」 or as nobody."""
    assert cli("audit", "verify").exit_code == 0
    with runtime.db.session() as s:
        assert s.scalars(select(AuditEntry.actor).where(AuditEntry.actor.in_(["cli", "", "api"]))).all() == []


def test_an_import_from_the_command_line_records_each_case_with_its_hashes(app, office, runtime, cli, tmp_path):
    login(app, "bianji", OFFICE_PASSWORD)  # a web request before: its address is not the command's
    copy = tmp_path / "binhai-2023"
    shutil.copytree(ARTICLES / "binhai-2023", copy)
    assert cli("import", str(copy), "--as", "bianji").exit_code == 0
    rows = _entries(runtime, "import")
    with runtime.db.session() as s:
        cases = {str(c.id): c.current_version.content_hash for c in s.scalars(select(Case))}
    assert len(rows) == len(cases) == 12
    assert {r.object_id: r.after_sha256 for r in rows} == cases
    assert {(r.actor, r.object_type, r.before_sha256, r.address) for r in rows} == {("bianji", "case", "", "")}
    # The department sends one case again with a figure corrected; nobody named: the system account.
    source = copy / "1-shichang" / "01-yiqi-yizheng.md"
    source.write_text(source.read_text(encoding="utf-8").replace("三个工作日", "两个工作日"), encoding="utf-8")
    assert cli("import", str(copy)).exit_code == 0
    [again] = _entries(runtime, "import")[12:]
    case_id = int(again.object_id)
    assert again.actor.startswith("系统账号 ") and "@" in again.actor
    assert again.before_sha256 == _hash_of(runtime, case_id, 1) and again.after_sha256 == _hash_of(runtime, case_id, 2)
    assert again.detail["outcome"] == "updated" and again.detail["version"] == 2
    _whole(runtime, cli)


def test_an_upload_in_the_browser_records_the_batch_and_its_cases(app, office, runtime, sample_series, cli):
    from test_import_upload import WORD, confirm, upload
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    market = _chapter(runtime, "市场环境")
    done = confirm(client, upload(client, [WORD], series=sample_series, chapter=market))
    assert done.status_code == 200
    [batch] = _entries(runtime, "import.upload")
    assert (batch.actor, batch.object_type, batch.address) == ("bianji", "import_batch", "127.0.0.1")
    [case] = _entries(runtime, "import")
    assert case.actor == "bianji" and case.address == "127.0.0.1"
    assert case.after_sha256 == _hash_of(runtime, int(case.object_id), 1) and case.before_sha256 == ""
    _whole(runtime, cli)


def test_a_case_edit_in_the_browser_records_the_versions_hashes(app, office, runtime, cli):
    import_samples(runtime)
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    with runtime.db.session() as s:
        case_id = s.scalar(select(Case.id).order_by(Case.id))
    assert post_form(client, case_id, {"f-lead-1": "导语改过了。"}).status_code == 302
    [edit] = _entries(runtime, "case.edit")
    assert (edit.actor, edit.object_type, edit.object_id, edit.address) == ("bianji", "case", str(case_id), "127.0.0.1")
    assert edit.before_sha256 == _hash_of(runtime, case_id, 1) and edit.after_sha256 == _hash_of(runtime, case_id, 2)
    assert edit.before_sha256 != edit.after_sha256
    _whole(runtime, cli)


def test_curation_in_the_browser_records_selection_and_order(app, office, runtime, cli):
    import_samples(runtime)
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    renwen = _chapter(runtime, "人文环境")
    with runtime.db.session() as s:
        ids = list(s.scalars(select(Case.id).where(Case.chapter_id == renwen).order_by(Case.position)))
    view = f"/library?chapter={renwen}"
    assert client.post("/library/status", data={"case_id": [str(ids[0]), str(ids[1])], "status": "selected",
                                                "csrf_token": _csrf(client, view)}).status_code == 302
    [chosen] = _entries(runtime, "case.bulk_selected")
    assert chosen.actor == "bianji" and chosen.object_type == "case" and chosen.detail["case_ids"] == ids[:2]
    dragged = [ids[1], ids[0], *ids[2:]]
    answer = client.post("/library/order", data={"chapter": str(renwen), "case_ids": [str(i) for i in dragged],
                                                 "csrf_token": _csrf(client, view)},
                         headers={"X-Requested-With": "fetch"})
    assert answer.status_code == 200
    [order] = _entries(runtime, "chapter.arrange")
    assert (order.actor, order.object_type, order.object_id) == ("bianji", "chapter", str(renwen))
    assert order.detail["order"] == dragged and order.address == "127.0.0.1"
    assert client.post("/library/move", data={"move": f"{ids[2]}:up", "back": view,
                                              "csrf_token": _csrf(client, view)}).status_code == 302
    [moved] = _entries(runtime, "case.move")
    assert moved.actor == "bianji" and moved.detail["case_id"] == ids[2]
    _whole(runtime, cli)


def _compose(client, chapter_id: int):
    data = {"title_template": "{chapter}篇丨{series}", "intro": "", "theme": "政务红", "author": "",
            "cover": "series", "source": "滨海新区营商环境办", "editors": "", "action": "compose",
            "csrf_token": _csrf(client, f"/chapters/{chapter_id}/compose")}
    return client.post(f"/chapters/{chapter_id}/compose", data=data)


def test_compose_in_the_browser_records_the_message_versions_hashes(app, office, runtime, cli):
    import_samples(runtime)
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    market = _chapter(runtime, "市场环境")
    assert _compose(client, market).status_code == 302
    [first] = _entries(runtime, "message.version")
    with runtime.db.session() as s:
        message = s.scalar(select(Message).where(Message.chapter_id == market))
        v1 = message.current_version.sha256
        case_id = s.scalar(select(Case.id).where(Case.chapter_id == market).order_by(Case.position))
    assert (first.actor, first.object_type, first.object_id) == ("bianji", "message", str(message.id))
    assert (first.before_sha256, first.after_sha256, first.address) == ("", v1, "127.0.0.1")
    post_form(client, case_id, {"f-lead-1": "导语改过了。"})
    assert _compose(client, market).status_code == 302
    second = _entries(runtime, "message.version")[-1]
    with runtime.db.session() as s:
        v2 = s.get(Message, message.id).current_version.sha256
    assert second.before_sha256 == v1 and second.after_sha256 == v2 != v1
    _whole(runtime, cli)


def _plan(tmp_path, chapters) -> Path:
    # Commands run on the real clock: the plan starts two days from the real now.
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0).isoformat()
    lines = "".join(f"  - {c}\n" for c in chapters)
    path = tmp_path / "plan.yaml"
    path.write_text(f"series: {SERIES}\naccount: 新政服\nmode: publish\nstart: {start}\ninterval: 1d\n"
                    f"chapters:\n{lines}", encoding="utf-8")
    return path


def test_plan_sign_off_cancel_and_retry_record_who_did_them(app, office, runtime, cli, tmp_path, clock):
    import_samples(runtime)
    plan = _plan(tmp_path, ["市场环境", "政务环境"])
    assert cli("plan", "apply", str(plan), "--as", "bianji").exit_code == 0
    [applied] = _entries(runtime, "plan.apply")
    assert applied.actor == "bianji" and applied.object_type == "plan" and applied.object_id.endswith("plan.yaml")
    assert applied.after_sha256 == hashlib.sha256(plan.read_bytes()).hexdigest()
    assert applied.detail["created"] == 2
    composed = _entries(runtime, "message.version")
    assert len(composed) == 2 and {e.actor for e in composed} == {"bianji"}
    # 终审 signs through the JSON API, as the review page does
    client, headers = login(app, "zhongshen", OFFICE_PASSWORD)
    with runtime.db.session() as s:
        first, second = s.scalars(select(Release).order_by(Release.scheduled_at)).all()
        version = s.get(Message, first.message_id).current_version
        sha, message_id = version.sha256, first.message_id
    signed = client.post(f"/api/v1/messages/{message_id}/reviews", headers=headers,
                         data=json.dumps({"version_hash": sha, "stage": "终审", "decision": "approve",
                                          "comment": "同意发布"}), content_type="application/json")
    assert signed.status_code == 201, signed.get_data(as_text=True)
    [approval] = _entries(runtime, "review.approve")
    assert (approval.actor, approval.object_type, approval.object_id) == ("zhongshen", "message", str(message_id))
    assert approval.before_sha256 == approval.after_sha256 == sha and approval.address == "127.0.0.1"
    assert approval.detail["stage"] == "终审" and approval.detail["comment"] == "同意发布"
    # the scheduler held the approved release (too late); 终审 sends it again from the command line
    with runtime.db.session() as s:
        transitions.hold(s, s.get(Release, first.id), reason="超过计划时间太久", actor="scheduler",
                         now=clock.now(), settings=runtime.settings)
        s.commit()
    assert cli("release", "retry", str(first.id), "--by", "zhongshen").exit_code == 0
    assert cli("release", "cancel", str(second.id), "--by", "zhongshen").exit_code == 0
    [retried] = _entries(runtime, "release.retry")
    [canceled] = _entries(runtime, "release.cancel")
    assert (retried.actor, retried.object_type, retried.object_id) == ("zhongshen", "release", str(first.id))
    assert retried.detail["from"] == "已暂停（需人工处理）"
    assert (canceled.actor, canceled.object_type, canceled.object_id) == ("zhongshen", "release", str(second.id))
    _whole(runtime, cli)


def test_logins_that_succeed_and_fail_are_recorded_with_their_address(app, office, runtime, cli):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    refused = browser.post("/login", data={"username": "zhongshen", "password": "wrong-guess-2026",
                                           "csrf_token": _csrf(browser, "/login")})
    assert refused.status_code == 401
    [failed] = _entries(runtime, "user.login_failed")
    assert (failed.actor, failed.object_type, failed.object_id) == ("未登录的访客", "user", "zhongshen")
    assert failed.address == "10.20.30.40" and failed.detail["reason"] == "密码不正确"
    accepted = browser.post("/login", data={"username": "zhongshen", "password": OFFICE_PASSWORD,
                                            "csrf_token": _csrf(browser, "/login")})
    assert accepted.status_code == 302
    [done] = _entries(runtime, "user.login")
    assert (done.actor, done.object_id, done.address) == ("zhongshen", "zhongshen", "10.20.30.40")
    browser.post("/logout", data={"csrf_token": _csrf(browser, "/notices")})
    [left] = _entries(runtime, "user.logout")
    assert left.actor == "zhongshen" and left.address == "10.20.30.40"
    # a wrong current password when changing it is the person's own failed attempt
    page = "/password"
    client, _ = login(app, "fushen", OFFICE_PASSWORD)
    client.post(page, data={"current": "not-my-password-1", "new": "Fushen-new-2026!",
                            "confirm": "Fushen-new-2026!", "csrf_token": _csrf(client, page)})
    own = _entries(runtime, "user.login_failed", object_id="fushen")
    assert [e.actor for e in own] == ["fushen"]
    _whole(runtime, cli)


def test_accounts_created_and_roles_changed_in_the_browser_name_the_admin(app, office, runtime, cli):
    admin, _ = login(app, "guanli", OFFICE_PASSWORD)
    made = admin.post("/admin/users/new", data={"username": "sunbianji", "display_name": "孙编辑", "role": "editor",
                                                "password": OFFICE_PASSWORD, "confirm": OFFICE_PASSWORD,
                                                "csrf_token": _csrf(admin, "/admin/users/new")})
    assert made.status_code == 302
    [created] = _entries(runtime, "user.create", object_id="sunbianji")
    assert created.actor == "guanli" and created.object_type == "user" and created.address == "127.0.0.1"
    page = admin.get("/admin/users/sunbianji").get_data(as_text=True)
    token = re.search(r'name="role-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert admin.post("/admin/users/sunbianji/role", data={"role-role": "reviewer", "role-confirm": "y",
                                                           "role-csrf_token": token}).status_code == 302
    [changed] = _entries(runtime, "user.set_role")
    assert (changed.actor, changed.object_id) == ("guanli", "sunbianji")
    assert (changed.detail["before"], changed.detail["after"]) == ("editor", "reviewer")
    # what the auditor reads on the page
    html = admin.get("/audit", query_string={"object_type": "user", "object_id": "sunbianji"}).get_data(as_text=True)
    assert "更改角色" in html and "编辑 → 复审" in html and "新建账号" in html and "周管理（guanli）" in html
    _whole(runtime, cli)

