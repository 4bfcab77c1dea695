"""A change under an approved release says so at once: on the editor's page before and after the
save, and to the approver, whose /notices page names the case and leads to it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from auth_helpers import login
from publishing_helpers import APPROVER_PASSWORD, apply_and_approve, import_samples, plan_file
from test_case_editor import CSRF, case_id, flashes, post_form, value

APPROVER = "张主任"


@pytest.fixture
def approved(runtime, editor_client, tmp_path, clock):
    """The sample series; 人文环境 planned for 2026-03-05 09:00 and approved by 张主任."""
    import_samples(runtime)
    plan = plan_file(tmp_path, chapters=("人文环境",), start=clock.now() + timedelta(days=3))
    return apply_and_approve(runtime, plan, by=APPROVER)


def _notices(client) -> str:
    return client.get("/notices").get_data(as_text=True)


def test_the_approver_is_told_at_once_and_the_notice_leads_to_the_case(app, approved, editor_client,
                                                                         session):
    cid = case_id(session, "人文环境", 1)
    page = editor_client.get(f"/library/cases/{cid}").get_data(as_text=True)
    warning = re.search(r'<section class="warn release-warning".*?</section>', page, re.S).group(0)
    assert "此案例所在篇章已安排发布：" in warning and "2026-03-05 09:00 发布（已审批待发）" in warning
    assert "审批人会立即收到通知" in warning
    other = case_id(session, "市场环境", 1)  # a chapter with nothing planned: no warning
    assert "release-warning" not in editor_client.get(f"/library/cases/{other}").get_data(as_text=True)

    typo = value(page, "f-points-1-rest")
    saved = post_form(editor_client, cid, {"f-points-1-rest": typo.replace("广聚天下才", "广聚天下英才")},
                      page=page)
    message = flashes(editor_client.get(saved.headers["Location"]).get_data(as_text=True))[0]
    # the edit took the release out of "approved" at once: it waits for a new version and its chain
    assert message.startswith("已保存为 v2。此案例所在篇章已安排发布：2026-03-05 09:00 发布（待审批）")
    assert "需重新排版并重新审批；已通知审批人：张主任" in message

    client, _headers = login(app, APPROVER, APPROVER_PASSWORD)
    home = client.get("/dashboard/").get_data(as_text=True)
    assert 'href="/notices" class="notice-link">通知（1）</a>' in home
    listing = _notices(client)
    assert "通知（1 条未读）" in listing
    assert "案例《创新“双招双引”模式 集聚创新创业领军人才》已被 zhangsan 修改" in listing
    assert "2026-03-05 09:00 的发布（已审批待发）" in listing and "2026-03-02 09:00" in listing
    notice = re.search(r'action="(/notices/\d+/read)">\s*<input[^>]*>\s*<input type="hidden" '
                       r'name="next" value="([^"]+)">', listing)
    assert notice.group(2) == f"/library/cases/{cid}"
    opened = client.post(notice.group(1), data={"csrf_token": CSRF.search(listing).group(1),
                                                "next": notice.group(2)})
    assert opened.status_code == 302 and opened.headers["Location"] == f"/library/cases/{cid}"
    case_page = client.get(opened.headers["Location"])
    assert case_page.status_code == 200 and "创新“双招双引”模式" in case_page.get_data(as_text=True)
    after = _notices(client)
    assert 'class="notice unread"' not in after and 'class="notice read"' in after
    assert "notice-link" not in after  # the header's count is gone
    assert "查看案例</a>" in after  # read notices still lead to the case


def _compose_and_approve_again(runtime, release_ids):
    """The editor composes the chapter again and the approver signs the new version."""
    from wxpub.editorial import compose
    from wxpub.models import Release
    from wxpub.releases import approvals

    with runtime.db.session() as s:
        compose.recompose(s, s.get(Release, release_ids[0]).message_id, now=runtime.clock.now(),
                          actor="测试")
        s.commit()
        approvals.approve(s, release_ids, by=APPROVER, now=runtime.clock.now(),
                          policy=runtime.settings.review_policy, tz=runtime.settings.tz)


def test_marking_all_read_and_nobody_marks_anothers_notices(app, runtime, approved, editor_client, session):
    cid = case_id(session, "人文环境", 2)
    for text in ("第一次修改。", "第二次修改。"):
        post_form(editor_client, cid, {"f-closing-2": text})
        _compose_and_approve_again(runtime, approved)
    listing = _notices(editor_client)
    assert "没有通知" in listing  # the editor has none of their own
    client, _ = login(app, APPROVER, APPROVER_PASSWORD)
    listing = _notices(client)
    assert listing.count('class="notice unread"') == 2
    first = re.search(r'id="notice-(\d+)"', listing).group(1)
    token = CSRF.search(listing).group(1)
    refused = editor_client.post(f"/notices/{first}/read",
                                 data={"csrf_token": CSRF.search(_notices(editor_client)).group(1)})
    assert "没有编号为" in flashes(editor_client.get(refused.headers["Location"]).get_data(as_text=True))[0]
    assert _notices(client).count('class="notice unread"') == 2
    one = client.post(f"/notices/{first}/read", data={"csrf_token": token})
    assert one.headers["Location"].endswith(f"/notices#notice-{first}")
    assert _notices(client).count('class="notice unread"') == 1
    done = client.post("/notices/read-all", data={"csrf_token": token})
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已把 1 条通知标为已读" in flashes(page)[0] and 'class="notice unread"' not in page


def test_a_revert_under_the_release_tells_the_approver_too(app, runtime, approved, editor_client, session):
    cid = case_id(session, "人文环境", 3)
    post_form(editor_client, cid, {"f-closing-2": "补充一段。"})
    _compose_and_approve_again(runtime, approved)
    page = editor_client.get(f"/library/cases/{cid}/history").get_data(as_text=True)
    reverted = editor_client.post(f"/library/cases/{cid}/revert",
                                  data={"csrf_token": CSRF.search(page).group(1), "version": "1",
                                        "confirm": "1"})
    message = flashes(editor_client.get(reverted.headers["Location"]).get_data(as_text=True))[-1]
    assert "已恢复为 v1 的内容，已保存为 v3" in message and "已通知审批人：张主任" in message
    client, _ = login(app, APPROVER, APPROVER_PASSWORD)
    assert "恢复为 v1" in _notices(client)


def test_a_reimport_that_changes_an_approved_case_tells_the_approver(app, approved, runtime, tmp_path,
                                                                      session):
    import shutil
    from pathlib import Path

    from wxpub.library import service as library
    from wxpub.library import sources

    articles = Path(__file__).resolve().parents[1] / "articles"
    copy = tmp_path / "articles"
    shutil.copytree(articles, copy)
    case_file = next((copy / "binhai-2023" / "4-renwen").glob("01-*.md"))
    case_file.write_text(case_file.read_text(encoding="utf-8").replace("广聚天下才", "广聚天下英才"),
                         encoding="utf-8")
    with runtime.db.session() as s:
        report = library.apply_import(s, [sources.load(u) for u in sources.discover([str(copy)])],
                                      now=runtime.clock.now(), actor="lisi")
    assert report.count("updated") == 1
    client, _ = login(app, APPROVER, APPROVER_PASSWORD)
    listing = _notices(client)
    assert "通知（1 条未读）" in listing
    assert "已被 lisi 重新导入并更新" in listing and "2026-03-05 09:00 的发布（已审批待发）" in listing
    assert "已退回待审批" in listing
