"""One page per release (``/releases/<id>``) and the release list (``/releases``): what staff read
on a planned, a failed and a published release; every action through its form (the state moves,
the flash, the transition and the audit row); who may act; CSRF; the fallback pack as a zip."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from auth_helpers import login
from publishing_helpers import (apply_and_approve, import_samples, plan_file,
                               published_through_the_sandbox, refused_by_the_sandbox)
from review_helpers import OFFICE_PASSWORD, make_office
from wxpub.models import AuditEntry, Release, ReleaseTransition
from wxpub.releases import plans as release_plans, transitions

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = "https://mp.weixin.qq.com/s?__biz=MzA5NjY3ODQ2MQ==&mid=2650001234&idx=1&sn=9f3c2a1b7e"
RID = "65f0a1b2-4c3d2e1f-7a8b9c0d"


def _text(html: str) -> str:
    """The page's visible text, tags dropped and spaces folded (for reading it as a person would)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _token(client, url: str) -> str:
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def _post(client, release_id: int, action: str, **form):
    url = f"/releases/{release_id}"
    return client.post(f"{url}/{action}", data={"csrf_token": _token(client, url), **form})


def _state(rt, release_id: int) -> str:
    with rt.db.session() as s:
        return s.get(Release, release_id).state


def _last_move(rt, release_id: int):
    with rt.db.session() as s:
        row = s.scalars(select(ReleaseTransition).where(ReleaseTransition.release_id == release_id)
                        .order_by(ReleaseTransition.id.desc())).first()
        return row.from_state, row.to_state, row.actor, row.reason


def _audit(rt, action: str) -> list[AuditEntry]:
    with rt.db.session() as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def _fail(rt, release_id: int, *, message="微信拒绝了这篇内容（内容不合规）", rid=RID) -> None:
    """Fail the release as the publisher does when WeChat refuses for good (pack written too)."""
    with rt.db.session() as s:
        release = s.get(Release, release_id)
        transitions.failed(s, release, errcode=45166, message=message, actor="pub-host:4242",
                           now=rt.clock.now(), settings=rt.settings,
                           detail={"error": f"invalid content hint: [abc] rid: {rid}"})
        s.commit()


@pytest.fixture
def desk(app, runtime, tmp_path):
    """Two approved releases (2026-03-05 and 03-06 09:00 Beijing) and the editor's client."""
    make_office(runtime)
    import_samples(runtime)
    ids = apply_and_approve(runtime, plan_file(tmp_path, chapters=("市场环境", "政务环境"),
                                               start=runtime.clock.now() + timedelta(days=3)))
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    return ids, client


def test_a_planned_release_shows_its_header_review_and_the_moves_it_allows(app, runtime, tmp_path):
    make_office(runtime)
    import_samples(runtime)
    path = plan_file(tmp_path, chapters=("人文环境",), start=runtime.clock.now() + timedelta(days=3))
    with runtime.db.session() as s:
        report = release_plans.apply_plan(s, release_plans.load(s, path, now=runtime.clock.now()),
                                          settings=runtime.settings, now=runtime.clock.now(), actor="测试")
        [release] = report.created
        rid_, message_id = release.id, release.message_id
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    answer = client.get(f"/releases/{rid_}")
    assert answer.status_code == 200
    page = _text(answer.get_data(as_text=True))
    assert "2023年度滨海新区优化营商环境创新实践案例展示 · 人文环境" in page
    assert "待审批" in page and "新政服" in page and "2026-03-05 09:00" in page and "北京时间" in page
    assert "不通知粉丝" in page  # 发布, explained
    assert "审核未完成" in page and "终审" in page  # the single-stage office still needs its 终审
    assert f'href="/review/messages/{message_id}"' in answer.get_data(as_text=True)
    html = answer.get_data(as_text=True)
    assert f"/releases/{rid_}/reschedule" in html and f"/releases/{rid_}/cancel" in html
    for absent in ("retry", "manual", "hold", "resume"):  # not moves a planned release can make
        assert f"/releases/{rid_}/{absent}" not in html
    assert "还没有检查记录" in page and "还没有发布记录" in page


