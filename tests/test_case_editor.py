"""The case editor pages (/library/cases/<id>…) as an editor uses them: the form is read back from
the page and sent as a browser would send it; saving makes a version the library shows; stale
saves, bad fields and reverts are refused with the reason beside the field, the typed text kept."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from auth_helpers import login
from publishing_helpers import import_samples
from wxpub.core.lint.punctuation import fix_halfwidth
from wxpub.library import editing
from wxpub.models import Case, Chapter
from wxpub.staff import users

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class FormReader(HTMLParser):
    """The fields of the page's ``form.case-form`` in document order, as a browser submits them:
    ``[id, name, value]`` (checkboxes only when ticked; buttons not at all)."""

    def __init__(self, css_class: str = "case-form"):
        super().__init__(convert_charrefs=True)
        self.css_class, self.inside, self.fields, self._textarea = css_class, False, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.css_class in (a.get("class") or "").split():
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("type") in ("text", "hidden") or (
                tag == "input" and a.get("type") == "checkbox" and "checked" in a):
            self.fields.append([a.get("id"), a["name"], a.get("value") or ""])
        elif tag == "textarea":
            self._textarea = [a.get("id"), a["name"], ""]
            self.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


def read_form(html: str) -> list[list]:
    """The case form's fields of a page."""
    reader = FormReader()
    reader.feed(html)
    return reader.fields


def value(html: str, field_id: str) -> str:
    """The value the page shows in the field with this id."""
    return next(v for i, _n, v in read_form(html) if i == field_id)


def post_form(client, case_id: int, changes: dict | None = None, *, extra=(), page=None):
    """Submit the case form as the page shows it, with ``changes`` ({field id: new value})."""
    page = page if page is not None else client.get(f"/library/cases/{case_id}").get_data(as_text=True)
    data = MultiDict()
    for field_id, name, text in read_form(page):
        data.add(name, (changes or {}).get(field_id, text))
    for name, text in extra:
        data.add(name, text)
    return client.post(f"/library/cases/{case_id}", data=data)


def case_id(session, chapter: str = "市场环境", number: int = 1) -> int:
    """The id of a sample case."""
    return session.scalar(select(Case.id).join(Chapter).where(Chapter.name == chapter,
                                                              Case.number == number))


def flashes(html: str) -> list[str]:
    """The flashed messages of a page."""
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)]


@pytest.fixture
def desk(runtime, editor_client):
    """The sample series imported; the editor zhangsan logged in."""
    import_samples(runtime)
    return editor_client


def test_saving_the_form_makes_a_version_that_the_library_shows(desk, session):
    cid = case_id(session)
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)
    assert "推行“一企一证”改革" in value(page, "f-main_title")
    assert value(page, "f-subtitle") == "准入准营一次办结（示例）"
    assert value(page, "f-points-2-lead") == "二是再造办理流程，"
    assert "市场环境" in page and "1-shichang/01-yiqi-yizheng.md，第1行" in page  # chapter; source
    assert f'href="/library?series=' in page and "&amp;chapter=" in page  # back to the library
    assert "不会出现在发布的正文里" in page  # the contact is kept out of the body
    typo = value(page, "f-points-2-rest")
    fixed = typo.replace("材料由原来的", "申请材料由原来的")
    answer = post_form(desk, cid, {"f-points-2-rest": fixed}, page=page)
    assert answer.status_code == 302
    shown = desk.get(answer.headers["Location"]).get_data(as_text=True)
    assert "已保存为 v2" in flashes(shown)[0]
    assert value(shown, "f-points-2-rest") == fixed and 'name="base_version" value="2"' in shown
    detail = desk.get(f"/api/v1/cases/{cid}").get_json()
    assert detail["version"] == 2 and [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["versions"][1]["source_file"] == "在线编辑（zhangsan）"
    assert "二是再造办理流程，" + fixed in detail["points"]
    listing = desk.get("/api/v1/cases?chapter=市场环境").get_json()["cases"]
    assert next(c for c in listing if c["id"] == cid)["version"] == 2
    again = post_form(desk, cid)  # nothing typed: no new version
    assert "内容没有变化" in flashes(desk.get(again.headers["Location"]).get_data(as_text=True))[0]
    assert desk.get(f"/api/v1/cases/{cid}").get_json()["version"] == 2


def test_paragraphs_are_added_in_the_spare_boxes_and_removed_by_emptying_them(desk, session):
    cid = case_id(session)
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)
    assert value(page, "f-closing-2") == "" and value(page, "f-closing-3") == ""  # two spare boxes
    post_form(desk, cid, {"f-closing-2": "下一步，将把改革推广到更多行业。", "f-lead-1": "",
                          "f-lead-2": "新的导语。", "f-contact-2-key": "电话",
                          "f-contact-2-value": "022-12345678"}, page=page)
    content = desk.get(f"/api/v1/cases/{cid}/content").get_json()["fields"]
    assert content["lead"] == ["新的导语。"]
    assert content["closing"][-1] == "下一步，将把改革推广到更多行业。" and len(content["closing"]) == 2
    assert content["contact"] == {"name": "示例联系人", "phone": "022-12345678"}  # typed 电话, kept as the importers' key
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)
    assert "022-12345678" not in re.sub(r'<input[^>]*>', "", page)  # only inside the contact field


