"""The planning pages without JavaScript: list, new, check, apply (confirmed), import and export
with a byte-identical round trip, and who may apply."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from auth_helpers import login
from publishing_helpers import SERIES, import_samples
from review_helpers import OFFICE_PASSWORD, make_office
from wxpub.models import Release, Series
from wxpub.models.plans import ReleasePlan


class FormReader(HTMLParser):
    """The fields a browser would submit for the form with ``id`` (as rendered, nothing changed)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._textarea = self._select = None
        self._option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            else:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea = [a["name"], ""]
        elif tag == "select":
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select is not None:
            if self._select[2] is None:
                self._select[2] = a.get("value", "")
            if "selected" in a:
                self._select[1] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, chosen, first = self._select
            self.fields.append((name, chosen if chosen is not None else first))
            self._select = None


def form_fields(html: str, form_id: str = "plan-form") -> list[tuple[str, str]]:
    reader = FormReader(form_id)
    reader.feed(html)
    return reader.fields


def _with(fields, **changes):
    pairs = fields.items(multi=True) if isinstance(fields, MultiDict) else fields
    out = [(k, v) for k, v in pairs if k not in changes]
    for k, v in changes.items():
        out.extend((k, x) for x in (v if isinstance(v, list) else [v]))
    return MultiDict(out)


@pytest.fixture
def office(app, runtime):
    make_office(runtime)
    import_samples(runtime)
    return runtime


def _token(client) -> str:
    page = client.get("/plans").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _series_id(rt) -> int:
    with rt.db.session() as session:
        return session.scalar(select(Series.id).where(Series.name == SERIES))


def _count(rt, model) -> int:
    with rt.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _new_form(client, rt, **changes):
    page = client.get(f"/plans/new?series={_series_id(rt)}").get_data(as_text=True)
    start = (rt.clock.now() + timedelta(days=3)).astimezone(rt.settings.tz)
    return page, _with(form_fields(page), start_date=f"{start:%Y-%m-%d}", account="新政服", **changes)


def test_the_new_form_explains_the_modes_and_lists_the_series_chapters(app, office):
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    assert "还没有保存过计划" in client.get("/plans").get_data(as_text=True)
    page, fields = _new_form(client, office)
    assert "不推送给粉丝" in page and "不占群发次数" in page and "订阅号每天 1 次" in page and "服务号每位粉丝每月 4 次" in page
    assert [v for v in fields.getlist("ch_name") if v] == ["市场环境", "政务环境", "法治环境", "人文环境"]
    # every field has a label
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page))
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', page))
    assert ids and ids <= labelled
    assert 'name="csrf_token"' in page


