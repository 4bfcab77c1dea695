"""The 信息发布审核表: every field of a completed chain archived once, the archive untouched by later
edits (a new version gets its own sheet), the live draft marked as such, and the same sheet as a
Word document that opens and carries the fields and hashes."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select

from auth_helpers import login
from review_helpers import OFFICE_PASSWORD, make_office, planned_message, sign, walk
from wxpub.editorial import review, settings as chapter_settings, sheet
from wxpub.library import editing
from wxpub.models import AuditEntry, Case, Message, Release, ReviewSheet


pytestmark = pytest.mark.full_chain


@pytest.fixture
def office(runtime, tmp_path):
    make_office(runtime)
    return planned_message(runtime, tmp_path)


def _archived(runtime, message_id):
    with runtime.db.session() as s:
        version = s.get(Message, message_id).current_version
        row = sheet.frozen(s, version.id)
        return version.id, (dict(row.data), row.sha256, row.id) if row is not None else None


def _page(client, url):
    answer = client.get(url)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def _edit_first_case(runtime, message_id, text):
    with runtime.db.session() as s:
        message = s.get(Message, message_id)
        case = s.scalars(select(Case).where(Case.chapter_id == message.chapter_id)
                         .order_by(Case.position)).first()
        lead = list(case.current_version.content["lead"])
        editing.save_content(s, case.id, {"lead": [lead[0] + text, *lead[1:]]}, actor="bianji",
                             now=runtime.clock.now(), tz=runtime.settings.tz)
        chapter_id = message.chapter_id
    with runtime.db.session() as s:
        chapter_settings.compose(s, chapter_id, {}, actor="bianji", now=runtime.clock.now(),
                                 settings=runtime.settings)


def test_a_completed_chain_archives_every_field_of_the_sheet(runtime, office):
    message_id, release_id = office
    walk(runtime, message_id)
    version_id, (data, sha, _) = _archived(runtime, message_id)
    with runtime.db.session() as s:
        release = s.get(Release, release_id)
        version = s.get(Message, message_id).current_version
        planned = release.scheduled_at.astimezone(runtime.settings.tz).strftime("%Y-%m-%d %H:%M")
        heads = set(s.scalars(select(AuditEntry.row_hash)))
        titles = [a.title for a in version.articles]
    assert data["form"] == "信息发布审核表" and data["office"] == "滨海新区"
    assert data["units"] and all(data["units"])
    assert data["titles"] == titles and all(data["digests"])
    assert data["source"] == {"kind": "原创", "origin": "滨海新区营商环境办"}
    assert (data["account"], data["planned_at"], data["mode"]) == ("新政服", planned, "发布")
    assert data["secret"] is False and data["secrecy_opinion"] == review.DEFAULT_SECRECY_OPINION
    assert data["secrecy_by"] == "李科长"
    assert data["personal_data"] == "未发现身份证号、手机号、银行卡号等个人信息"
    proof = data["proofreading"]
    assert [r["name"] for r in proof["rounds"]] == ["赵校对", "钱校对", "王编辑"]
    assert (proof["done"], proof["required"]) == (3, 3) and all(r["at"] for r in proof["rounds"])
    assert [(st["stage"], st["decision"], st["comment"], st["name"]) for st in data["stages"]] == [
        ("初审", "通过", "同意", "王编辑"), ("复审", "通过", "同意", "李科长"), ("终审", "通过", "同意", "张主任")]
    assert data["stages"][0]["duty"] == "文字表述、错别字、格式" and data["stages"][2]["date"] == "2026年3月2日"
    assert data["stages"][1]["details"] == {"secret": False,
                                            "secrecy_opinion": review.DEFAULT_SECRECY_OPINION}
    assert data["version"] == 1 and data["version_hash"] == version.sha256
    assert data["policy"] == "初审（编辑） → 复审（复审） → 终审（终审）；终审前校对 3 轮"
    assert data["audit_head"] in heads and data["audit_seq"] > 0
    assert data["frozen_at"] == "2026-03-02 09:00" and data["complete"] is True
    assert sha == sheet.digest(data)


def test_the_page_shows_the_archived_sheet_with_its_hashes(app, runtime, office):
    message_id, _ = office
    walk(runtime, message_id)
    version_id, (data, sha, archive_id) = _archived(runtime, message_id)
    client, _ = login(app, "jiaodui", OFFICE_PASSWORD)
    answer = client.get(f"/review/messages/{message_id}/sheet")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/review/versions/{version_id}/sheet")
    page = _page(client, f"/review/versions/{version_id}/sheet")
    for words in ("滨海新区", "信息发布审核表", "报送单位", data["units"][0], "新政服", data["planned_at"],
                  "王编辑", "李科长", "张主任", "结论：<b>通过</b>", "经审查，不涉及国家秘密",
                  "未发现身份证号、手机号、银行卡号等个人信息", "已校对 3 轮（本单位要求 3 轮）",
                  data["version_hash"], sha, f"存档编号：{archive_id}", "初审（编辑） → 复审（复审）"):
        assert words in page, words
    assert "审核未完成" not in page and "<script>" not in page
    assert 'href="/review/versions/%d/sheet.docx"' % version_id in page


def test_before_the_chain_completes_the_sheet_is_a_marked_draft(app, runtime, office):
    message_id, _ = office
    walk(runtime, message_id, through="复审")
    version_id, archived = _archived(runtime, message_id)
    assert archived is None
    client, _ = login(app, "zhongshen", OFFICE_PASSWORD)
    page = _page(client, f"/review/versions/{version_id}/sheet")
    assert "审核未完成（草稿，不可作为存档）：还缺 校对 3 轮、终审" in page
    assert "存档编号：（未存档）" in page and "李科长" in page and "日期：　　年　　月　　日" in page
    with runtime.db.session() as s:
        assert s.scalar(select(ReviewSheet)) is None  # looking at the draft archives nothing


def test_the_archive_does_not_change_after_an_edit_and_the_new_version_gets_its_own(app, runtime, office):
    message_id, _ = office
    walk(runtime, message_id)
    old_id, (data, sha, archive_id) = _archived(runtime, message_id)
    _edit_first_case(runtime, message_id, "（补充说明）")
    new_id, new_archive = _archived(runtime, message_id)
    assert new_id != old_id and new_archive is None
    with runtime.db.session() as s:
        row = sheet.frozen(s, old_id)
        assert (row.data, row.sha256, row.id) == (data, sha, archive_id)
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    old = _page(client, f"/review/versions/{old_id}/sheet")
    assert sha in old and "本消息的当前版本是 v2" in old and "审核签署已作废" in old
    assert client.get(f"/review/messages/{message_id}/sheet").headers["Location"].endswith(
        f"/review/versions/{new_id}/sheet")
    new = _page(client, f"/review/versions/{new_id}/sheet")
    assert "第 2 版" in new and "审核未完成（草稿，不可作为存档）" in new and sha not in new
    assert "v1（已存档）" in new
    walk(runtime, message_id)  # the new version's chain archives a sheet of its own
    with runtime.db.session() as s:
        rows = s.scalars(select(ReviewSheet).order_by(ReviewSheet.id)).all()
        assert [r.message_version_id for r in rows] == [old_id, new_id]
        assert rows[0].sha256 == sha and rows[1].data["version"] == 2


def test_personal_data_is_named_on_the_sheet_masked(app, runtime, office):
    message_id, _ = office
    _edit_first_case(runtime, message_id, "咨询电话13812345678。")
    with runtime.db.session() as s:
        version = s.get(Message, message_id).current_version
        data = sheet.build(s, version.message, version, policy=runtime.settings.review_policy,
                           tz=runtime.settings.tz)
    assert data["personal_data"].startswith("发现 1 处个人信息：") and "138****5678" in data["personal_data"]
    assert "13812345678" not in str(data)
    client, _ = login(app, "fushen", OFFICE_PASSWORD)
    page = _page(client, f"/review/versions/{version.id}/sheet")
    assert "138****5678" in page and "13812345678" not in page


def test_the_word_file_opens_and_carries_the_fields_and_hashes(app, runtime, office):
    message_id, _ = office
    walk(runtime, message_id)
    version_id, (data, sha, archive_id) = _archived(runtime, message_id)
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    answer = client.get(f"/review/versions/{version_id}/sheet.docx")
    assert answer.status_code == 200
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    name = unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1))
    assert name == f"信息发布审核表-消息{message_id}-v1.docx"
    doc = Document(io.BytesIO(answer.data))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    texts = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "信息发布审核表" in texts and "滨海新区" in texts and f"存档编号：{archive_id}" in texts
    for words in ("报送单位", data["units"][0], "标题", data["titles"][0], "内容摘要", "信息来源",
                  "原创（滨海新区营商环境办）", "发布账号", "新政服", "拟发布时间", data["planned_at"],
                  "发布方式", "是否涉密", "保密审查意见", "个人信息检查", "校对情况", "赵校对",
                  "初审意见", "签名：王编辑", "签名：李科长", "签名：张主任", "审核流程",
                  data["version_hash"], data["audit_head"], sha):
        assert words in cells, words
    mono = [r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs
            for r in p.runs if r.text == sha]
    assert mono and mono[0].font.name == "Courier New"


def test_the_draft_word_file_says_it_is_a_draft(app, runtime, office):
    message_id, _ = office
    sign(runtime, message_id, "初审", "bianji")
    version_id, _ = _archived(runtime, message_id)
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    answer = client.get(f"/review/versions/{version_id}/sheet.docx")
    assert "%E8%8D%89%E7%A8%BF.docx" in answer.headers["Content-Disposition"]  # …-草稿.docx
    doc = Document(io.BytesIO(answer.data))
    assert "审核未完成（草稿，不可作为存档）" in "\n".join(p.text for p in doc.paragraphs)


def test_the_sheet_needs_a_login_and_an_existing_version(client, app, runtime, office):
    message_id, _ = office
    assert client.get(f"/review/messages/{message_id}/sheet").status_code in (302, 401)
    viewer, _ = login(app, "bianji", OFFICE_PASSWORD)
    missing = viewer.get("/review/versions/999999/sheet")
    assert missing.status_code == 404 and "没有编号为 999999 的消息版本" in missing.get_data(as_text=True)
