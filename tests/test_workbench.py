"""工作台 (/workbench) as staff see it after logging in: what needs me now (reviews waiting for me,
failed or held releases, open alerts), the next releases in Beijing time, and how long each
account has gone without publishing — with plain-Chinese empty states."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from auth_helpers import login
from publishing_helpers import apply_and_approve, import_samples, plan_file
from review_helpers import OFFICE_PASSWORD, make_office, planned_message
from wxpub.models import Release
from wxpub.notify import alerts
from wxpub.releases import transitions


@pytest.fixture
def office(runtime):
    make_office(runtime)
    return runtime


def _section(html: str, ident: str) -> str:
    """The element with ``id=ident`` up to the next card or section (enough for assertions)."""
    start = html.index(f'id="{ident}"')
    ends = [i for i in (html.find('class="panel wb-card', start + 1), html.find("<section", start + 1)) if i > 0]
    return html[start:min(ends) if ends else len(html)]


def test_home_sends_a_logged_in_person_to_the_workbench_and_keeps_the_status_page_for_others(app, office):
    anonymous = app.test_client()
    assert "服务状态" in anonymous.get("/").get_data(as_text=True)
    assert anonymous.get("/workbench").status_code == 302  # to the login page
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/workbench")


def test_an_empty_office_reads_plainly(app, office):
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    html = client.get("/workbench").get_data(as_text=True)
    assert "工作台" in html and "没有待处理的事项" in html
    assert "没有已排期的发布" in html and "还没有公众号账号" in html


def test_reviews_waiting_for_me_are_counted_and_linked(app, office, tmp_path):
    message_id, release_id = planned_message(office, tmp_path, "市场环境", days=3)
    approver, _ = login(app, "zhongshen", OFFICE_PASSWORD)  # the one stage (终审) is the approver's
    mine = _section(approver.get("/workbench").get_data(as_text=True), "wb-reviews")
    assert re.search(r'wb-count wb-hot">1<', mine)
    assert f'href="/review/messages/{message_id}"' in mine and "终审" in mine
    editor, _ = login(app, "bianji", OFFICE_PASSWORD)
    assert "没有等你审核的稿件" in _section(editor.get("/workbench").get_data(as_text=True), "wb-reviews")


def test_failed_and_held_releases_alerts_and_the_next_releases(app, office, tmp_path):
    rt = office
    import_samples(rt)
    ids = apply_and_approve(rt, plan_file(tmp_path, start=rt.clock.now() + timedelta(hours=2)))
    now = rt.clock.now()
    with rt.db.session() as s:
        transitions.failed(s, s.get(Release, ids[0]), errcode=45166, message="内容含有违规信息，微信拒绝发布",
                           actor="scheduler", now=now, settings=rt.settings)
        transitions.hold(s, s.get(Release, ids[1]), reason="错过发布时间太久，等待人工决定", actor="scheduler",
                         now=now, settings=rt.settings)
        s.commit()
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    html = client.get("/workbench").get_data(as_text=True)
    assert "没有待处理的事项" not in html
    trouble = _section(html, "wb-trouble")
    assert f'href="/releases/{ids[0]}"' in trouble and f'href="/releases/{ids[1]}"' in trouble
    assert "失败" in trouble and "已暂停" in trouble and "内容含有违规信息" in trouble
    shown = _section(html, "wb-alerts")
    assert re.search(r'wb-count wb-hot">2<', shown)  # the failure and the hold: one alert each
    assert 'href="/alerts"' in shown and "违规信息" in shown
    upcoming = _section(html, "wb-upcoming")
    # the two still approved, soonest first, in Beijing time (plan: 11:00 Beijing, a day apart)
    rows = re.findall(r'<tr>(.*?)</tr>', upcoming, flags=re.S)[1:]  # after the header row
    assert len(rows) == 2
    assert "2026-03-04 11:00" in rows[0] and "法治环境" in rows[0] and "发布" in rows[0] and "已审批待发" in rows[0]
    assert "2026-03-05 11:00" in rows[1] and "人文环境" in rows[1]


def test_account_status_counts_days_since_the_last_publication(app, office, tmp_path):
    rt = office
    import_samples(rt)
    ids = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境", "政务环境"),
                                          start=rt.clock.now() + timedelta(hours=2), interval="30d"))
    with rt.db.session() as s:  # published by hand 11 days ago (the liveness tests publish for real)
        release = s.get(Release, ids[0])
        transitions.manual(s, release, urls=["https://mp.weixin.qq.com/s/abc"], msg_data_id=None,
                           actor="bianji", now=rt.clock.now())
        s.execute(update(Release).where(Release.id == ids[0])
                  .values(published_at=rt.clock.now() - timedelta(days=11, hours=1)))
        s.commit()
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    html = client.get("/workbench").get_data(as_text=True)
    status = html[html.index('id="wb-accounts"'):]
    assert "新政服" in status and "<b>11</b> 天未发布" in status and "已达 10 天提醒线" in status
    assert "上次发布：2026-02-19 08:00" in status  # 01:00 UTC − 11 days 1 hour, in Beijing time
    assert "下一次发布：2026-04-01 11:00" in status
    assert "10 天未更新提醒，14 天未更新告警" in html


def test_the_workbench_takes_a_handful_of_queries(app, office, tmp_path):
    rt = office
    import_samples(rt)
    apply_and_approve(rt, plan_file(tmp_path, start=rt.clock.now() + timedelta(hours=2)))
    with rt.db.session() as s:
        for i in range(20):
            alerts.raise_alert(s, cause=f"release:{i}:failed", message=f"问题 {i}", now=rt.clock.now())
        s.commit()
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)
    event.listen(rt.db.engine, "before_cursor_execute", count)
    try:
        assert client.get("/workbench").status_code == 200
    finally:
        event.remove(rt.db.engine, "before_cursor_execute", count)
    # the login session and the accounts its user may see, the header's counts (notices, 我的待办)
    # and the page's own dozen reads, whatever the number of alerts and releases
    assert len(statements) <= 26
