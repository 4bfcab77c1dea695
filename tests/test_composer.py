"""The composer (/chapters/<id>/compose) through Flask's client as an editor: settings, 生成, the
preview's anchors and editor links, and that none of it leaks into the HTML that is sent."""

from __future__ import annotations

import hashlib
import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from wxpub.core.content import ImportResult
from wxpub.core.render.samples import INTRO, sample_chapter
from wxpub.library import service as library
from wxpub.models import Article, Chapter, Message, MessageVersion, Series

from library_helpers import make_series

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def import_ten_cases(runtime, *, series_intro=INTRO):
    """The 2023 series (its intro given, chapters without one, as after a Word or Excel import)
    with the ten real-text cases of 人文环境篇 imported; returns the chapter id."""
    make_series(runtime, intro=series_intro)
    with runtime.db.session() as session:
        library.apply_import(session, [ImportResult(cases=sample_chapter(10).cases)],
                             now=runtime.clock.now(), actor="测试")
        return session.scalar(select(Chapter.id).where(Chapter.name == "人文环境"))


@pytest.fixture
def chapter_id(runtime):
    return import_ten_cases(runtime)


def _token(client, chapter_id) -> str:
    return CSRF.search(client.get(f"/chapters/{chapter_id}/compose").get_data(as_text=True)).group(1)


def _post(client, chapter_id, action="compose", **fields):
    data = {"title_template": "{chapter}篇丨{series}", "intro": "", "theme": "政务红", "author": "",
            "cover": "series", "source": "滨海新区营商环境办", "editors": "", **fields,
            "action": action, "csrf_token": _token(client, chapter_id)}
    return client.post(f"/chapters/{chapter_id}/compose", data=data)


