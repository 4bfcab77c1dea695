"""Import by upload in a real browser (Debian's Chromium via Playwright), at phone and desk width:
choose a Word and an Excel file, read the dry run, 确认导入, see the counts; nothing wider than the
screen, nothing fetched from outside, every field labelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import login
from wxpub.library import service
from wxpub.staff import users

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
WORD = FIXTURES / "区市场监管局-一企一证改革.docx"
EXCEL = FIXTURES / "政务服务案例汇总.xlsx"
PASSWORD = "Zh4ngsan-2026!"

UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML)"""


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    assert page.evaluate(UNLABELLED) == [], page.url


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(375, 812), (1280, 900)])
def test_an_editor_uploads_word_and_excel_reads_the_dry_run_and_imports(
        live_server, offline_page, session, clock, sample_series, width, height):
    users.create_user(session, "zhangsan", PASSWORD, "editor", now=clock.now(), actor="测试")
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server.url, "zhangsan", PASSWORD)
    page.goto(f"{live_server.url}/library/import")
    assert page.inner_text("h1") == "导入案例"
    _fits(page, width)
    page.get_by_label("选择要导入的文件").set_input_files([WORD, EXCEL])
    chosen = page.locator("#chosen li")
    assert chosen.count() == 2 and WORD.name in chosen.first.inner_text()  # the script lists them
    assert page.get_by_label("导入到系列").input_value() == str(sample_series)
    page.get_by_label("导入到篇章").select_option(label="市场环境")
    _fits(page, width)
    page.get_by_role("button", name="上传并预览").click()

    page.wait_for_url("**/library/import/*")
    main = page.inner_text("main")
    assert "导入预览" in main and "新增 4" in main and "工作表“案例汇总”第4行" in main
    assert "推行“一企一证”改革 实现准入准营“一次办”" in main
    _fits(page, width)
    session.expire_all()
    assert service.list_cases(session) == []

    page.get_by_role("button", name="确认导入").click()
    page.wait_for_selector(".flash-ok")
    assert page.inner_text(".flash-ok") == "已导入：新增 4，更新 0，未变 0"
    assert page.inner_text("h1") == "导入完成"
    _fits(page, width)
    session.expire_all()
    assert len(service.list_cases(session, chapter="市场环境")) == 4
    assert page.external_requests == []
