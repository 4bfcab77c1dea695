"""手机预览 end to end against a live sandbox: a request is one commit (preview row, outbox row, audit
row), delivery sends exactly that version's draft to the colleague's 微信号, failures are recorded in
Chinese, a retry or a second deliverer never sends twice, and the scheduler's outbox job delivers
what the web request left."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select, update

from publishing_helpers import sandbox_calls
from review_helpers import current_hash, make_office, planned_message
from wxpub.core.errors import Conflict, Forbidden, ValidationError
from wxpub.editorial import phone_preview
from wxpub.models import AuditEntry, Message, OutboxMessage, PhonePreview, User
from wxpub.notify import outbox

FUSHEN_WX = "likezhang2026"       # 李科长's 微信号: one of the sandbox's followers
ZHONGSHEN_WX = "zhangzhuren2026"  # 张主任's


@pytest.fixture
def office(rt, tmp_path):
    make_office(rt)
    message_id, _release = planned_message(rt, tmp_path)
    with rt.db.session() as s:
        phone_preview.set_wechat_id(s, "fushen", FUSHEN_WX, actor="fushen", now=rt.clock.now())
        phone_preview.set_wechat_id(s, "zhongshen", ZHONGSHEN_WX, actor="zhongshen", now=rt.clock.now())
    return message_id


def ask(rt, message_id, to="fushen", by="bianji", version_hash=None):
    with rt.db.session() as s:
        row = phone_preview.request(s, message_id, version_hash=version_hash or current_hash(rt, message_id),
                                    to_username=to, by=by, now=rt.clock.now())
        return row.id


def preview_row(rt, preview_id) -> PhonePreview:
    with rt.db.session() as s:
        return s.get(PhonePreview, preview_id)


def previews_sent(sandbox) -> list[dict]:
    return requests.get(f"{sandbox.url}/sandbox/previews", timeout=5).json()["previews"]


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_a_request_is_delivered_and_the_phone_gets_exactly_that_version(rt, sandbox, office):
    preview_id = ask(rt, office)
    with rt.db.session() as s:
        row = s.get(PhonePreview, preview_id)
        assert (row.status, row.to_username, row.to_wxname) == ("pending", "fushen", FUSHEN_WX)
        box = s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "phone_preview"))
        assert box.payload == {"preview_id": preview_id} and box.delivered_at is None
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "phone_preview.request"))
        assert audit.actor == "bianji" and audit.detail["to"] == "fushen"
        version = s.get(Message, office).current_version
        titles = [a.title for a in version.articles]
        bodies = [text_of(a.html) for a in version.articles]
    assert previews_sent(sandbox) == []  # nothing leaves before delivery
    assert phone_preview.deliver(rt, preview_id) == "sent"
    row = preview_row(rt, preview_id)
    [shown] = previews_sent(sandbox)
    assert shown["recipient"]["wxname"] == FUSHEN_WX
    assert str(shown["msg_id"]) == row.msg_id and shown["media_id"] == row.media_id
    assert [a["title"] for a in shown["articles"]] == titles
    for body, article in zip(bodies, shown["articles"]):
        assert body[:60] in text_of(article["content"])
    assert row.finished_at is not None and row.error_message is None


def test_a_second_preview_of_the_same_version_reuses_its_draft_and_images(rt, sandbox, office):
    assert phone_preview.deliver(rt, ask(rt, office, to="fushen")) == "sent"
    uploads = len(sandbox_calls(sandbox.url, "/media/uploadimg")) + len(sandbox_calls(sandbox.url, "/add_material"))
    assert phone_preview.deliver(rt, ask(rt, office, to="zhongshen")) == "sent"
    assert len(sandbox_calls(sandbox.url, "/draft/add")) == 1
    assert len(sandbox_calls(sandbox.url, "/media/uploadimg")) + len(sandbox_calls(sandbox.url, "/add_material")) == uploads
    first, second = previews_sent(sandbox)
    assert first["media_id"] == second["media_id"]
    assert [p["recipient"]["wxname"] for p in (first, second)] == [FUSHEN_WX, ZHONGSHEN_WX]


def test_a_deleted_draft_is_made_again(rt, sandbox, office):
    first = ask(rt, office)
    phone_preview.deliver(rt, first)
    media_id = preview_row(rt, first).media_id
    requests.post(f"{sandbox.url}/cgi-bin/draft/delete", params={"access_token": sandbox.token()},
                  json={"media_id": media_id}, timeout=5)  # someone cleaned the draft box in the MP web UI
    again = ask(rt, office, to="zhongshen")
    assert phone_preview.deliver(rt, again) == "sent"
    assert preview_row(rt, again).media_id != media_id
    assert len(previews_sent(sandbox)) == 2


def test_an_unknown_wechat_id_fails_in_plain_chinese_and_is_not_retried(rt, sandbox, office):
    with rt.db.session() as s:
        phone_preview.set_wechat_id(s, "jiaodui", "zhao_not_following", actor="jiaodui", now=rt.clock.now())
    preview_id = ask(rt, office, to="jiaodui")
    assert phone_preview.deliver(rt, preview_id) == "failed"
    row = preview_row(rt, preview_id)
    assert row.error_code == 40132
    assert row.error_message.startswith("微信号不合法") and "个人设置" in row.error_message
    assert "rid:" in row.error_message  # what WeChat support asks for
    assert outbox.deliver_due(rt, worker="scheduler") == 0
    assert phone_preview.deliver(rt, preview_id) == "failed"
    assert previews_sent(sandbox) == []
    assert len(sandbox_calls(sandbox.url, "/message/mass/preview", ok_only=False)) == 1


def test_the_day_limit_is_explained(rt, sandbox, office):
    sandbox.control("errors", {"path": "/cgi-bin/message/mass/preview", "errcode": 45009})
    preview_id = ask(rt, office)
    assert phone_preview.deliver(rt, preview_id) == "failed"
    assert "每天 100 次" in preview_row(rt, preview_id).error_message


def test_a_retry_never_sends_twice(rt, sandbox, office):
    preview_id = ask(rt, office)
    assert phone_preview.deliver(rt, preview_id) == "sent"
    assert phone_preview.deliver(rt, preview_id) == "sent"
    assert outbox.deliver_due(rt, worker="scheduler") == 0
    assert len(previews_sent(sandbox)) == 1
    # Asking twice while the first is still pending (a double click) gives the same request.
    with rt.db.session() as s:
        s.execute(update(PhonePreview).values(status="pending"))
        s.commit()
    assert ask(rt, office) == preview_id


def test_wechat_busy_is_retried_by_the_outbox_job(rt, sandbox, office):
    sandbox.control("errors", {"path": "/cgi-bin/message/mass/preview", "errcode": -1})
    preview_id = ask(rt, office)
    assert phone_preview.deliver(rt, preview_id) == "pending"
    row = preview_row(rt, preview_id)
    assert "自动重试" in row.error_message and "繁忙" in row.error_message
    assert outbox.deliver_due(rt, worker="scheduler") == 0  # not due yet: backing off
    with rt.db.session() as s:
        s.execute(update(OutboxMessage).values(next_try_at=rt.clock.now()))
        s.commit()
    assert outbox.deliver_due(rt, worker="scheduler") == 1
    assert preview_row(rt, preview_id).status == "sent"
    assert len(previews_sent(sandbox)) == 1


def test_a_connection_dropped_after_sending_is_reported_not_resent(rt, sandbox, office):
    phone_preview.deliver(rt, ask(rt, office, to="zhongshen"))  # the draft exists: the next call is the preview
    sandbox.control("faults", {"force": "reset", "path": "/cgi-bin/message/mass/preview"})
    preview_id = ask(rt, office)
    assert phone_preview.deliver(rt, preview_id) == "failed"
    assert "可能已经发出" in preview_row(rt, preview_id).error_message
    with rt.db.session() as s:
        s.execute(update(OutboxMessage).values(next_try_at=rt.clock.now()))
        s.commit()
    assert outbox.deliver_due(rt, worker="scheduler") == 0
    assert [p["recipient"]["wxname"] for p in previews_sent(sandbox)] == [ZHONGSHEN_WX, FUSHEN_WX]


def test_the_outbox_job_delivers_what_the_web_request_left(rt, sandbox, office):
    preview_id = ask(rt, office)  # the web process died before delivering
    assert outbox.deliver_due(rt, worker="scheduler") == 1
    assert preview_row(rt, preview_id).status == "sent" and len(previews_sent(sandbox)) == 1
    assert phone_preview.deliver(rt, preview_id) == "sent"
    assert len(previews_sent(sandbox)) == 1


def test_a_request_is_checked_before_anything_is_written(rt, office):
    with pytest.raises(ValidationError, match="还没有填写微信号.*个人设置"):
        ask(rt, office, to="jiaodui2")
    with pytest.raises(Conflict, match="已不是当前版本"):
        ask(rt, office, version_hash="0" * 64)
    with rt.db.session() as s:
        s.execute(update(User).where(User.username == "fushen").values(active=False))
        s.commit()
    with pytest.raises(Conflict, match="已停用"):
        ask(rt, office, to="fushen")
    with rt.db.session() as s:
        assert s.scalar(select(PhonePreview)) is None and s.scalar(select(OutboxMessage)) is None
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "phone_preview.request")) is None


def test_a_wechat_id_is_checked_audited_and_only_its_owner_or_an_admin_sets_it(rt, office):
    now = rt.clock.now()
    with rt.db.session() as s:
        for bad in ("1abcdef", "abc", "has space1", "x" * 21, "张三的微信号"):
            with pytest.raises(ValidationError, match="“微信号”格式不对"):
                phone_preview.set_wechat_id(s, "jiaodui", bad, actor="jiaodui", now=now)
        with pytest.raises(Forbidden):
            phone_preview.set_wechat_id(s, "jiaodui", "zhao_jiaodui", actor="bianji", now=now)
        user, changed = phone_preview.set_wechat_id(s, "jiaodui", " Zhao-jiaodui_1 ", actor="jiaodui", now=now)
        assert changed and user.wechat_id == "Zhao-jiaodui_1"
        assert phone_preview.set_wechat_id(s, "jiaodui", "Zhao-jiaodui_1", actor="jiaodui", now=now)[1] is False
        phone_preview.set_wechat_id(s, "jiaodui", "", actor="jiaodui", now=now)
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.wechat_id",
                                                  AuditEntry.object_id == "jiaodui")
                         .order_by(AuditEntry.id)).all()  # without an order PostgreSQL may answer either
        assert [(r.detail["before"], r.detail["after"]) for r in rows] == [("", "Zhao-jiaodui_1"),
                                                                           ("Zhao-jiaodui_1", "")]
        assert {u.username for u in phone_preview.recipients(s)} == {"zhongshen", "fushen"}


# ----- the page: /review/messages/<id>/phone ---------------------------------------------------

@pytest.fixture
def web(rt):
    """The web app on the sandbox runtime, logged in as the editor 王编辑."""
    from auth_helpers import login
    from review_helpers import OFFICE_PASSWORD
    from wxpub import create_app

    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    make_office(rt)
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    return client


def form_of(html: str) -> dict:
    from bs4 import BeautifulSoup

    form = BeautifulSoup(html, "html.parser").select_one("form[action$='/phone']")
    return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}


def test_the_page_sends_to_a_chosen_colleague_and_lists_what_was_sent(rt, sandbox, office, web):
    from bs4 import BeautifulSoup

    page = web.get(f"/review/messages/{office}/phone")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    choices = {i["value"]: i.find_parent("label").get_text(" ", strip=True)
               for i in soup.select("input[name=to_username]")}  # every choice inside its label
    assert set(choices) == {"fushen", "zhongshen"} and "微信号 likezhang2026" in choices["fushen"]
    assert soup.select_one("fieldset.recipients legend").get_text() == "收件的同事"
    assert "还没有发送过手机预览" in soup.get_text()
    assert f"{sandbox.url}/sandbox/previews.html" in str(soup)  # the app talks to the sandbox
    fields = form_of(str(soup))
    answer = web.post(f"/review/messages/{office}/phone", data={**fields, "to_username": "fushen"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/phone#previews")
    html = web.get(f"/review/messages/{office}/phone").get_data(as_text=True)
    assert "已发送到李科长（复审）的微信（微信号 likezhang2026）" in html
    row = BeautifulSoup(html, "html.parser").select_one("table.previews tbody tr")
    assert "已发送" in row.get_text() and "王编辑" in row.get_text()
    assert row.select_one("a")["href"].startswith(f"{sandbox.url}/sandbox/previews.html?wxname=likezhang2026")
    assert len(previews_sent(sandbox)) == 1


def test_the_page_shows_a_failure_and_a_stale_version_in_chinese(rt, sandbox, office, web):
    with rt.db.session() as s:
        phone_preview.set_wechat_id(s, "jiaodui", "zhao_not_following", actor="jiaodui", now=rt.clock.now())
    fields = form_of(web.get(f"/review/messages/{office}/phone").get_data(as_text=True))
    web.post(f"/review/messages/{office}/phone", data={**fields, "to_username": "jiaodui"})
    html = web.get(f"/review/messages/{office}/phone").get_data(as_text=True)
    assert "没能发到赵校对（校对）的微信：微信号不合法" in html and "发送失败" in html
    from bs4 import BeautifulSoup
    row = BeautifulSoup(html, "html.parser").select_one("table.previews tbody tr")
    assert row.select_one("span.error").get_text().startswith("微信号不合法")
    assert "40132" in row.select_one("details.tech code").get_text()  # the rid and code, folded away
    stale = web.post(f"/review/messages/{office}/phone", data={**fields, "version_hash": "f" * 64,
                                                               "to_username": "fushen"})
    assert stale.status_code == 409 and "已不是当前版本" in stale.get_data(as_text=True)


def test_the_page_says_where_to_set_a_wechat_id_when_nobody_has_one(rt, tmp_path, web):
    message_id, _release = planned_message(rt, tmp_path)
    html = web.get(f"/review/messages/{message_id}/phone").get_data(as_text=True)
    assert "还没有同事填写微信号" in html and 'href="/profile"' in html and "账号管理" in html
    assert 'name="to_username"' not in html
    assert web.get("/review/messages/999999/phone").status_code == 404
