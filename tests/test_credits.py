"""The reviewers' credits line ("编辑：… 审核：… 终审：…"): who is named under which label, the line
WeChat-safe, room kept for it in every article, and — through the sandbox — a published article
ends with it when its theme asks for it and not otherwise, the version hash untouched and the
read-back finding no difference."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import select

from publishing_helpers import SERIES, make_due
from review_helpers import make_office, walk
from wxpub.core.render import get_theme, render_articles, sanitise
from wxpub.core.render.credits import (CREDITS_RESERVE, append_credits, credit_parts, credits_html,
                                       credits_text)
from wxpub.core.render.samples import sample_chapter
from wxpub.editorial import sheet
from wxpub.models import Message, PublishAttempt, Release
from wxpub.publishing import fallback, pipeline as publish
from wxpub.releases import plans as release_plans

CREDITED = "政务红·署名"
LINE = "编辑：王编辑　审核：李科长　终审：张主任"


pytestmark = pytest.mark.full_chain


@pytest.mark.parametrize("stages,readers,expected", [
    ([("初审", "王编辑"), ("复审", "李科长"), ("终审", "张主任")], (), LINE),
    ([("终审", "张主任")], (), "终审：张主任"),
    ([("审批", "张主任")], (), "审核：张主任"),
    ([("初审", "王编辑"), ("终审", "张主任")], (), "编辑：王编辑　终审：张主任"),
    ([("初审", "王编辑"), ("复审", "李科长"), ("核稿", "刘处长"), ("终审", "张主任")], (),
     "编辑：王编辑　审核：李科长、刘处长　终审：张主任"),
    ([("初审", "王编辑"), ("复审", "李科长"), ("终审", "张主任")], ("赵校对", "钱校对", "赵校对"),
     "编辑：王编辑　校对：赵校对、钱校对　审核：李科长　终审：张主任"),
    ([("初审", "王编辑"), ("复审", ""), ("终审", "")], (), "编辑：王编辑"),
])
def test_who_is_named_under_which_label(stages, readers, expected):
    assert credits_text(credit_parts(stages, readers)) == expected


def test_the_line_is_wechat_safe_and_closes_the_article():
    css = get_theme(CREDITED).css
    line = credits_html(credits_text(credit_parts([("终审", "<b>张主任</b>")])), css)
    assert sanitise(line) == line and "&lt;b&gt;" in line and 'style="' in line and "class" not in line
    article = '<section style="font-size:15px"><p>正文</p><section><p>来源：某办</p></section></section>'
    assert append_credits(article, line) == article[:-len("</section>")] + line + "</section>"
    assert append_credits(article, "") == article
    long = credits_html("编辑：" + "、".join(["&名字" * 6] * 40), css)
    assert len(long) <= CREDITS_RESERVE and long.endswith("等</p>")


def test_a_theme_with_credits_keeps_room_for_the_line():
    assert get_theme(CREDITED).credits and not get_theme("政务红").credits
    limit = 6000
    for theme in (CREDITED, "政务红"):
        articles = render_articles(sample_chapter(10), theme=theme, max_body_chars=limit)
        assert len(articles) > 1
        room = CREDITS_RESERVE if theme == CREDITED else 0
        assert all(a.chars + room < limit for a in articles)


def _planned(rt, tmp_path, theme: str | None) -> tuple[int, int]:
    start = rt.clock.now() + timedelta(hours=2)
    path = tmp_path / "plan.yaml"
    path.write_text(textwrap.dedent(f"""\
        series: {SERIES}
        account: 新政服
        mode: publish
        start: {start.isoformat()}
        interval: 1d
        """) + (f"theme: {theme}\n" if theme else "") + "chapters:\n  - 市场环境\n", encoding="utf-8")
    with rt.db.session() as session:
        loaded = release_plans.load(session, path, now=rt.clock.now())
        assert not loaded.errors, [e.message for e in loaded.errors]
        report = release_plans.apply_plan(session, loaded, settings=rt.settings, now=rt.clock.now(),
                                          actor="测试")
        [release] = report.created
        return release.message_id, release.id


def _publish(rt, tmp_path, sandbox_sleep, theme):
    make_office(rt)
    message_id, release_id = _planned(rt, tmp_path, theme)
    walk(rt, message_id)
    make_due(rt, [release_id])
    assert publish.run_release(rt, release_id, worker="test-host:1", sleep=sandbox_sleep) == "published"
    items = rt.wechat.freepublish.batchget(0, 20, no_content=False)["item"]
    bodies = [n["content"] for item in items for n in item["content"]["news_item"]]
    with rt.db.session() as s:
        version = s.get(Message, message_id).current_version
        stored = [a.html for a in version.articles]
        readback = s.scalars(select(PublishAttempt).where(PublishAttempt.release_id == release_id,
                                                          PublishAttempt.step == "readback")).all()
        sent = s.get(Release, release_id).sent_version_id == version.id
    return message_id, bodies, stored, readback, sent


def test_a_published_article_ends_with_the_reviewers_names_when_its_theme_asks(rt, tmp_path, sandbox_sleep):
    message_id, bodies, stored, readback, sent = _publish(rt, tmp_path, sandbox_sleep, CREDITED)
    assert sent and bodies and len(bodies) == len(stored)
    for body in bodies:
        assert body.endswith(f">{LINE}</p></section>")
        assert body.count(LINE) == 1
    assert not any(LINE in html for html in stored)  # the hashed version is what was reviewed
    assert [a.detail["changes"] for a in readback] == [[]]
    with rt.db.session() as s:
        version = s.get(Message, message_id).current_version
        assert sheet.credits_line(s, version, rt.settings.review_policy) == LINE
        archived = sheet.frozen(s, version.id).data
        assert archived["credits"] == LINE  # archived with the 审核表 and printed on it
        assert [("文末署名", [LINE])] in sheet.view(archived)["info"]
        release = s.scalar(select(Release).where(Release.message_id == message_id))
        pack = fallback.write_pack(s, rt.settings, release)  # publishing by hand: the same line
        assert (pack / "index.html").read_text(encoding="utf-8").count(LINE) == len(bodies)


def test_without_credits_in_the_theme_nothing_is_added(rt, tmp_path, sandbox_sleep):
    message_id, bodies, stored, readback, sent = _publish(rt, tmp_path, sandbox_sleep, None)
    assert sent and bodies
    assert not any("终审：" in body or "编辑：王编辑" in body for body in bodies)
    assert [a.detail["changes"] for a in readback] == [[]]
    with rt.db.session() as s:
        version = s.get(Message, message_id).current_version
        assert sheet.credits_line(s, version, rt.settings.review_policy) is None
        assert sheet.frozen(s, version.id).data["credits"] == ""


def test_before_the_chain_completes_the_preview_shows_who_is_still_to_sign(rt, tmp_path):
    make_office(rt)
    message_id, _ = _planned(rt, tmp_path, CREDITED)
    walk(rt, message_id, through="初审")
    with rt.db.session() as s:
        version = s.get(Message, message_id).current_version
        policy = rt.settings.review_policy
        assert sheet.credits_line(s, version, policy) == "编辑：王编辑　审核：（待复审）　终审：（待终审）"
        assert "（待复审）" in sheet.credits_preview_html(s, version, policy)


def test_the_review_page_shows_the_line_where_it_will_be_and_says_it_is_added(rt, tmp_path):
    from auth_helpers import login
    from review_helpers import OFFICE_PASSWORD
    from wxpub import create_app

    make_office(rt)
    message_id, _ = _planned(rt, tmp_path, CREDITED)
    walk(rt, message_id, through="初审")
    app = create_app(runtime=rt)
    client, _ = login(app, "fushen", OFFICE_PASSWORD)
    page = client.get(f"/review/messages/{message_id}").get_data(as_text=True)
    assert page.count("编辑：王编辑　审核：（待复审）　终审：（待终审）") >= 2  # in the preview and the note
    assert "发布时附加在每篇文章末尾，不属于审核版本的内容" in page