def test_a_failed_release_shows_the_reason_wechats_rid_the_pack_and_its_moves(desk, runtime):
    ids, client = desk
    _fail(runtime, ids[0])
    html = client.get(f"/releases/{ids[0]}").get_data(as_text=True)
    page = _text(html)
    assert "失败原因" in page and "微信拒绝了这篇内容（内容不合规）" in page and "微信错误码 45166" in page
    assert f'<code class="rl-rid" id="rid">{RID}</code>' in html  # selectable, with a copy button
    assert f"/releases/{ids[0]}/pack.zip" in html and "下载手工发布材料" in page
    assert "定时发布程序（pub-host:4242）" in page  # who moved it, as staff read it
    assert "已审批待发 → 失败" in page and "发布失败" in page
    for action in ("retry", "manual", "cancel", "reschedule"):
        assert f"/releases/{ids[0]}/{action}" in html, action
    assert f"/releases/{ids[0]}/hold" not in html and f"/releases/{ids[0]}/resume" not in html


def test_a_release_refused_by_the_sandbox_shows_the_rid_wechat_gave(rt, tmp_path, sandbox, sandbox_sleep):
    from wxpub import create_app

    make_office(rt)
    rid_ = refused_by_the_sandbox(rt, tmp_path, sandbox, sandbox_sleep)
    app = create_app(runtime=rt)
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    data = client.get(f"/api/v1/releases/{rid_}").get_json()
    [failure] = [a for a in data["attempts"] if a["step"] == "failed"]
    html = client.get(f"/releases/{rid_}").get_data(as_text=True)
    assert failure["rid"] and f'id="rid">{failure["rid"]}</code>' in html
    assert data["error_message"] in html and "45166" in html


def test_a_published_release_links_its_articles_and_shows_its_checks(rt, tmp_path, sandbox, sandbox_sleep):
    from wxpub import create_app

    make_office(rt)
    rid_ = published_through_the_sandbox(rt, tmp_path, sandbox_sleep)
    app = create_app(runtime=rt)
    client, _ = login(app, "zhongshen", OFFICE_PASSWORD)
    html = client.get(f"/releases/{rid_}").get_data(as_text=True)
    page = _text(html)
    with rt.db.session() as s:
        urls = s.get(Release, rid_).article_urls
    assert urls and all(f'href="{u}"' in html for u in urls)
    assert "已发布" in page and "发布前 24 小时检查 ： 通过" in page
    assert "发布前 24 小时检查" in page and "微信保存的草稿与发送的内容一致" in page
    assert "提交微信" in page and "发布完成" in page  # the attempt log in words
    assert "发布中 → 已发布" in page
    assert 'action="/releases/' not in html  # nothing left to do with it
    assert "data-status-url" not in html  # not in flight: no polling
    assert f'href="/comments?release={rid_}"' in html  # its readers' comments are one click away


def test_hold_resume_and_reschedule_through_the_forms(desk, runtime):
    ids, client = desk
    answer = _post(client, ids[0], "hold", reason="等领导确认")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/releases/{ids[0]}")
    assert _state(runtime, ids[0]) == "held"
    assert _last_move(runtime, ids[0])[:3] == ("approved", "held", "bianji")
    [audit] = _audit(runtime, "release.hold")
    assert audit.actor == "bianji" and audit.detail["reason"] == "等领导确认"
    page = _text(client.get(f"/releases/{ids[0]}").get_data(as_text=True))
    assert "已暂停发布" in page and "工作人员暂停：等领导确认" in page and "暂停原因" in page

    assert _post(client, ids[0], "resume").status_code == 302
    assert _state(runtime, ids[0]) == "approved"
    assert "已恢复发布" in _text(client.get(f"/releases/{ids[0]}").get_data(as_text=True))

    answer = _post(client, ids[0], "reschedule", date="2026-03-07", time="10:30")
    assert answer.status_code == 302
    with runtime.db.session() as s:
        moved = s.get(Release, ids[0])
        assert moved.scheduled_at.astimezone(runtime.settings.tz).strftime("%Y-%m-%d %H:%M") == "2026-03-07 10:30"
        assert moved.state == "approved"
    page = _text(client.get(f"/releases/{ids[0]}").get_data(as_text=True))
    assert "已改期" in page and "2026-03-07 10:30" in page and "请注意：2026-03-07 10:30 周六 是周末" in page
    assert "手动改期；重新应用发布计划时保留这个时间" in page
    assert _audit(runtime, "release.reschedule")[0].actor == "bianji"
    # typed with a Chinese input method: full-width digits and colon, no leading zeros
    assert _post(client, ids[0], "reschedule", date="２０２６-3-9", time="８：05").status_code == 302
    with runtime.db.session() as s:
        moved = s.get(Release, ids[0])
        assert moved.scheduled_at.astimezone(runtime.settings.tz).strftime("%Y-%m-%d %H:%M") == "2026-03-09 08:05"


