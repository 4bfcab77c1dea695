"""The whole editorial journey in a real browser (Debian's Chromium via Playwright), as an editor
who never saw a shell, at desk and at phone width, on a fresh database that holds only the
editor's account: create the series with its four chapters, upload a department's Word file and
an Excel list into 市场环境 (dry run, then 确认导入), select two cases at once and move one down,
生成 the chapter and read the 375-px phone preview beside its findings, click a paragraph of the
preview to open its case, fix a word there (v2), 生成 again (message v2, the word fixed in the
preview, also under 预览) and read the word's change in the case's history; 通知 stays empty.
Everything through links, buttons and fields; on every page: nothing wider than the screen, a
label on every field, nothing fetched from outside 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import EDITOR_PASSWORD, login
from wxpub.staff import users

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
WORD = FIXTURES / "区市场监管局-一企一证改革.docx"
EXCEL = FIXTURES / "政务服务案例汇总.xlsx"
SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"
CHAPTERS = ["市场环境", "政务环境", "法治环境", "人文环境"]
# The cases of the two files, in the order they are imported (the Word file first).
WORD_CASE = "推行“一企一证”改革 实现准入准营“一次办”"
WINDOW_CASE = "打造“无差别综合窗口” 实现“一窗通办”"
PROMISE_CASE = "推行告知承诺制审批 项目开工再提速"
MOBILE_CASE = "建设“滨海政务”掌上办 服务指尖可达"
ORDER = [WORD_CASE, WINDOW_CASE, PROMISE_CASE, MOBILE_CASE]
# The "typo" fixed in the Word case's second point: one word for another.
OLD_WORD, NEW_WORD = "压减", "精简"
OLD_TEXT, NEW_TEXT = f"申请材料{OLD_WORD}60%", f"申请材料{NEW_WORD}60%"

# The series intro as typed on a keyboard set to half-width: a comma the composer will find (the
# two files have none), in the intro that chapters without their own use.
INTRO = "为全面展示滨海新区优化营商环境取得的成效,现推出系列案例。"

# Every visible form field with no label: a <label for>, a wrapping <label>, aria-label(ledby).
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => e.type !== 'hidden' && e.getClientRects().length > 0)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML.slice(0, 120))"""


