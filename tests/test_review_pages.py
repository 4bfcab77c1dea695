"""The review desk's pages through Flask's test client, logged in through the real form with CSRF on:
each role sees the form it may use (or why not), signing and commenting through the forms, refusals
shown as a page with their message and status, and the 我的待办 count in the header."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from auth_helpers import login
from review_helpers import OFFICE_PASSWORD, current_hash, make_office, planned_message, release_state, sign, walk
from wxpub.editorial import todo
from wxpub.models import Message, ReviewComment
from wxpub.staff import users

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


pytestmark = pytest.mark.full_chain


@pytest.fixture
def office(runtime, tmp_path):
    make_office(runtime)
    return planned_message(runtime, tmp_path)


def as_user(app, username):
    client, _headers = login(app, username, OFFICE_PASSWORD)
    return client


def page(client, message_id, status=200):
    answer = client.get(f"/review/messages/{message_id}")
    assert answer.status_code == status
    return answer.get_data(as_text=True)


def post(client, message_id, path, **fields):
    """Submit a form of the review page as a browser would (its CSRF token, the version it showed)."""
    html = page(client, message_id)
    fields.setdefault("version_hash", re.search(r'name="version_hash" value="([0-9a-f]{64})"', html).group(1))
    return client.post(path, data={"csrf_token": TOKEN.search(html).group(1), **fields})


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_each_role_sees_what_it_may_do_now(app, office):
    message_id, _ = office
    editor = page(as_user(app, "bianji"), message_id)
    assert 'id="sign-stage"' in editor and 'value="初审"' in editor and 'id="sign-proofread"' in editor
    assert "记录第 1 轮校对" in editor and 'name="secret"' not in editor  # the secrecy review is 复审's
    reviewer = page(as_user(app, "fushen"), message_id)
    assert 'id="sign-stage"' not in reviewer
    assert "等待初审（由编辑签署），之后由你签复审" in text(reviewer)
    approver = page(as_user(app, "zhongshen"), message_id)
    assert 'id="sign-stage"' not in approver and 'id="sign-proofread"' not in approver
    assert "等待初审（由编辑签署），之后由你签终审" in text(approver)
    proofreader = page(as_user(app, "jiaodui"), message_id)
    assert 'id="sign-proofread"' in proofreader and 'id="sign-stage"' not in proofreader
    for html in (editor, reviewer, approver, proofreader):  # the version, the policy, the links
        assert current_hash(app.extensions["wxpub"], message_id)[:12] in html
        assert "初审（编辑） → 复审（复审） → 终审（终审）；终审前校对 3 轮" in html
        assert f'href="/review/messages/{message_id}/sheet"' in html and "信息发布审核表" in html
        assert f'href="/review/messages/{message_id}/phone"' in html and "发送到手机预览" in html


def test_signing_through_the_forms_walks_the_chain(app, runtime, office):
    message_id, release_id = office
    bianji = as_user(app, "bianji")
    answer = post(bianji, message_id, f"/review/messages/{message_id}/sign", stage="初审", decision="approve",
                  comment="文字已核")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/review/messages/{message_id}#chain")
    after = bianji.get(answer.headers["Location"]).get_data(as_text=True)
    assert "已签署初审：通过。" in after
    assert "你已签署初审，现在等待复审（由复审签署）" in text(after)
    fushen = as_user(app, "fushen")
    reviewer = page(fushen, message_id)
    assert 'name="secret"' in reviewer and "保密审查意见" in reviewer
    refused = post(fushen, message_id, f"/review/messages/{message_id}/sign", stage="复审", decision="approve",
                   comment="同意")
    assert refused.status_code == 400 and "请选择“是否涉密”" in refused.get_data(as_text=True)
    assert post(fushen, message_id, f"/review/messages/{message_id}/sign", stage="复审", decision="approve",
                comment="数据已核实", secret="0").status_code == 302
    chain = text(page(fushen, message_id))
    assert "李科长" in chain and "是否涉密：否；保密审查意见：经审查，不涉及国家秘密和工作秘密，同意公开发布" in chain
    for by in ("jiaodui", "jiaodui2", "bianji"):
        client = as_user(app, by)
        assert post(client, message_id, f"/review/messages/{message_id}/sign", stage="校对",
                    comment="已校对").status_code == 302
    zhongshen = as_user(app, "zhongshen")
    done = post(zhongshen, message_id, f"/review/messages/{message_id}/sign", stage="终审", decision="approve",
                comment="同意发布")
    final = zhongshen.get(done.headers["Location"]).get_data(as_text=True)
    assert "审核已完成，发布已进入待发（计划" in final and "审核已完成。" in final
    assert release_state(runtime, release_id) == "approved"
    assert 'id="sign-stage"' not in final and "审核已完成，无需再签" in text(final)


def test_refusals_show_the_page_with_the_message_and_status(app, runtime, office):
    message_id, _ = office
    jiaodui = as_user(app, "jiaodui")
    forbidden = post(jiaodui, message_id, f"/review/messages/{message_id}/sign", stage="初审", decision="approve")
    html = forbidden.get_data(as_text=True)
    assert forbidden.status_code == 403 and "“初审”须由编辑签署，你的角色是“校对”" in html
    assert 'id="preview"' in html  # the review page itself, re-shown with the message
    bianji = as_user(app, "bianji")
    stale = post(bianji, message_id, f"/review/messages/{message_id}/sign", stage="初审", decision="approve",
                 version_hash="ab" * 32)
    assert stale.status_code == 409 and "内容已更新，请刷新页面后审核新版本" in stale.get_data(as_text=True)
    no_reason = post(bianji, message_id, f"/review/messages/{message_id}/sign", stage="初审", decision="reject",
                     comment=" ")
    body = no_reason.get_data(as_text=True)
    assert no_reason.status_code == 400 and "退回必须写明理由" in body
    assert 'value="reject" required checked' in body  # what the person chose is kept
    returned = post(bianji, message_id, f"/review/messages/{message_id}/sign", stage="初审", decision="reject",
                    comment="标题过长，请压缩")
    assert returned.status_code == 302
    back = text(page(bianji, message_id))
    assert "已退回修改。" in back and "被王编辑于" in back and "标题过长，请压缩" in back


def test_comments_through_the_forms_are_marked_at_their_paragraph(app, runtime, office):
    message_id, _ = office
    fushen = as_user(app, "fushen")
    html = page(fushen, message_id)
    assert '<option value="a1-c1-p2">第1篇 · 案例01 · 第2段：' in html  # the list works without JavaScript
    answer = post(fushen, message_id, f"/review/messages/{message_id}/comments", where="a1-c1-p2",
                  body="“一证准营”的办理时限请核实")
    with runtime.db.session() as s:
        row = s.scalar(select(ReviewComment))
        assert (row.article, row.case, row.paragraph, row.anchor) == (0, 1, 2, "a1-c1-p2")
        assert row.quote.startswith("一是整合证照信息")
    assert answer.headers["Location"].endswith(f"#thread-{row.id}")
    shown = page(fushen, message_id)
    assert f'href="#thread-{row.id}" data-thread="{row.id}">意见 1</a>' in shown  # the badge in the preview
    assert "已添加意见（第1篇 · 案例01 · 第2段）" in shown
    jiaodui = as_user(app, "jiaodui")
    refused = jiaodui.post(f"/review/comments/{row.id}/resolve",
                           data={"csrf_token": TOKEN.search(page(jiaodui, message_id)).group(1)})
    assert refused.status_code == 403 and "只有提出这条意见的李科长或编辑可以把它标为已解决" in refused.get_data(as_text=True)
    bianji = as_user(app, "bianji")
    reply = post(bianji, message_id, f"/review/messages/{message_id}/comments", parent_id=str(row.id),
                 body="已按审批系统核实，3 个工作日")
    assert reply.status_code == 302
    resolved = bianji.post(f"/review/comments/{row.id}/resolve",
                           data={"csrf_token": TOKEN.search(page(bianji, message_id)).group(1)})
    final = bianji.get(resolved.headers["Location"]).get_data(as_text=True)
    assert "已把这条意见标为已解决。" in final and "意见 1（已解决）" in final and "3 个工作日" in final
    empty = post(fushen, message_id, f"/review/messages/{message_id}/comments", where="", body="  ")
    assert empty.status_code == 400 and "意见内容（body）不能为空" in empty.get_data(as_text=True)


def test_the_header_counts_my_waiting_items_and_the_list_links_them(app, runtime, office):
    message_id, _ = office
    bianji = as_user(app, "bianji")
    home = bianji.get("/review").get_data(as_text=True)
    assert 'class="notice-link">审核（2）</a>' in home and 'href="/review" aria-current="page"' in home
    assert "操作日志" not in home  # the log is for admins, approvers and reviewers
    todo_list = text(home)
    assert "初审" in todo_list and "校对（第 1 轮）" in todo_list and "等待初审" in todo_list
    assert f'href="/review/messages/{message_id}#sign"' in home
    sign(runtime, message_id, "初审", "bianji")
    assert 'class="notice-link">审核（1）</a>' in bianji.get("/review").get_data(as_text=True)
    fushen = as_user(app, "fushen").get("/review").get_data(as_text=True)
    assert "审核（1）" in fushen and '<a href="/audit">操作日志</a>' in fushen  # 复审 (校对 is not theirs)
    with runtime.db.session() as s:
        users.create_user(s, "xitong", OFFICE_PASSWORD, "admin", now=runtime.clock.now(), actor="测试")
    admin = as_user(app, "xitong")
    assert '<a href="/review" aria-current="page">审核</a>' in admin.get("/review").get_data(as_text=True)
    assert "管理员负责系统维护，不参与审核" in page(admin, message_id)


def test_the_waiting_list_follows_the_chain(runtime, office):
    message_id, _ = office
    policy = runtime.settings.review_policy

    def what(username):
        with runtime.db.session() as s:
            return [i.what for i in todo.waiting_for(s, users.find(s, username), policy)]
    assert what("bianji") == ["初审", "校对（第 1 轮）"] and what("zhongshen") == []
    walk(runtime, message_id, through="复审")
    assert what("fushen") == [] and what("jiaodui") == ["校对（第 1 轮）"] and what("zhongshen") == []
    for by in ("jiaodui", "jiaodui2", "bianji"):
        sign(runtime, message_id, "校对", by, comment="已校对")
    assert what("zhongshen") == ["终审"] and what("jiaodui") == [] and what("bianji") == []
    with runtime.db.session() as s:  # as the API would give it
        [item] = todo.waiting_for(s, users.find(s, "zhongshen"), policy)
        data = item.as_dict(runtime.settings.tz)
        assert data["what"] == "终审" and data["stage"] == "终审" and data["link"] == f"/review/messages/{message_id}"
        assert data["planned"].endswith("+08:00") and data["version_hash"] == current_hash(runtime, message_id)
    sign(runtime, message_id, "终审", "zhongshen", decision="reject", comment="导语第2段表述不妥")
    assert what("bianji") == ["退回修改：导语第2段表述不妥"] and what("zhongshen") == []
    with runtime.db.session() as s:
        message = s.get(Message, message_id)
        assert [r.status for r in todo.under_review(s, policy)] == ["已退回（终审）"]
        assert message.current_version is not None


def test_one_person_never_signs_two_stages_and_the_page_says_why(app, runtime, office):
    message_id, _ = office
    sign(runtime, message_id, "初审", "bianji")
    with runtime.db.session() as s:  # the editor becomes a reviewer: still not 复审 of the same version
        users.set_role(s, "bianji", "reviewer", actor="测试", now=runtime.clock.now())
    html = page(as_user(app, "bianji"), message_id)
    assert "你已签署初审，不能再签复审（同一人不能签两个环节）" in text(html) and 'id="sign-stage"' not in html


def test_the_composer_links_each_installment_to_its_review_page(app, runtime, office):
    message_id, _ = office
    with runtime.db.session() as s:
        chapter_id = s.get(Message, message_id).chapter_id
    html = as_user(app, "bianji").get(f"/chapters/{chapter_id}/compose").get_data(as_text=True)
    assert f'href="/review/messages/{message_id}"' in html and "审核页（三审三校：意见、签署）" in html
    review = page(as_user(app, "fushen"), message_id)
    assert f'href="/chapters/{chapter_id}/compose"' in review  # and back


def test_a_case_edited_after_composing_makes_the_page_say_it_is_out_of_date(app, runtime, office):
    from wxpub.library import editing
    from wxpub.models import Case

    message_id, _ = office
    fushen = as_user(app, "fushen")
    before = page(fushen, message_id)
    with runtime.db.session() as s:
        message = s.get(Message, message_id)
        case = s.scalars(select(Case).where(Case.chapter_id == message.chapter_id).order_by(Case.position)).first()
        lead = list(case.current_version.content["lead"])
        editing.save_content(s, case.id, {"lead": [lead[0] + "（补充）", *lead[1:]]}, actor="bianji",
                             now=runtime.clock.now(), tz=runtime.settings.tz)
    html = page(fushen, message_id)
    assert "本页内容已过时。" in html and 'id="sign-proofread"' not in html and 'id="comment-form"' not in html
    stale = fushen.post(f"/review/messages/{message_id}/comments", data={
        "csrf_token": TOKEN.search(before).group(1), "where": "a1-c1-p1", "body": "还能写吗？",
        "version_hash": current_hash(runtime, message_id)})
    assert stale.status_code == 409 and "这一版本已过时" in stale.get_data(as_text=True)
    assert "内容已修改，需重新生成" in as_user(app, "bianji").get("/review").get_data(as_text=True)


def test_the_header_count_follows_a_release_the_scheduler_moves_without_an_audit_row(app, runtime, office):
    """The header's 我的待办 count is kept between pages until something it depends on changes:
    a release's state move (the scheduler's, which writes no audit row) is one of those."""
    from wxpub.models import Release
    from wxpub.releases import transitions

    message_id, _ = office
    bianji = as_user(app, "bianji")
    assert 'class="notice-link">审核（2）</a>' in bianji.get("/review").get_data(as_text=True)
    assert 'class="notice-link">审核（2）</a>' in bianji.get("/review").get_data(as_text=True)  # kept
    with runtime.db.session() as s:
        release = s.scalar(select(Release).where(Release.message_id == message_id))
        transitions.cancel(s, release, reason="计划中已删除该篇章", actor="scheduler", now=runtime.clock.now())
        s.commit()
    assert '<a href="/review" aria-current="page">审核</a>' in bianji.get("/review").get_data(as_text=True)
