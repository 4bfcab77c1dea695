"""诊断 in a real browser (Debian's Chromium) at a desk and on a phone: an editor opens a release
WeChat refused, sees the rid, clicks 诊断 and reads what WeChat kept; the alert inbox shows the rid
with its 诊断 button; the series page offers the 留言 setting. No horizontal scrolling, nothing
fetched from outside. With ``WXPUB_SHOTS=<folder>`` the test saves what it saw there."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from conftest import login
from publishing_helpers import apply_and_approve, make_due, plan_file
from review_helpers import OFFICE_PASSWORD, make_office
from servers import serve_app
from wxpub.models import Alert, Series
from wxpub.publishing import pipeline

SHOTS = os.environ.get("WXPUB_SHOTS")


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_an_editor_diagnoses_a_refused_release_and_sets_the_comment_policy(
        rt, tmp_path, sandbox, sandbox_sleep, offline_page, width, height):
    from wxpub import create_app

    make_office(rt)
    [release_id] = apply_and_approve(rt, plan_file(tmp_path, chapters=("政务环境",),
                                                   start=rt.clock.now() + timedelta(hours=2)))
    make_due(rt, [release_id])
    requests.post(f"{sandbox.url}/sandbox/errors", json={"path": "/cgi-bin/freepublish/submit",
                                                         "errcode": 45009, "count": 1}, timeout=5)
    assert pipeline.run_release(rt, release_id, worker="pub-host:4242", sleep=sandbox_sleep) == "failed"
    with rt.db.session() as s:
        alert = s.scalar(select(Alert).where(Alert.cause == "account:45009"))
        rid, alert_id = alert.rid, alert.id
        series_id = s.scalar(select(Series.id))
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    with serve_app(create_app(runtime=rt)) as served:
        login(page, served.url, "bianji", OFFICE_PASSWORD)
        page.goto(f"{served.url}/releases/{release_id}")
        assert page.inner_text("#rid") == rid
        _fits(page, width)
        _shot(page, f"diagnose-release-{width}")
        with page.expect_navigation():
            page.click("#err-h ~ form.dg-form button")
        text = page.inner_text("main")
        assert "诊断微信请求" in text and "请求内容" in text and "应答内容" in text and "45009" in text
        assert "接口今日调用次数已用完" in text and "/cgi-bin/freepublish/submit" in text
        _fits(page, width)
        _shot(page, f"diagnose-result-{width}")

        page.goto(f"{served.url}/alerts")
        assert page.inner_text(f"#alert-rid-{alert_id}") == rid
        assert page.is_visible(f"button[data-copy=alert-rid-{alert_id}]")  # copy.js shows it
        _fits(page, width)
        _shot(page, f"diagnose-alerts-{width}")

        page.goto(f"{served.url}/series/{series_id}#comments")
        page.check("#policy-followers")
        with page.expect_navigation():
            page.click("#comments button[type=submit]")
        assert "仅关注者可留言" in page.inner_text(".flash")
        assert page.is_checked("#policy-followers")
        _fits(page, width)
        page.locator("#comments").scroll_into_view_if_needed()
        _shot(page, f"series-comments-{width}")
    assert page.external_requests == []