def test_a_stale_save_is_refused_and_the_typed_text_is_kept(desk, session, runtime, clock):
    cid = case_id(session)
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)  # the editor opens v1 …
    with runtime.db.session() as other:  # … meanwhile a colleague saves v2
        editing.save_content(other, cid, {"unit": "区市场监管局"}, base_version=1, actor="lisi",
                             now=clock.now(), tz=runtime.settings.tz)
    mine = "我正在修改的导语，不能丢。"
    answer = post_form(desk, cid, {"f-lead-1": mine}, page=page)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "已被保存为 v2（你编辑的是 v1）" in html
    assert value(html, "f-lead-1") == mine  # still in the form
    assert f'href="/library/cases/{cid}/history?from=1&amp;to=2#diff"' in html  # what changed meanwhile
    assert desk.get(f"/api/v1/cases/{cid}").get_json()["version"] == 2


def test_bad_fields_are_named_beside_the_field_and_nothing_is_lost(desk, session):
    cid = case_id(session)
    answer = post_form(desk, cid, {"f-main_title": "  ", "f-lead-1": "改过的导语"})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert re.search(r'id="f-main_title"[^>]*aria-invalid="true"', html)
    assert re.search(r'id="f-main_title"[^>]*>\s*<p class="error field-error" id="f-main_title-error" '
                     r'role="alert">主标题不能为空</p>', html)
    assert value(html, "f-lead-1") == "改过的导语"
    long = "很长的段落" * 1000  # 5,000 characters in the first spare box
    answer = post_form(desk, cid, {"f-lead-2": long})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert re.search(r'id="f-lead-2-error" role="alert">导语第 2 段最多 3000 个字，现有 5000 个字<', html)
    assert value(html, "f-lead-2") == long and 'href="#f-lead-2"' in html
    assert desk.get(f"/api/v1/cases/{cid}").get_json()["version"] == 1


