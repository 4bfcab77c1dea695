"""Stored plans: `plan apply` keeps the file's text as the series' current plan (one per series),
and the calendar reads blackout days and the office holiday file from the stored plans."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from publishing_helpers import SERIES, import_samples
from review_helpers import make_office
from wxpub.core import plans
from wxpub.models import Account, Release
from wxpub.models.plans import ReleasePlan
from wxpub.releases import plan_store, plans as release_plans

HOLIDAYS = "years: [2027]\nsource: 测试\nholidays:\n  - {from: 2027-01-01, to: 2027-01-03, name: 元旦}\nworkdays:\n  - 2027-02-13\n"


def _text(start: datetime, *, blackout: str = "", extra: str = "", account: str = "新政服") -> str:
    return (f"# 测试计划：注释要原样保存\nseries: {SERIES}\naccount: {account}\nmode: publish\n"
            f"start: {start.isoformat()}\ninterval: 7d   # 每周一篇\n{extra}"
            + (f"blackout:\n{blackout}" if blackout else "")
            + "chapters:\n  - 市场环境\n  - 政务环境\n")


@pytest.fixture
def library(runtime):
    import_samples(runtime)
    return runtime


def _apply(rt, path):
    with rt.db.session() as session:
        loaded = release_plans.load(session, path, now=rt.clock.now())
        return release_plans.apply_plan(session, loaded, settings=rt.settings, now=rt.clock.now(), actor="王编辑")


def test_plan_apply_stores_the_files_text_exactly(cli, library, tmp_path):
    # The command runs on the real clock: start well after it.
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)
    path = tmp_path / "binhai.yaml"
    text = _text(start)
    path.write_text(text, encoding="utf-8")
    make_office(library)
    result = cli("plan", "apply", str(path), "--as", "bianji")
    assert result.exit_code == 0, result.output
    with library.db.session() as session:
        row = session.scalar(select(ReleasePlan))
        assert row.yaml_text == text and row.sha256 == hashlib.sha256(text.encode()).hexdigest()
        assert row.series_name == SERIES and plan_store.account_name(session, row) == "新政服"
        assert row.filename == str(path) and row.updated_by == "bianji" and row.updated_at is not None
    # Applying an edited file replaces the series' plan: still one row.
    edited = text.replace("interval: 7d", "interval: 8d")
    path.write_text(edited, encoding="utf-8")
    assert cli("plan", "apply", str(path)).exit_code == 0
    with library.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ReleasePlan)) == 1
        assert session.scalar(select(ReleasePlan)).yaml_text == edited


def test_a_plan_with_errors_stores_nothing(library, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(_text(library.clock.now() - timedelta(days=30)), encoding="utf-8")  # in the past
    with library.db.session() as session:
        loaded = release_plans.load(session, path, now=library.clock.now())
        assert loaded.errors
        with pytest.raises(Exception):
            release_plans.apply_plan(session, loaded, settings=library.settings, now=library.clock.now(), actor="x")
    with library.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ReleasePlan)) == 0
        assert session.scalar(select(func.count()).select_from(Release)) == 0


def test_blackout_days_cover_every_day_of_each_range_with_its_note(library, tmp_path):
    start = library.clock.now() + timedelta(days=3)
    path = tmp_path / "plan.yaml"
    path.write_text(_text(start, blackout="  - 2026-04-01\n  - {from: 2026-04-10, to: 2026-04-12, note: 重要会议}\n"),
                    encoding="utf-8")
    _apply(library, path)
    with library.db.session() as session:
        days = plan_store.blackout_days(session)
        assert days == {date(2026, 4, 1): "停发", date(2026, 4, 10): "重要会议", date(2026, 4, 11): "重要会议",
                        date(2026, 4, 12): "重要会议"}
        account = session.scalar(select(Account).where(Account.name == "新政服"))
        assert plan_store.blackout_days(session, account_id=account.id) == days
        assert plan_store.blackout_days(session, account_id=account.id + 1000) == {}


def test_office_holidays_come_from_the_file_the_stored_plan_names(library, tmp_path):
    with library.db.session() as session:
        assert plan_store.office_holidays(session, library.settings) is None
    (tmp_path / "holidays-2027.yaml").write_text(HOLIDAYS, encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(_text(library.clock.now() + timedelta(days=3), extra="holidays_file: holidays-2027.yaml\n"),
                    encoding="utf-8")
    _apply(library, path)
    with library.db.session() as session:
        office = plan_store.office_holidays(session, library.settings)
    assert isinstance(office, plans.OfficeHolidays) and office.years == frozenset({2027})
    assert office.holidays[date(2027, 1, 2)] == "元旦" and date(2027, 2, 13) in office.workdays


def test_a_holiday_file_named_relative_is_found_in_the_schedules_directory(library, tmp_path):
    # The project's schedules/ has the example file; a plan stored from the browser names it.
    path = tmp_path / "plan.yaml"
    path.write_text(_text(library.clock.now() + timedelta(days=3),
                          extra="holidays_file: holidays-2027.example.yaml\n"), encoding="utf-8")
    with library.db.session() as session:
        loaded = release_plans.load_text(session, path.read_text(encoding="utf-8"), name="网页表单.yaml",
                                         now=library.clock.now(), holidays_dir=plan_store.schedules_dir())
        release_plans.apply_plan(session, loaded, settings=library.settings, now=library.clock.now(), actor="x")
    with library.db.session() as session:
        office = plan_store.office_holidays(session, library.settings)
    assert office is not None and 2027 in office.years


def test_plan_list_and_export_give_back_the_stored_text(cli, library, tmp_path):
    make_office(library)
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)
    path = tmp_path / "plan.yaml"
    text = _text(start)
    path.write_text(text, encoding="utf-8")
    assert "还没有保存的计划" in cli("plan", "list").output
    assert cli("plan", "apply", str(path), "--as", "bianji").exit_code == 0
    listed = cli("plan", "list").output
    assert SERIES in listed and "新政服" in listed and "bianji" in listed
    out = tmp_path / "back.yaml"
    assert cli("plan", "export", SERIES, "--out", str(out)).exit_code == 0
    assert out.read_bytes() == path.read_bytes()
    assert cli("plan", "export", SERIES).output == text
    missing = cli("plan", "export", "没有的系列")
    assert missing.exit_code != 0 and "还没有保存的计划" in missing.output


def test_the_plain_text_date_and_time_fields_take_what_a_chinese_input_method_types():
    """The form's date and time fields are text (a date input shows "mm/dd/yyyy" and "AM" in an
    English browser): full-width digits and colons, slashes and a one-digit hour are understood."""
    from wxpub.core.plans.form import ChapterRow, PlanFields, to_yaml

    typed = PlanFields(series="系列", account="新政服", start_date="２０２６/12/3", start_time="9：00",
                       time_of_day="９:30", chapters=[ChapterRow("市场环境", "2026.12.10", "１４：05", "", "")])
    text = to_yaml(typed)
    assert "start: 2026-12-03T09:00" in text and 'time_of_day: "09:30"' in text
    assert "2026-12-10T14:05" in text