class _Ids(HTMLParser):
    """Every id of a page, the finding links' targets, and the case sections' editor links."""

    def __init__(self):
        super().__init__()
        self.ids, self.targets, self.edits, self._case = set(), [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "section" and "data-case" in attrs:
            self._case = int(attrs["data-case"])
        if tag == "a" and "finding-link" in (attrs.get("class") or ""):
            self.targets.append(attrs["href"])
        if tag == "a" and "pv-edit" in (attrs.get("class") or ""):
            self.edits.append((self._case, attrs["href"]))


def _parse(page: str) -> _Ids:
    parser = _Ids()
    parser.feed(page)
    return parser


def _versions(runtime, chapter_id):
    with runtime.db.session() as s:
        return [(m.part, v.version) for m, v in s.execute(
            select(Message, MessageVersion).join(MessageVersion, MessageVersion.message_id == Message.id)
            .where(Message.chapter_id == chapter_id).order_by(Message.part, MessageVersion.version))]


def test_settings_are_saved_and_a_bad_title_template_is_refused_by_name(editor_client, runtime, chapter_id):
    unknown = _post(editor_client, chapter_id, action="save", title_template="{篇章}篇丨{series}")
    assert unknown.status_code == 400
    page = unknown.get_data(as_text=True)
    assert "没有保存" in page and "{篇章}" in page and "未知" in page and "{chapter}" in page
    assert 'value="{篇章}篇丨{series}"' in page  # what was typed is kept
    assert 'aria-describedby="title_template-hint title_template-error"' in page  # beside the field
    assert re.search(r'id="title_template-error">[^<]*\{篇章\}', page)
    long = _post(editor_client, chapter_id, action="save", title_template="{chapter}" + "很长" * 40)
    assert long.status_code == 400 and "标题模板最多 60 个字" in long.get_data(as_text=True)
    assert _post(editor_client, chapter_id, action="save", theme="不存在").status_code == 400

    saved = _post(editor_client, chapter_id, action="save", title_template="{chapter}篇{part}丨{series}",
                  theme="简约蓝", author="新政服", editors="张三、李四", source="区营商环境办")
    assert saved.status_code == 302
    page = editor_client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "已保存排版设置" in page and 'value="{chapter}篇{part}丨{series}"' in page
    assert 'value="张三、李四"' in page and '<option value="简约蓝" selected>' in page
    with runtime.db.session() as s:
        chapter = s.get(Chapter, chapter_id)
        assert chapter.settings["editors"] == ["张三", "李四"] and chapter.settings["theme"] == "简约蓝"
    assert _versions(runtime, chapter_id) == []  # saving composes nothing


def test_generate_makes_v1_then_nothing_new_when_unchanged(editor_client, runtime, chapter_id):
    first = _post(editor_client, chapter_id)
    assert first.status_code == 302 and first.headers["Location"].endswith("#result")
    page = editor_client.get(first.headers["Location"]).get_data(as_text=True)
    assert "已生成消息的新版本 v1" in page
    assert "2 篇文章：（上）（下）" in page  # ten cases do not fit one article
    assert "第 1 篇（上）" in page and "第 2 篇（下）" in page
    again = _post(editor_client, chapter_id)
    page = editor_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "内容没有变化" in page and "仍是 v1" in page
    assert _versions(runtime, chapter_id) == [(1, 1)]
    changed = _post(editor_client, chapter_id, editors="王五")
    page = editor_client.get(changed.headers["Location"]).get_data(as_text=True)
    assert "新版本 v2" in page and "与 v1 相比" in page and "第 1、2 篇文章有变化" in page
    assert _versions(runtime, chapter_id) == [(1, 1), (1, 2)]


def test_a_chapter_without_an_intro_uses_the_series_intro(editor_client, runtime, chapter_id):
    page = editor_client.get(f"/chapters/{chapter_id}/compose").get_data(as_text=True)
    assert "留空则使用系列简介" in page and "查看系列简介（2 段）" in page
    _post(editor_client, chapter_id)
    with runtime.db.session() as s:
        html = s.scalars(select(Article.html).order_by(Article.id)).first()
        assert s.get(Chapter, chapter_id).intro == []
    assert "为全面展示滨海新区在深化" in html  # the series intro opens the first article
    own = _post(editor_client, chapter_id, intro="本篇展示人文环境方面的创新做法。\n第二段。")
    assert own.status_code == 302
    with runtime.db.session() as s:
        assert s.get(Chapter, chapter_id).intro == ["本篇展示人文环境方面的创新做法。", "第二段。"]
        html = s.scalars(select(Article.html).order_by(Article.message_version_id.desc(),
                                                           Article.idx)).first()
    assert "本篇展示人文环境方面的创新做法" in html and "为全面展示滨海新区在深化" not in html


def test_every_finding_links_to_a_place_that_exists_in_the_preview(editor_client, runtime, chapter_id):
    _post(editor_client, chapter_id)
    page = editor_client.get(f"/chapters/{chapter_id}/compose").get_data(as_text=True)
    parsed = _parse(page)
    with runtime.db.session() as s:
        findings = s.scalars(select(MessageVersion.findings)).one()
    assert len(findings) > 20 and len(parsed.targets) == len(findings)  # 260 half-width commas
    for target in parsed.targets:
        assert target.startswith("#") and target[1:] in parsed.ids, target
    # A finding in a case paragraph points at that very paragraph, not just the article.
    in_paragraphs = [t for t in parsed.targets if re.fullmatch(r"#m1-a\d-c\d+-p\d+", t)]
    assert len(in_paragraphs) >= len([f for f in findings if f["case"] and f["paragraph"]]) // 2
    assert any(t.startswith("#m1-a1-intro-p") for t in parsed.targets)  # the intro's commas
    assert any(t == "#m1-a1-digest" for t in parsed.targets)


def test_the_preview_opens_each_case_in_the_editor_in_publication_order(editor_client, runtime, chapter_id):
    with runtime.db.session() as s:
        cases = [r.id for r in s.get(Chapter, chapter_id).cases]
        library.reorder(s, chapter_id, [cases[2], cases[0]], actor="测试", now=runtime.clock.now())
        order = [r.id for r in sorted(s.get(Chapter, chapter_id).cases, key=lambda r: r.position)]
    assert order[:2] == [cases[2], cases[0]]
    _post(editor_client, chapter_id)
    parsed = _parse(editor_client.get(f"/chapters/{chapter_id}/compose").get_data(as_text=True))
    assert parsed.edits == [(n, f"/library/cases/{order[n - 1]}") for n in range(1, 11)]


def test_the_html_that_is_sent_carries_no_preview_annotations(editor_client, runtime, chapter_id):
    _post(editor_client, chapter_id)
    page = editor_client.get(f"/chapters/{chapter_id}/compose").get_data(as_text=True)
    assert 'data-case="1"' in page and 'id="m1-a1-c1-p1"' in page and "pv-edit" in page
    with runtime.db.session() as s:
        rows = s.scalars(select(Article)).all()
    assert len(rows) == 2
    for row in rows:
        assert "data-case" not in row.html and "data-paragraph" not in row.html
        assert " id=" not in row.html and "pv-edit" not in row.html and "编辑案例" not in row.html
        assert hashlib.sha256(row.html.encode("utf-8")).hexdigest() == row.sha256


def test_only_editors_compose(app, runtime, chapter_id):
    from auth_helpers import login
    from wxpub.staff import users

    with runtime.db.session() as s:
        users.create_user(s, "lisi", "L1si-reviewer-26", "reviewer", now=runtime.clock.now(), actor="测试")
    client, _ = login(app, "lisi", "L1si-reviewer-26")
    page = client.get(f"/chapters/{chapter_id}/compose")
    assert page.status_code == 200 and "只有编辑可以修改设置和生成" in page.get_data(as_text=True)
    token = CSRF.search(page.get_data(as_text=True)).group(1)  # the logout form's
    refused = client.post(f"/chapters/{chapter_id}/compose", data={"action": "compose", "csrf_token": token})
    assert refused.status_code == 403
    assert _versions(runtime, chapter_id) == []


def test_an_unknown_chapter_is_a_404(editor_client):
    assert editor_client.get("/chapters/999/compose").status_code == 404


def test_a_chapter_cover_upload_is_checked_and_used(editor_client, runtime, chapter_id):
    from PIL import Image

    def post(file):
        data = {"title_template": "{chapter}篇丨{series}", "theme": "政务红", "cover": "chapter",
                "action": "compose", "csrf_token": _token(editor_client, chapter_id), "cover_file": file}
        return editor_client.post(f"/chapters/{chapter_id}/compose", data=data,
                                  content_type="multipart/form-data")
    refused = post((io.BytesIO(b"not an image"), "封面.png"))
    assert refused.status_code == 400 and "本篇封面：封面.png：不是可识别的图片文件" in refused.get_data(as_text=True)
    buffer = io.BytesIO()
    Image.new("RGB", (900, 383), (20, 60, 160)).save(buffer, "JPEG")
    assert post((io.BytesIO(buffer.getvalue()), "cover.jpg")).status_code == 302
    sha = hashlib.sha256(buffer.getvalue()).hexdigest()
    with runtime.db.session() as s:
        assert s.get(Chapter, chapter_id).settings["cover_sha256"] == sha
        assert {r.cover_sha256 for r in s.scalars(select(Article))} == {sha}
        assert s.scalar(select(Series.cover_sha256)) is None


@pytest.mark.parametrize("limit", [20_000, 4_000, 1_500])
def test_the_anchors_follow_the_paragraphs_even_when_a_case_is_split(limit):
    """Pure: every paragraph the checks can name (``TextBlock``: case, paragraph) has its anchor
    on the very element that shows it, also when cases are split between articles (（续）)."""
    from dataclasses import replace as with_number

    from wxpub.core.render import render_chapter
    from wxpub.core.render.preview import annotate_article, case_shape

    chapter = sample_chapter(4)
    numbered = tuple(with_number(c, number=i) for i, c in enumerate(chapter.cases, 1))
    chapter = with_number(chapter, cases=numbered)
    message = render_chapter(chapter, max_body_chars=limit)
    continued = sum(s.continued for a in message.articles for s in a.sections)
    assert (continued > 0) == (limit < 2_000)
    shapes = {c.number: case_shape(c.number, c.content_dict(), f"/library/cases/{c.number}")
              for c in chapter.cases}
    cursor, checked = {}, 0
    for article in message.articles:
        html, anchors = annotate_article(article.html, f"a{article.index}", shapes, cursor)
        texts = {a.id: a.text for a in anchors}
        for block in article.blocks:
            if block.case is None or block.kind not in ("lead", "point", "closing"):
                continue
            ident = f"a{article.index}-c{block.case}-p{block.paragraph}"
            assert ident in texts, (ident, block.text[:20])
            assert texts[ident].startswith(block.text[:30]), (ident, texts[ident][:30], block.text[:30])
            checked += 1
        intro = [b for b in article.blocks if b.kind == "intro"]
        for block in intro:
            assert texts[f"a{article.index}-intro-p{block.paragraph}"].startswith(block.text[:30])
        assert html.count('class="pv-edit"') == len(article.sections)
    assert checked == sum(len(c.lead) + len(c.points) + len(c.closing) for c in chapter.cases)