def test_findings_sit_beside_their_fields_and_one_click_makes_punctuation_full_width(desk, session):
    cid = case_id(session, "人文环境", 1)  # the 2023 sample: half-width commas
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)
    summary = page[page.index('class="panel proof"'):page.index('class="case-form"')]
    assert 'href="#f-lead-1">导语第1段</a>：有 6 处半角标点' in summary
    assert 'href="#f-points-3">要点3</a>' in summary
    lead = page[page.index('id="f-lead-1"'):page.index('id="f-lead-2"')]
    assert 'class="finding sev-warning"><span class="sev">提示</span>有 6 处半角标点' in lead
    assert "一键改为全角标点" in page
    # A number with a thousands separator in the text: it stays as it is.
    post_form(desk, cid, {"f-closing-2": "累计投入资金3,000万元,惠及人才(团队)200余个。"}, page=page)
    answer = desk.post(f"/library/cases/{cid}/fix-punctuation", data={"csrf_token": CSRF.search(page).group(1)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("history?from=2&to=3#diff")
    diff = desk.get(answer.headers["Location"]).get_data(as_text=True)
    assert "已把半角标点改为全角，已保存为 v3。下面是改动" in flashes(diff)
    assert '<del><span class="sr">［删除］</span>,</del><ins><span class="sr">［新增］</span>，</ins>' in diff
    fields = desk.get(f"/api/v1/cases/{cid}/content").get_json()
    assert fields["version"] == 3 and fields["findings"] == []
    assert fields["fields"]["closing"][-1] == "累计投入资金3,000万元，惠及人才（团队）200余个。"
    assert all(fix_halfwidth(p) == p for p in fields["fields"]["lead"])
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)
    assert "没有发现问题" in page and "一键改为全角标点" not in page


def test_the_history_diffs_any_two_versions_and_revert_needs_the_ticked_box(desk, session):
    cid = case_id(session)
    post_form(desk, cid, {"f-points-1-rest": "实现“一证准营”。梳理行业准营涉及的许可事项，扫码即可查看全部内容。"})
    page = desk.get(f"/library/cases/{cid}/history").get_data(as_text=True)
    assert re.search(r'<tr class="current">.*?<b>v2</b> <span class="badge current-badge">当前版本', page, re.S)
    assert 'name="from" value="1" checked' in page and 'name="to" value="2" checked' in page
    assert "在线编辑（zhangsan）" in page and "1-shichang/01-yiqi-yizheng.md" in page
    assert "v1 → v2 的差异" in page and "要点1" in page
    assert ('许可事项，<del><span class="sr">［删除］</span>将分散的许可信息集成到一张综合许可证上，</del>'
            '扫码即可查看全部<del><span class="sr">［删除］</span>许可</del>内容。') in page
    post_form(desk, cid, {"f-points-1-rest": "实现“一证准营”。梳理行业准营涉及的许可事项，扫码即可查看全部许可内容。"})
    typo = desk.get(f"/library/cases/{cid}/history").get_data(as_text=True)  # v2 → v3 by default
    assert "v2 → v3 的差异" in typo
    assert '全部<ins><span class="sr">［新增］</span>许可</ins>内容。' in typo
    reverse = desk.get(f"/library/cases/{cid}/history?from=3&to=1").get_data(as_text=True)
    assert "v3 → v1 的差异" in reverse
    assert desk.get(f"/library/cases/{cid}/history?from=9").status_code == 400
    token = CSRF.search(page).group(1)
    refused = desk.post(f"/library/cases/{cid}/revert", data={"csrf_token": token, "version": "1"})
    assert refused.status_code == 400 and "请勾选确认框" in refused.get_data(as_text=True)
    assert desk.get(f"/api/v1/cases/{cid}").get_json()["version"] == 3
    done = desk.post(f"/library/cases/{cid}/revert", data={"csrf_token": token, "version": "1",
                                                            "confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith("history?from=3&to=4#diff")
    shown = desk.get(done.headers["Location"]).get_data(as_text=True)
    assert "已恢复为 v1 的内容，已保存为 v4" in flashes(shown)[-1]
    versions = desk.get(f"/api/v1/cases/{cid}").get_json()["versions"]
    assert versions[3]["content_hash"] == versions[0]["content_hash"]  # v1's content, as v4


def test_points_move_up_and_down_without_javascript(desk, session):
    cid = case_id(session)
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)
    first, second = value(page, "f-points-1-lead"), value(page, "f-points-2-lead")
    moved = post_form(desk, cid, extra=[("move", "down:1")], page=page)
    html = moved.get_data(as_text=True)
    assert moved.status_code == 200 and "尚未保存" in html
    assert value(html, "f-points-1-lead") == second and value(html, "f-points-2-lead") == first
    assert desk.get(f"/api/v1/cases/{cid}").get_json()["version"] == 1  # not saved yet
    post_form(desk, cid, page=html)
    assert desk.get(f"/api/v1/cases/{cid}/content").get_json()["fields"]["points"][0]["lead"] == second


def test_image_captions_are_edited_and_an_image_removed_with_its_box(desk, session):
    cid = case_id(session)
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)
    sha = next(v for _i, n, v in read_form(page) if n == "image_sha")
    assert f'src="/preview/media/{sha}"' in page
    assert desk.get(f"/preview/media/{sha}").status_code == 200
    post_form(desk, cid, {"f-images-1-caption": "办理流程示意图"}, page=page)
    images = desk.get(f"/api/v1/cases/{cid}/content").get_json()["fields"]["images"]
    assert [(i["sha256"], i["caption"]) for i in images] == [(sha, "办理流程示意图")]
    post_form(desk, cid, extra=[("image_remove", sha)])
    assert desk.get(f"/api/v1/cases/{cid}/content").get_json()["fields"]["images"] == []


def test_a_reviewer_sees_the_case_but_cannot_change_it(app, runtime, session, clock):
    import_samples(runtime)
    users.create_user(session, "zhaofs", "Rev1ewer-2026!", "reviewer", now=clock.now(), actor="测试")
    client, _headers = login(app, "zhaofs", "Rev1ewer-2026!")
    cid = case_id(session, "人文环境", 1)
    page = client.get(f"/library/cases/{cid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "只能查看" in html
    assert ">保存<" not in html and "一键改为全角标点" not in html and "readonly" in html
    assert post_form(client, cid, {"f-lead-1": "复审改的"}, page=html).status_code == 403
    token = CSRF.search(html).group(1)
    assert client.post(f"/library/cases/{cid}/fix-punctuation", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/library/cases/{cid}/revert",
                       data={"csrf_token": token, "version": "1", "confirm": "1"}).status_code == 403
    assert client.get(f"/library/cases/{cid}/history").status_code == 200


def test_an_unknown_case_is_a_404_page_in_chinese(desk):
    answer = desk.get("/library/cases/9999")
    assert answer.status_code == 404 and "没有编号为 9999 的案例" in answer.get_data(as_text=True)


def test_a_blocking_finding_is_marked_as_one_to_fix(desk, session):
    cid = case_id(session)
    post_form(desk, cid, {"f-lead-2": "咨询电话13812345678。"})
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)
    assert "其中 <strong class=\"sev-blocking-text\">1 处必须修改</strong>" in page
    beside = page[page.index('id="f-lead-2"'):page.index('id="f-lead-3"')]
    assert '<p class="finding sev-blocking"><span class="sev">必须修改</span>含手机号码' in beside
    assert "138****5678" in beside and "13812345678" in beside.split("</textarea>")[0]  # masked in the note



def test_contact_details_show_their_chinese_names_and_keep_the_importers_keys(desk, session, runtime):
    cid = case_id(session)
    editing.save_content(session, cid, {"contact": {"name": "刘芳", "phone": "022-66701234"}},
                         actor="测试", now=runtime.clock.now(), tz=runtime.settings.tz)
    page = desk.get(f"/library/cases/{cid}").get_data(as_text=True)
    shown = {value(page, "f-contact-1-key"): value(page, "f-contact-1-value"),
             value(page, "f-contact-2-key"): value(page, "f-contact-2-value")}
    assert shown == {"联系人": "刘芳", "电话": "022-66701234"}
    assert ">name<" not in page and 'value="phone"' not in page
    post_form(desk, cid, {"f-contact-2-value": "022-66709999"}, page=page)
    session.expire_all()
    row = session.get(Case, cid)
    assert row.current_version.content["contact"] == {"name": "刘芳", "phone": "022-66709999"}
    diff = editing.version_diff(session, cid, row.current_version.version - 1, row.current_version.version)
    assert [d.label for d in diff] == ["联系方式·电话"]