def test_check_shows_the_calendar_and_writes_nothing(app, office):
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    _, fields = _new_form(client, office)
    answer = client.post("/plans/form", data=_with(fields, action="check"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "2026-03-05 09:00 周四" in page and f"市场环境篇丨{SERIES}" in page
    assert "人文环境" in page and "检查结果与发布日历" in page
    assert _count(office, Release) == 0 and _count(office, ReleasePlan) == 0


def test_apply_needs_the_confirmation_then_creates_the_releases(app, office):
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    _, fields = _new_form(client, office, blackout="2026-03-12 至 2026-03-13 重要会议")
    refused = client.post("/plans/form", data=_with(fields, action="apply"))
    assert refused.status_code == 400 and "请先勾选" in refused.get_data(as_text=True)
    assert _count(office, Release) == 0
    answer = client.post("/plans/form", data=_with(fields, action="apply", confirm="1"))
    assert answer.status_code == 302 and re.search(r"/plans/\d+$", answer.headers["Location"])
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "计划已应用：新建 4" in page and "本系列的发布" in page and page.count("待审批") >= 4
    # Every 7 days from 03-05 (Thu), workdays only: 03-12 lies in the blackout, so 政务环境 moves
    # past it and the weekend to Monday 03-16.
    assert "2026-03-16 09:00" in page and "原定 2026-03-12 09:00 周四，因停发日期（重要会议）顺延" in page
    listing = client.get("/plans").get_data(as_text=True)
    assert SERIES in listing and "新政服" in listing and "发布" in listing and "2026-03-05 09:00" in listing
    assert _count(office, Release) == 4


def test_import_and_export_round_trip_byte_for_byte(app, office):
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    start = (office.clock.now() + timedelta(days=3)).astimezone(office.settings.tz)
    text = (f"# 2023 年度连载：每周一篇（注释要保留）\nseries: {SERIES}\naccount: 新政服\n"
            f"mode: 发布        # 发布：不推送\nstart: {start:%Y-%m-%d}T09:00+08:00\ninterval: 1w\n"
            "time_of_day: '09:00'\nworkdays_only: yes\nblackout:\n  - {from: 2026-03-19, note: 停发一天}\n"
            "chapters:\n  - 市场环境篇\n  - {name: 政务环境, mode: 群发}\n")
    shown = client.post("/plans/import", data={"file": (io.BytesIO(text.encode()), "春季.yaml"),
                                                  "csrf_token": _token(client)},
                        content_type="multipart/form-data")
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "注释不再保留" in page and "2026-03-05 09:00 周四" in page
    fields = form_fields(page)
    assert base64.b64decode(dict(fields)["source_b64"]).decode("utf-8") == text
    applied = client.post("/plans/form", data=_with(fields, action="apply", confirm="1"))
    assert applied.status_code == 302
    with office.db.session() as session:
        row = session.scalar(select(ReleasePlan))
        assert row.yaml_text == text  # the unchanged form kept the text, comments and all
    download = client.get(f"/plans/{row.id}.yaml")
    assert download.data == text.encode("utf-8")
    assert client.get("/plans/99999").status_code == 404 and client.get("/plans/99999.yaml").status_code == 404
    disposition = download.headers["Content-Disposition"]
    assert f'filename="plan-{row.id}.yaml"' in disposition and "filename*=UTF-8''" in disposition
    # The stored plan's own form, submitted unchanged, still stands for the same text.
    edit = client.get(f"/plans/{row.id}").get_data(as_text=True)
    again = client.post("/plans/form", data=_with(form_fields(edit), action="apply", confirm="1"))
    assert "comment-note" in edit
    assert again.status_code == 302
    with office.db.session() as session:
        assert session.scalar(select(ReleasePlan)).yaml_text == text
    # A changed form regenerates the YAML (without the comments) and says so.
    changed = client.post("/plans/form", data=_with(form_fields(edit), action="check", mode="mass_send"))
    body = changed.get_data(as_text=True)
    assert "表单已改动" in body and "mode: mass_send" in body


def test_import_errors_name_their_lines_and_keep_the_text(app, office):
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    text = f"series: {SERIES}\naccount: 新政服\nmode: publish\nworkday_only: true\nchapters:\n  - 市场环境\n"
    answer = client.post("/plans/import", data={"text": text, "csrf_token": _token(client)})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "第 4 行" in page and "workdays_only" in page
    assert "workday_only: true" in page  # the pasted text is still there to fix
    empty = client.post("/plans/import", data={"text": "  ", "csrf_token": _token(client)})
    assert empty.status_code == 400 and "请选择一个 .yaml 文件" in empty.get_data(as_text=True)


def test_a_bad_form_field_is_named(app, office):
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    _, fields = _new_form(client, office, blackout="下周一")
    answer = client.post("/plans/form", data=_with(fields, action="check"))
    assert answer.status_code == 400 and "停发日期第 1 行“下周一”无法识别" in answer.get_data(as_text=True)


def test_only_editors_and_approvers_apply(app, office):
    reader, _ = login(app, "jiaodui", OFFICE_PASSWORD)
    page, fields = _new_form(reader, office)
    assert "保存并应用</button>" not in page and "只有编辑、终审人可以保存并应用计划" in page
    assert reader.post("/plans/form", data=_with(fields, action="check")).status_code == 200
    assert reader.post("/plans/form", data=_with(fields, action="apply", confirm="1")).status_code == 403
    assert _count(office, Release) == 0
    approver, _ = login(app, "zhongshen", OFFICE_PASSWORD)
    _, fields = _new_form(approver, office)
    assert approver.post("/plans/form", data=_with(fields, action="apply", confirm="1")).status_code == 302
    assert app.test_client().get("/plans").status_code in (302, 401)


def test_the_stored_plan_marks_published_chapters_as_skipped(app, office):
    from sqlalchemy import update
    client, _ = login(app, "bianji", OFFICE_PASSWORD)
    _, fields = _new_form(client, office)
    location = client.post("/plans/form", data=_with(fields, action="apply", confirm="1")).headers["Location"]
    with office.db.session() as session:
        first = session.scalar(select(Release).order_by(Release.scheduled_at))
        session.execute(update(Release).where(Release.id == first.id)
                        .values(state="published", published_at=office.clock.now()))
        session.commit()
    page = client.get(location).get_data(as_text=True)
    assert "已发布，跳过" in page and "已发布" in page
    # Re-applying the unchanged plan leaves the published chapter alone.
    again = client.post("/plans/form", data=_with(form_fields(page), action="apply", confirm="1"))
    assert again.status_code == 302
    assert "跳过 1（已发布、发布中或已手动改期）" in client.get(again.headers["Location"]).get_data(as_text=True)


# --- the form ⇄ YAML conversion itself (pure) ---------------------------------------------------

def test_form_values_written_as_yaml_read_back_as_the_same_form():
    from wxpub.core.plans import form, load_plan

    values = form.PlanFields(
        series='系列: "特别" #1', account="yes", mode="mass_send", account_type="service",
        start_date="2027-1-5", start_time="8:30", repeat="cron", cron="30 8  * * 1-5", workdays_only=True,
        blackout="2027-01-10\n2027-01-12 至 2027-01-14 会议: 重要 #注意\n\n2027-02-01 春节前",
        holidays_file="holidays-2027.yaml", title_template="{series}：{chapter}（{part}）", theme="政务红",
        chapters=[form.ChapterRow("市场环境"), form.ChapterRow("- 政务", "2027-01-20", "15:00", "publish", "2"),
                  form.ChapterRow("true"), form.ChapterRow("123"), form.ChapterRow("[法治]", mode="mass_send"),
                  form.ChapterRow("  ")])
    text = form.to_yaml(values)
    back = form.fields_of(load_plan(text, "t.yaml"))
    assert form.same(values, back) and form.to_yaml(back) == text
    assert [c.name for c in back.chapters] == ["市场环境", "- 政务", "true", "123", "[法治]"]
    # Every example of schedules/ reads into the form and is written back to a plan that means the same.
    from pathlib import Path
    for path in (Path(__file__).resolve().parents[1] / "schedules").glob("binhai-*.yaml"):
        original = path.read_text(encoding="utf-8")
        fields = form.fields_of(load_plan(original, path.name))
        assert form.text_for(fields, original, fields) == original  # unchanged: the text itself
        assert form.same(form.fields_of(load_plan(form.to_yaml(fields), "x.yaml")), fields)


def test_form_errors_name_the_field():
    from wxpub.core.plans import form

    base = form.PlanFields(series="S", account="A", start_date="2027-01-05", chapters=[form.ChapterRow("市场环境")])
    for change, field, words in (({"series": " "}, "series", "请填写系列"),
                                 ({"start_date": "2027-02-30"}, "start_date", "不是有效日期"),
                                 ({"time_of_day": "25:00"}, "time_of_day", "HH:MM"),
                                 ({"blackout": "2027-01-03 至 2027-01-01"}, "blackout", "早于开始"),
                                 ({"chapters": []}, "chapters", "至少填写一个篇章"),
                                 ({"chapters": [form.ChapterRow("市场环境", at_time="09:00")]}, "chapters", "请同时填写日期"),
                                 ({"repeat": "cron"}, "cron", "cron 表达式")):
        with pytest.raises(form.FormError) as refused:
            form.to_yaml(form.PlanFields(**{**base.__dict__, **change}))
        assert refused.value.field == field and words in refused.value.message, change