def test_a_bad_new_time_is_shown_beside_the_form_with_what_was_typed(desk, runtime):
    ids, client = desk
    for date, time, words in (("", "10:00", "请填写日期"), ("07/03/2026", "10:00", "YYYY-MM-DD"),
                              ("2026-03-07", "25:00", "HH:MM"), ("2026-02-30", "10:00", "不是有效的日期"),
                              ("2026-03-01", "10:00", "已经过去")):
        answer = _post(client, ids[0], "reschedule", date=date, time=time)
        assert answer.status_code == 400, (date, time)
        html = answer.get_data(as_text=True)
        assert "新的发布时间" in html and words in html, (date, time)
        assert f'value="{date}"' in html
    with runtime.db.session() as s:
        assert s.get(Release, ids[0]).scheduled_at.astimezone(runtime.settings.tz).day == 5
    # the 群发 quota and other refusals of the state model come back the same way
    _post(client, ids[0], "cancel", confirm="1")
    answer = _post(client, ids[0], "hold", reason="试一下")
    assert answer.status_code == 409 and "已取消" in answer.get_data(as_text=True)


def test_cancel_and_retry_need_the_ticked_box(desk, runtime):
    ids, client = desk
    answer = _post(client, ids[0], "cancel")
    assert answer.status_code == 302 and _state(runtime, ids[0]) == "approved"
    assert "取消发布：请先勾选确认框" in client.get(f"/releases/{ids[0]}").get_data(as_text=True)
    assert _post(client, ids[0], "cancel", confirm="1").status_code == 302
    assert _state(runtime, ids[0]) == "canceled"
    assert _last_move(runtime, ids[0])[:3] == ("approved", "canceled", "bianji")
    assert "已取消发布" in client.get(f"/releases/{ids[0]}").get_data(as_text=True)

    _fail(runtime, ids[1])
    assert _post(client, ids[1], "retry").status_code == 302 and _state(runtime, ids[1]) == "failed"
    assert _post(client, ids[1], "retry", confirm="1").status_code == 302
    assert _state(runtime, ids[1]) == "approved"
    assert _last_move(runtime, ids[1])[:3] == ("failed", "approved", "bianji")
    assert _audit(runtime, "release.retry")[0].actor == "bianji"
    assert "已重试" in client.get(f"/releases/{ids[1]}").get_data(as_text=True)


def test_a_manual_publication_is_recorded_from_the_form(desk, runtime):
    ids, client = desk
    _fail(runtime, ids[0])
    bad = _post(client, ids[0], "manual", urls="https://example.com/s/abc", confirm="1")
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "“https://example.com/s/abc”不是公众号文章链接" in html and ">https://example.com/s/abc</textarea>" in html
    unconfirmed = _post(client, ids[0], "manual", urls=LINK)
    assert unconfirmed.status_code == 400 and "请先勾选确认框" in unconfirmed.get_data(as_text=True)
    assert _state(runtime, ids[0]) == "failed"

    answer = _post(client, ids[0], "manual", urls=f"\n  {LINK}  \n\n", confirm="1")
    assert answer.status_code == 302 and _state(runtime, ids[0]) == "manual"
    assert _last_move(runtime, ids[0])[:3] == ("failed", "manual", "bianji")
    [audit] = _audit(runtime, "release.manual")
    assert audit.actor == "bianji" and audit.detail["article_urls"] == [LINK]
    html = client.get(f"/releases/{ids[0]}").get_data(as_text=True)
    assert "已记录人工发布" in html and "人工发布" in html
    assert f'href="{LINK.replace("&", "&amp;")}"' in html
    assert f"/releases/{ids[0]}/manual" not in html  # done: no form any more


