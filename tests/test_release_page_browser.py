"""The release page in a real browser (Debian's Chromium) at a desk and on a phone: an editor opens
a failed release, sees why and WeChat's rid, records the manual publication with its confirmation
and sees 人工发布; a release in flight updates by itself. No horizontal scrolling, nothing fetched
from outside."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import login
from publishing_helpers import apply_and_approve, import_samples, plan_file
from review_helpers import OFFICE_PASSWORD, make_office
from wxpub.models import Release
from wxpub.releases import transitions

LINK = "https://mp.weixin.qq.com/s?__biz=MzA5NjY3ODQ2MQ==&mid=2650001234&idx=1&sn=9f3c2a1b7e&chksm=ab12cd34ef56#rd"
RID = "65f0a1b2-4c3d2e1f-7a8b9c0d"
SHOTS = os.environ.get("WXPUB_SHOTS")  # a folder: the test also saves what it saw there


@pytest.fixture
def office(runtime, tmp_path):
    """Two approved releases, the first failed for good (its fallback pack written)."""
    make_office(runtime)
    import_samples(runtime)
    ids = apply_and_approve(runtime, plan_file(tmp_path, chapters=("市场环境", "政务环境"),
                                               start=runtime.clock.now() + timedelta(days=3)))
    with runtime.db.session() as s:
        release = s.get(Release, ids[0])
        transitions.failed(s, release, errcode=45166, message="微信拒绝了这篇内容：内容含有不支持的外链或格式",
                           actor="pub-host:4242", now=runtime.clock.now(), settings=runtime.settings,
                           detail={"error": f"invalid content hint: [xyz] rid: {RID}"})
        s.commit()
    return ids


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_a_failed_release_is_recorded_as_published_by_hand(live_server, offline_page, runtime, office,
                                                           width, height):
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server.url, "bianji", OFFICE_PASSWORD)
    page.goto(f"{live_server.url}/releases")
    assert page.inner_text("h1") == "发布"
    _fits(page, width)
    _shot(page, f"list-{width}")
    with page.expect_navigation():
        page.get_by_role("link", name="市场环境").click()
    assert "失败" in page.inner_text(".rl-head")
    assert page.inner_text("#rid") == RID
    assert page.get_by_role("link", name="下载手工发布材料（zip）").is_visible()
    _fits(page, width)
    _shot(page, f"failed-{width}")

    page.get_by_label("文章链接（每行一个）").fill(LINK)
    page.get_by_label("我确认这次发布已在公众号后台手工完成，系统不要再发送").check()
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()
    page.on("dialog", answer)
    with page.expect_navigation():
        page.get_by_role("button", name="记录人工发布").click()
    assert dialogs and "人工发布" in dialogs[0]
    assert "已记录人工发布" in page.inner_text(".flash-ok")
    assert page.inner_text(".rl-head .rl-state") == "人工发布"
    assert page.get_by_role("link", name=LINK).count() == 1
    assert "失败 → 人工发布" in page.inner_text(".rl-timeline")
    _fits(page, width)
    _shot(page, f"manual-{width}")
    with runtime.db.session() as s:
        assert s.get(Release, office[0]).state == "manual"
    assert page.external_requests == []


@pytest.mark.browser
def test_a_confirm_dialog_dismissed_sends_nothing(live_server, offline_page, runtime, office):
    page = offline_page
    login(page, live_server.url, "bianji", OFFICE_PASSWORD)
    page.goto(f"{live_server.url}/releases/{office[1]}")
    page.get_by_label("我确认取消这次发布").check()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="取消发布").click()
    page.wait_for_timeout(300)
    with runtime.db.session() as s:
        assert s.get(Release, office[1]).state == "approved"


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_a_release_in_flight_updates_by_itself(live_server, offline_page, runtime, office, clock,
                                               width, height):
    with runtime.db.session() as s:
        release = s.get(Release, office[1])
        release.scheduled_at = clock.now() + timedelta(minutes=1)
        transitions.start(s, release, actor="pub-host:1", now=clock.now())
        s.commit()
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server.url, "zhongshen", OFFICE_PASSWORD)
    page.goto(f"{live_server.url}/releases/{office[1]}")
    assert page.inner_text(".rl-head .rl-state") == "发布中"
    assert "自动更新" in page.inner_text("#live-note")
    _fits(page, width)
    _shot(page, f"publishing-{width}")
    with runtime.db.session() as s:
        release = s.get(Release, office[1])
        transitions.published(s, release, urls=["https://mp.weixin.qq.com/s/Zx9Yw8Vu7Ts6Rq5Po4Nm"],
                              actor="publisher", now=clock.now())
        s.commit()
    page.locator(".rl-head .rl-state", has_text="已发布").wait_for(timeout=15000)  # reloaded by itself
    assert page.get_by_role("link", name="https://mp.weixin.qq.com/s/Zx9Yw8Vu7Ts6Rq5Po4Nm").count() == 1
    assert page.locator("#live-note").count() == 0
    _fits(page, width)
    _shot(page, f"published-{width}")
    assert page.external_requests == []