def _check(page) -> None:
    """What must hold on every page of the journey."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal scrolling on {page.url}: {widths}"
    assert page.evaluate(UNLABELLED) == [], page.url
    assert page.external_requests == [], page.url


def _go(page, locator) -> None:
    """Click a link or a button that loads a page; wait for it, then check it."""
    with page.expect_navigation():
        locator.click()
    _check(page)


def _nav(page, name: str) -> None:
    fold = page.locator("#site-menu > summary")
    if fold.is_visible() and not page.get_by_role("navigation", name="主菜单").is_visible():
        fold.click()  # on a phone the menu is folded under 「菜单」, as a person would open it
    _go(page, page.get_by_role("navigation", name="主菜单").get_by_role("link", name=name, exact=True))


def _flash(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def _in_view(page, locator) -> None:
    box = locator.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box is not None and 0 <= box["y"] and box["y"] + min(box["height"], 40) <= height, box


def _titles(page) -> list[str]:
    return page.locator("table.cases tbody td.title").all_inner_texts()


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_an_editor_imports_curates_composes_fixes_a_typo_and_reads_the_history(
        live_server, offline_page, session, clock, width, height):
    users.create_user(session, "zhangsan", EDITOR_PASSWORD, "editor", now=clock.now(), actor="测试")
    page = offline_page
    page.set_viewport_size({"width": width, "height": height})
    login(page, live_server.url, "zhangsan", EDITOR_PASSWORD)
    _check(page)

    # 1. The series with its four standard chapters.
    _nav(page, "系列与篇章")
    assert "还没有系列" in page.inner_text("main")
    page.get_by_label("系列名称").fill(SERIES)
    page.get_by_label("系列简介").fill(INTRO)
    assert page.get_by_label("篇章（按顺序，每行一个）").input_value().split() == CHAPTERS
    _go(page, page.get_by_role("button", name="新建系列"))
    assert "已新建系列" in _flash(page)
    assert page.inner_text("h1") == SERIES
    assert page.locator("ol.chapters h3").all_inner_texts() == CHAPTERS

    # 2. A department's Word file and an Excel list, uploaded into 市场环境: the dry run, then 确认导入.
    _nav(page, "导入")
    page.get_by_label("选择要导入的文件（可多选）").set_input_files([WORD, EXCEL])
    assert page.locator("#chosen li").count() == 2
    assert page.get_by_label("导入到系列").locator("option:checked").inner_text() == SERIES
    page.get_by_label("导入到篇章").select_option(label="市场环境")
    _check(page)
    _go(page, page.get_by_role("button", name="上传并预览"))
    assert page.inner_text("h1").startswith("导入预览")
    assert page.inner_text(".summary .totals").split() == ["新增", "4", "更新", "0", "未变", "0"]
    assert page.locator("table.cases td[data-label=结果]").all_inner_texts() == ["新增"] * 4
    dry_run = page.locator("table.cases td.title").all_inner_texts()
    assert [any(t.startswith(title) for t in dry_run) for title in ORDER] == [True] * 4, dry_run
    _go(page, page.get_by_role("button", name="确认导入"))
    assert page.inner_text("h1") == "导入完成"
    assert _flash(page) == "已导入：新增 4，更新 0，未变 0"

    # 3. The library: 市场环境, two cases selected at once, one moved down.
    _nav(page, "案例库")
    _go(page, page.locator("nav.tabs").get_by_role("link", name=re.compile("^市场环境")))
    assert _titles(page) == ORDER
    page.get_by_label(f"选择“{WORD_CASE}”").check()
    page.get_by_label(f"选择“{PROMISE_CASE}”").check()
    _go(page, page.get_by_role("button", name="入选", exact=True))
    assert "已将 2 个案例设为“入选”" in _flash(page)
    assert page.locator("table.cases tbody td[data-label=状态]").all_inner_texts() == \
        ["入选", "待定", "入选", "待定"]
    _go(page, page.get_by_role("button", name=f"下移“{WORD_CASE}”"))
    assert "下移到第 2 位" in _flash(page)
    assert _titles(page) == [WINDOW_CASE, WORD_CASE, PROMISE_CASE, MOBILE_CASE]
    assert page.locator("table.cases tbody td.pos").all_inner_texts() == ["1", "2", "3", "4"]

    # 4. The composer: 生成, the phone preview (375 px at a desk), a finding shown in its place.
    _go(page, page.locator("p.chapter-line").get_by_role("link", name="排版与预览"))
    assert page.inner_text("h1") == "市场环境篇 · 排版与预览"
    assert "本篇发布 2 个案例" in page.inner_text("main")
    _go(page, page.get_by_role("button", name="生成"))
    assert "已生成消息的新版本 v1" in _flash(page)
    screen = page.locator("#m1-a1")
    if width >= 1280:  # a phone's width, the findings beside it
        assert screen.evaluate("e => e.getBoundingClientRect().width") == 375
        side = page.locator(".pair").first.locator(".side").bounding_box()
        assert side["x"] >= screen.bounding_box()["x"] + 375
    sections = screen.locator("section[data-case]")
    assert sections.count() == 2  # the two selected cases, in the library's order
    assert WORD_CASE in sections.nth(0).inner_text()
    assert PROMISE_CASE in sections.nth(1).inner_text()
    # The intro's half-width comma, at its place in the preview (the digest has it too, beside it).
    commas = page.locator("a.finding-link", has_text="半角标点（,）")
    targets = [a for a in commas.evaluate_all("links => links.map(a => a.dataset.anchor)")
               if screen.locator(f"#{a}").count()]
    assert targets, commas.all_inner_texts()
    target = targets[0]
    link = page.locator(f'a.finding-link[data-anchor="{target}"]').first
    link.scroll_into_view_if_needed()
    link.click()
    hit = page.locator(f"#{target}")
    assert "pv-hit" in (hit.get_attribute("class") or "").split()
    _in_view(page, hit)
    _check(page)

    # 5. A paragraph of the Word case in the preview opens it in the editor: the word fixed, v2.
    paragraph = screen.locator("section[data-case] > p", has_text=OLD_TEXT)
    assert paragraph.count() == 1
    editor_url = paragraph.locator("xpath=..").locator(":scope > a.pv-edit").get_attribute("href")
    paragraph.scroll_into_view_if_needed()
    _go(page, paragraph)
    assert page.url == f"{live_server.url}{editor_url}"
    assert page.inner_text("h1") == f"编辑案例：{WORD_CASE}"
    rest = page.get_by_label("要点2正文")
    assert OLD_TEXT in rest.input_value()
    rest.fill(rest.input_value().replace(OLD_TEXT, NEW_TEXT))
    _go(page, page.get_by_role("button", name="保存").first)
    assert "已保存为 v2" in _flash(page)
    assert NEW_TEXT in page.get_by_label("要点2正文").input_value()

    # 6. Back to the composer: 生成 again makes message v2, and the preview has the word fixed.
    _go(page, page.locator("dl.case-facts").get_by_role("link", name="排版与预览"))
    assert "预览不是最新内容" in page.inner_text("#result")
    _go(page, page.get_by_role("button", name="生成"))
    assert "已生成消息的新版本 v2" in _flash(page)
    assert page.inner_text("#m1-title") == "消息 · v2"
    versions = page.locator("details.versions")
    versions.locator("summary").click()
    listed = versions.locator("li").all_inner_texts()
    assert [re.match(r"v\d+", t).group() for t in listed] == ["v2", "v1"], listed
    text = page.inner_text("#m1-a1")
    assert NEW_TEXT in text and OLD_TEXT not in text
    _check(page)

    # The list of previews (预览) has the message at v2; its phone preview has the word fixed.
    _nav(page, "预览")
    row = page.locator("table tbody tr", has_text="市场环境")
    assert row.locator("td[data-label=当前版本]").inner_text() == "v2"
    _go(page, row.get_by_role("link", name="手机预览"))
    text = page.inner_text("body")
    assert NEW_TEXT in text and OLD_TEXT not in text
    page.go_back()
    _go(page, row.get_by_role("link", name="排版与预览"))

    # 7. The case's history: the diff of v1 and v2 shows the new word inserted and the old deleted.
    _go(page, page.locator("#m1-a1 section[data-case]", has_text=NEW_TEXT)
        .locator("p", has_text=NEW_TEXT))
    _go(page, page.get_by_role("link", name="历史版本与差异"))
    diff = page.locator("#diff")
    assert "v1 → v2 的差异" in diff.inner_text()
    # (each change starts with a marker for screen readers)
    assert diff.locator(".diff-text ins").all_text_contents() == [f"［新增］{NEW_WORD}"]
    assert diff.locator(".diff-text del").all_text_contents() == [f"［删除］{OLD_WORD}"]
    assert diff.locator(".diff-text").text_content().endswith(
        f"申请材料［删除］{OLD_WORD}［新增］{NEW_WORD}60%。")
    assert diff.locator("h3").all_inner_texts() == ["要点2 修改"]

    # Nothing was approved or scheduled, so no one was told of the edit.
    _nav(page, "通知")
    assert page.inner_text("h1") == "通知" and "没有通知" in page.inner_text("main")
    assert page.external_requests == []