def test_a_proofreader_reads_the_page_but_gets_403_on_every_action(desk, app, runtime):
    ids, _ = desk
    client, _ = login(app, "jiaodui", OFFICE_PASSWORD)
    html = client.get(f"/releases/{ids[0]}").get_data(as_text=True)
    assert f'action="/releases/{ids[0]}/' not in html and "由编辑或终审人员进行" in html
    token = _token(client, f"/releases/{ids[0]}")
    for action, form in (("hold", {}), ("cancel", {"confirm": "1"}), ("retry", {"confirm": "1"}),
                         ("resume", {}), ("reschedule", {"date": "2026-03-09", "time": "10:00"}),
                         ("manual", {"urls": LINK, "confirm": "1"})):
        answer = client.post(f"/releases/{ids[0]}/{action}", data={"csrf_token": token, **form})
        assert answer.status_code == 403, action
        assert "没有权限" in answer.get_data(as_text=True)
    assert _state(runtime, ids[0]) == "approved"


def test_a_post_without_the_csrf_token_is_refused(desk, runtime):
    ids, client = desk
    answer = client.post(f"/releases/{ids[0]}/cancel", data={"confirm": "1"})
    assert answer.status_code == 400 and "安全令牌" in answer.get_data(as_text=True)
    assert _state(runtime, ids[0]) == "approved"


def test_the_pages_need_a_login(client):
    assert client.get("/releases").status_code in (302, 401)
    assert client.get("/releases/1").status_code in (302, 401)


def test_the_pack_downloads_as_a_zip_with_utf8_names(desk, runtime):
    ids, client = desk
    none = client.get(f"/releases/{ids[0]}/pack.zip")
    assert none.status_code == 404 and "没有手工发布材料" in none.get_data(as_text=True)
    _fail(runtime, ids[0])
    answer = client.get(f"/releases/{ids[0]}/pack.zip")
    assert answer.status_code == 200 and answer.content_type == "application/zip"
    assert "filename*=UTF-8''" in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    top = f"发布{ids[0]}-手工发布材料"
    names = archive.namelist()
    assert {f"{top}/步骤.txt", f"{top}/index.html", f"{top}/articles.json"} <= set(names)
    assert any(n.startswith(f"{top}/images/") for n in names)
    info = archive.getinfo(f"{top}/步骤.txt")
    assert info.flag_bits & 0x800  # the name is marked UTF-8
    steps = archive.read(f"{top}/步骤.txt").decode("utf-8")
    assert f"wxpub release manual {ids[0]}" in steps and "记录人工发布" in steps
    assert "内容不合规" in steps


def test_a_pack_path_outside_the_fallback_folder_is_never_served(desk, runtime, tmp_path):
    ids, client = desk
    _fail(runtime, ids[0])
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.txt").write_text("不应被下载", encoding="utf-8")
    with runtime.db.session() as s:
        pack_path = Path(s.get(Release, ids[0]).fallback_path)
        (pack_path / "link.txt").symlink_to(secret / "secret.txt")  # a link inside the pack
        (pack_path / "linked").symlink_to(secret)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/releases/{ids[0]}/pack.zip").data))
    assert not any("link" in n or "secret" in n for n in archive.namelist())
    fallback = Path(runtime.settings.instance_path) / "fallback"
    for outside in (str(secret), str(fallback), str(fallback / ".." / "fallback-x"),
                    str(fallback / f"release-{ids[0]}" / ".." / ".." / ".." / "outside"), "/etc"):
        with runtime.db.session() as s:
            s.get(Release, ids[0]).fallback_path = outside
            s.commit()
        answer = client.get(f"/releases/{ids[0]}/pack.zip")
        assert answer.status_code == 404, outside
        assert "没有手工发布材料" in answer.get_data(as_text=True)
    linked = fallback / "release-evil"
    linked.symlink_to(secret)
    with runtime.db.session() as s:
        s.get(Release, ids[0]).fallback_path = str(linked)
        s.commit()
    assert client.get(f"/releases/{ids[0]}/pack.zip").status_code == 404
    assert "下载手工发布材料" not in client.get(f"/releases/{ids[0]}").get_data(as_text=True)


