"""评选 in a real browser (Debian's Chromium): an expert on a phone (375 px) opens their sheet, reads
a case as it was published, scores two cases (the second saved after a 回避 change of mind), ticks
the confirmation and submits; the sheet is then read-only with 更正 offered. Every 评选 page, the
office's and the experts', fits 375 and 1280 px without horizontal scrolling and fetches nothing
from outside. ``WXPUB_SHOTS=<folder>`` keeps screenshots (rating-<page>-<width>.png)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import login
from rating_pages_helpers import build
from wxpub.rating import results, rounds, sheets

SHOTS = os.environ.get("WXPUB_SHOTS")


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"rating-{name}.png"), full_page=True)


def _round(rt, ids, *, cases: int | None = 2) -> int:
    """A round over (the first ``cases`` of) the published cases, with 周教授 on the panel."""
    with rt.db.session() as s:
        case_ids = [c for c, _ in ids["cases"]][:cases] if cases else None
        made = rounds.create_round(s, series=ids["series_name"], name="2023年度创新实践案例评选",
                                   deadline=rt.clock.now() + timedelta(days=10), case_ids=case_ids,
                                   actor="bianji", now=rt.clock.now())
        rounds.add_expert(s, made.id, username="zhuanjia", unit="南开大学", actor="bianji", now=rt.clock.now())
        return made.id


@pytest.mark.browser
def test_an_expert_on_a_phone_scores_two_cases_and_submits(runtime, tmp_path, app, live_server, offline_page):
    ids = build(runtime, tmp_path)
    round_id = _round(runtime, ids)
    page = offline_page
    page.set_viewport_size({"width": 375, "height": 812})
    login(page, live_server.url, "zhuanjia", ids["password"])
    assert page.url.endswith("/rate")
    with page.expect_navigation():
        page.click("text=打开评分表")
    _fits(page, 375)
    cards = page.locator("li.rt-sheet-case")
    assert cards.count() == 2
    first = cards.nth(0)
    first.locator("summary").click()  # read the case as published
    assert first.locator(".rt-article").is_visible()
    _fits(page, 375)
    for n, (card, values) in enumerate(((first, ("8", "7.5", "6", "9")), (cards.nth(1), ("6", "6", "7", "5")))):
        for i, value in enumerate(values, start=1):
            card.get_by_label(["创新性", "实效性", "可复制推广性", "示范带动性"][i - 1]).fill(value)
        card.get_by_label("评语（可不填）").fill("做法扎实，可复制")
        with page.expect_navigation():
            card.get_by_role("button", name="保存").click()
        assert "已保存" in page.inner_text(".flash-ok")
        assert page.url.endswith(f"#{card.get_attribute('id')}")
        cards = page.locator("li.rt-sheet-case")
        first = cards.nth(0)
    assert page.locator("li.rt-sheet-case.rt-done").count() == 2
    assert "已填 2 / 2" in page.inner_text("#submit")
    page.get_by_label("确认提交：我已完成全部案例的评分，提交后不能再修改").check()
    with page.expect_navigation():
        page.get_by_role("button", name="提交评分表").click()
    assert "评分表已提交" in page.inner_text(".flash-ok")
    assert page.locator("form.rt-score-form").count() == 0 and page.get_by_label("更正原因").is_visible()
    _fits(page, 375)
    assert page.external_requests == []
    with runtime.db.session() as s:
        sheet = sheets.current_sheet(s, rounds.expert_of_user(s, round_id, "zhuanjia").id)
        assert sheet.state == "submitted" and sheet.sha256


@pytest.mark.browser
def test_every_rating_page_fits_a_phone_and_a_desk(runtime, tmp_path, app, live_server, browser):
    ids = build(runtime, tmp_path)
    round_id = _round(runtime, ids, cases=None)
    now = runtime.clock.now()
    with runtime.db.session() as s:  # a filled round: two sheets, one invited expert, closed, commended
        _, token = rounds.invite_expert(s, round_id, name="郑专家", unit=ids["cases"][0][1], actor="bianji", now=now)
        invited = rounds.expert_by_invite(s, token, now)
        rating_cases = rounds.cases_of(s, round_id)
        for expert_id, base in ((rounds.expert_of_user(s, round_id, "zhuanjia").id, 8), (invited.id, 6)):
            for k, rc in enumerate(rating_cases):
                conflict = expert_id == invited.id and k == 0
                sheets.save_entry(s, expert_id, rc.id, scores={} if conflict else {
                    "创新性": base, "实效性": base - k % 3, "可复制推广性": 7, "示范带动性": 6.5},
                    comment="", conflict=conflict, actor="t", now=now)
            sheets.submit_sheet(s, expert_id, actor="t", now=now)
        open_round = rounds.create_round(s, series=ids["series_name"], name="进行中的评选（邀请链接页）",
                                         deadline=now + timedelta(days=5), actor="bianji", now=now)
        _, open_token = rounds.invite_expert(s, open_round.id, name="钱专家", unit="", actor="bianji", now=now)
        rounds.close_round(s, round_id, actor="bianji", now=now)
        best = results.results(s, round_id)["cases"][0]["case_id"]
        results.commend(s, round_id, best, "一等", actor="bianji", now=now)
        results.sign_off(s, round_id, names=["周教授", "郑专家"], actor="bianji", now=now)
    office = [("list", "/ratings"), ("new", "/ratings/new"), ("detail", f"/ratings/{round_id}"),
              ("detail-open", f"/ratings/{open_round.id}"), ("results", f"/ratings/{round_id}/results"),
              ("print", f"/ratings/{round_id}/results/print"), ("case-badge", f"/library/cases/{best}"),
              ("dashboard-badge", "/dashboard/")]
    experts = [("mine", "/rate"), ("sheet-submitted", f"/rate/{round_id}")]
    for width, height in ((375, 812), (1280, 900)):
        for who, pages in (("guanli", office), ("zhuanjia", experts), (None, [("invited", f"/rate/i/{open_token}")])):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            if who:
                login(page, live_server.url, who, ids["password"])
            for name, path in pages:
                page.goto(live_server.url + path)
                assert page.locator("main, .rt-sheet-print").first.is_visible(), path
                if name == "invited":
                    page.locator("summary").first.click()
                _fits(page, width)
                _shot(page, f"{name}-{width}")
                if name == "print" and width == 1280:  # as it prints: A4 at 96 dpi, the note hidden
                    page.emulate_media(media="print")
                    page.set_viewport_size({"width": 794, "height": 1123})
                    assert not page.locator(".rt-noprint").is_visible()
                    _fits(page, 794)
                    _shot(page, "print-a4")
                    page.emulate_media(media="screen")
                    page.set_viewport_size({"width": width, "height": height})
            context.close()