def test_the_list_links_every_release_and_filters(desk, runtime):
    ids, client = desk
    _fail(runtime, ids[1])
    html = client.get("/releases").get_data(as_text=True)
    for release_id in ids:
        assert f'href="/releases/{release_id}"' in html
    assert html.index(f'href="/releases/{ids[1]}"') < html.index(f'href="/releases/{ids[0]}"')  # newest first
    soonest = client.get("/releases?order=soonest").get_data(as_text=True)
    assert soonest.index(f'href="/releases/{ids[0]}"') < soonest.index(f'href="/releases/{ids[1]}"')
    page = _text(html)
    assert "市场环境" in page and "政务环境" in page and "失败" in page and "2026-03-05 09:00" in page
    failed_only = client.get("/releases?state=failed").get_data(as_text=True)
    assert f'href="/releases/{ids[1]}"' in failed_only and f'href="/releases/{ids[0]}"' not in failed_only
    assert "2026年3月" in page  # the month choice, in Chinese
    assert f'href="/releases/{ids[0]}"' not in client.get("/releases?month=2026-04").get_data(as_text=True)
    assert f'href="/releases/{ids[0]}"' in client.get("/releases?account=新政服").get_data(as_text=True)
    bad = client.get("/releases?month=2026-13")
    assert bad.status_code == 400 and "month" in bad.get_data(as_text=True)


def test_the_status_changes_its_signature_when_the_release_moves(desk, runtime, clock):
    ids, client = desk
    first = client.get(f"/releases/{ids[0]}/status.json").get_json()
    assert first["state"] == "approved" and first["live"] is False  # three days ahead
    assert "data-status-url" not in client.get(f"/releases/{ids[0]}").get_data(as_text=True)
    with runtime.db.session() as s:
        release = s.get(Release, ids[0])
        release.scheduled_at = clock.now() + timedelta(minutes=5)
        transitions.start(s, release, actor="pub-host:1", now=clock.now())
        s.commit()
    moved = client.get(f"/releases/{ids[0]}/status.json").get_json()
    assert moved["state"] == "publishing" and moved["live"] is True and moved["signature"] != first["signature"]
    html = client.get(f"/releases/{ids[0]}").get_data(as_text=True)
    assert f'data-status-url="/releases/{ids[0]}/status.json"' in html and "<noscript>" in html
    assert client.get("/releases/99999").status_code == 404


def test_what_wechat_changed_and_failed_checks_are_spelled_out(desk, runtime, clock):
    from wxpub.models import PublishAttempt

    ids, client = desk
    with runtime.db.session() as s:
        s.add(PublishAttempt(release_id=ids[0], step="preflight-24h", worker="preflight", started_at=clock.now(),
                             finished_at=clock.now(), outcome="problems",
                             detail={"problems": ["同一天还有群发（发布 9），订阅号每天只能群发一次"]}))
        s.add(PublishAttempt(release_id=ids[0], step="readback", worker="pub-host:1", started_at=clock.now(),
                             finished_at=clock.now(), outcome="ok", detail={"changes": [
                                 {"article": 1, "field": "title", "sent": "市场环境篇", "stored": "市场环境"},
                                 {"article": 1, "field": "content", "removed": ['<a href="http://x.cn">'],
                                  "added": []}]}))
        s.commit()
    import html as html_lib

    page = html_lib.unescape(_text(client.get(f"/releases/{ids[0]}").get_data(as_text=True)))
    assert "发布前 24 小时检查 ： 有问题" in page and "同一天还有群发（发布 9），订阅号每天只能群发一次" in page
    assert "第 1 篇 · 标题" in page and "发送： 市场环境篇" in page and "微信： 市场环境" in page
    assert "第 1 篇 · 正文" in page and '删去： <a href="http://x.cn">' in page
