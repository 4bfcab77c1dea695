"""Release plans: every validation error and warning, and the calendar text staff read."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import datetime, timedelta, timezone

import pytest

from wxpub.core.plans import (ChapterEntry, PlanError, expand, format_calendar, load_holidays, load_plan,
                         validate)

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 2026-11-26 10:00 Beijing time
SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"
KNOWN = {"市场环境": 30, "政务环境": 30, "法治环境": 29, "人文环境": 28}


def plan_from(body: str, chapters=("市场环境", "政务环境", "法治环境", "人文环境"), mode="publish"):
    items = "\n".join(f"  - {c}" for c in chapters)
    text = (f"series: {SERIES}\naccount: 新政服\nmode: {mode}\n"
            + textwrap.dedent(body).strip() + f"\nchapters:\n{items}\n")
    return load_plan(text, "schedules/test.yaml")


def check(plan, *, now=NOW, holidays=None, known=KNOWN, **kwargs):
    return validate(plan, expand(plan, now=now, holidays=holidays), now=now,
                    known_chapters=known, **kwargs)


def codes(issues, severity=None):
    return [i.code for i in issues if severity is None or i.severity == severity]


def only(issues, code):
    found = [i for i in issues if i.code == code]
    assert found, f"no {code} among {codes(issues)}"
    return found


WEEKLY = "start: 2026-12-03T09:00\ninterval: 7d\nworkdays_only: true"


def test_clean_plan_has_no_issues():
    assert check(plan_from(WEEKLY)) == []


def test_release_in_the_past_is_an_error():
    issues = check(plan_from(WEEKLY), now=datetime(2026, 12, 5, tzinfo=UTC))
    (past,) = only(issues, "past")
    assert past.severity == "error" and past.chapter == "市场环境"
    assert "2026-12-03 09:00 周四 已经过去" in past.message


def test_two_mass_sends_on_one_day_for_a_subscription_account():
    plan = plan_from(WEEKLY, chapters=("{name: 市场环境, at: 2026-12-03T09:00}",
                                       "{name: 政务环境, at: 2026-12-03T20:00}"), mode="mass_send")
    errors = only(check(plan), "mass_daily")
    assert {e.chapter for e in errors} == {"市场环境", "政务环境"}
    assert "订阅号每天只能群发 1 次" in errors[0].message
    assert "2026-12-03" in errors[0].message


def test_one_day_counts_in_beijing_time_not_utc():
    # 07:00 and 09:00 Beijing on 12-03 are different UTC days (12-02 23:00, 12-03 01:00): same quota day.
    plan = plan_from(WEEKLY, chapters=("{name: 市场环境, at: 2026-12-03T07:00}",
                                       "{name: 政务环境, at: 2026-12-03T09:00}"), mode="mass_send")
    assert len(only(check(plan), "mass_daily")) == 2


def test_publish_mode_has_no_daily_quota():
    plan = plan_from(WEEKLY, chapters=("{name: 市场环境, at: 2026-12-03T09:00}",
                                       "{name: 政务环境, at: 2026-12-03T20:00}"))
    assert "mass_daily" not in codes(check(plan))


def test_mass_send_elsewhere_on_the_same_day_counts():
    plan = plan_from(WEEKLY, chapters=("市场环境",), mode="mass_send")
    issues = check(plan, existing_mass_sends=[datetime(2026, 12, 3, 12, tzinfo=UTC)])
    assert "另有 1 次已在别处安排" in only(issues, "mass_daily")[0].message


def test_more_than_four_mass_sends_a_month_for_a_service_account():
    chapters = ("市场环境", "政务环境", "法治环境", "人文环境", "{name: 市场环境, part: 2}")
    plan = plan_from("account_type: service\nstart: 2026-12-01T09:00\ninterval: 2d",
                     chapters=chapters, mode="mass_send")
    errors = only(check(plan), "mass_monthly")
    assert len(errors) == 5
    assert "2026年12月共有 5 次群发" in errors[0].message
    assert "每月最多收到 4 次" in errors[0].message
    four = dataclasses.replace(plan, chapters=plan.chapters[:4])
    assert "mass_monthly" not in codes(check(four))
    # A subscription account may send one a day, so five sends on five days are fine.
    assert codes(check(dataclasses.replace(plan, account_type="subscription")), "error") == []


def test_unknown_and_empty_chapters():
    plan = plan_from(WEEKLY, chapters=("市场环境", "营商环境", "人文环境"))
    issues = check(plan, known={"市场环境": 3, "人文环境": 0})
    (unknown,) = only(issues, "unknown_chapter")
    assert unknown.chapter == "营商环境" and unknown.line == 9
    assert "未知篇章“营商环境”" in unknown.message
    (empty,) = only(issues, "empty_chapter")
    assert empty.chapter == "人文环境" and "没有选入任何案例" in empty.message


def test_chapter_checks_skipped_without_a_case_library():
    plan = plan_from(WEEKLY, chapters=("营商环境",))
    assert codes(check(plan, known=None)) == []


def test_duplicate_chapter_is_an_error():
    plan = plan_from(WEEKLY, chapters=("市场环境", "政务环境", "市场环境"))
    (dup,) = only(check(plan), "duplicate")
    assert dup.line == 10  # the second occurrence, where the mistake is
    assert dup.severity == "error" and "篇章“市场环境”在计划中出现了 2 次" in dup.message


@pytest.mark.parametrize("change, code, text", [
    ({"timezone": "Asia/Beijing"}, "timezone", "时区“Asia/Beijing”无效"),
    ({"interval": timedelta(0)}, "interval", "间隔必须大于 0"),
    ({"interval": timedelta(days=-1)}, "interval", "间隔必须大于 0"),
    ({"cron": "0 9 * * 4"}, "interval", "interval 和 cron 只能二选一"),
    ({"interval": None}, "chapters", "没有排期规则"),
])
def test_structural_errors_of_a_plan_built_in_code(change, code, text):
    plan = dataclasses.replace(plan_from(WEEKLY), **change)
    issues = validate(plan, [], now=NOW, known_chapters=None)
    assert codes(issues) == [code] and text in issues[0].message
    with pytest.raises(PlanError) as caught:
        expand(plan, now=NOW)
    assert text in caught.value.message


def test_all_chapters_with_at_need_neither_interval_nor_cron():
    plan = dataclasses.replace(plan_from(WEEKLY), interval=None, chapters=(
        ChapterEntry("市场环境", at=datetime(2026, 12, 3, 1, tzinfo=UTC)),))
    assert check(plan) == []


def test_beyond_package_range_without_office_file_warns_and_does_not_crash():
    plan = plan_from("start: 2026-12-31T09:00\ninterval: 7d\nworkdays_only: true",
                     chapters=("市场环境", "政务环境"))
    issues = check(plan)
    (warning,) = only(issues, "beyond_calendar")
    assert warning.severity == "warning" and warning.chapter == "政务环境"
    assert "2027 年超出节假日数据范围（chinese_calendar 只到 2026 年）" in warning.message
    assert "计划没有指定办公室节假日文件" in warning.message
    assert "调休无法核对" in warning.message
    assert codes(issues, "error") == []


def test_office_file_not_covering_the_year_is_named_in_the_warning():
    office = load_holidays("years: [2028]\nholidays: [2028-01-01]\n", "holidays-2028.yaml")
    plan = plan_from("start: 2026-12-31T09:00\ninterval: 7d\nworkdays_only: true\n"
                     "holidays_file: holidays-2028.yaml", chapters=("市场环境", "政务环境"))
    (warning,) = only(check(plan, holidays=office), "beyond_calendar")
    assert "节假日文件 holidays-2028.yaml 也未覆盖 2027 年" in warning.message


def test_office_file_covering_the_year_gives_a_visible_note_not_the_unchecked_warning():
    office = load_holidays("years: [2027]\nholidays: [{from: 2027-01-01, to: 2027-01-03, name: 元旦}]\n",
                           "holidays-2027.yaml")
    plan = plan_from("start: 2026-12-31T09:00\ninterval: 7d\nworkdays_only: true\n"
                     "holidays_file: holidays-2027.yaml", chapters=("市场环境", "政务环境"))
    issues = check(plan, holidays=office)
    assert "beyond_calendar" not in codes(issues)
    (note,) = only(issues, "office_calendar")
    assert note.severity == "warning" and "按办公室节假日文件 holidays-2027.yaml 核对" in note.message


def test_weekend_release_warns_when_workdays_only_is_off():
    plan = plan_from("start: 2026-12-05T09:00\ninterval: 7d", chapters=("市场环境",))
    (weekend,) = only(check(plan), "weekend")
    assert weekend.severity == "warning"
    assert "2026-12-05 09:00 周六" in weekend.message and "workdays_only: false" in weekend.message


def test_adjusted_saturday_and_holiday_warnings_when_workdays_only_is_off():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    saturday = plan_from("start: 2026-10-10T09:00\ninterval: 7d", chapters=("市场环境",))
    assert "调休上班日" in only(check(saturday, now=now), "weekend")[0].message
    holiday = plan_from("start: 2026-10-01T09:00\ninterval: 7d", chapters=("市场环境",))
    assert "国庆节假期" in only(check(holiday, now=now), "holiday")[0].message


def test_explicit_time_on_blackout_is_an_error_and_on_holiday_a_warning():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    plan = plan_from("start: 2026-09-17T09:00\ninterval: 7d\nworkdays_only: true\n"
                     "blackout: [2026-09-18]",
                     chapters=("{name: 市场环境, at: 2026-09-18T09:00}",
                               "{name: 政务环境, at: 2026-10-02T09:00}"))
    issues = check(plan, now=now)
    assert only(issues, "at_blackout")[0].chapter == "市场环境"
    assert "国庆节" in only(issues, "at_non_workday")[0].message


def test_gap_of_more_than_fourteen_days_warns():
    plan = plan_from("start: 2026-12-03T09:00\ninterval: 15d", chapters=("市场环境", "政务环境"))
    (gap,) = only(check(plan), "gap")
    assert gap.severity == "warning" and "相隔 15 天" in gap.message and "14 天不更新" in gap.message
    fortnight = plan_from("start: 2026-12-03T09:00\ninterval: 14d", chapters=("市场环境", "政务环境"))
    assert "gap" not in codes(check(fortnight))


def test_chapter_order_differing_from_time_order_warns():
    plan = plan_from(WEEKLY, chapters=("市场环境", "{name: 政务环境, at: 2026-12-25T15:00}", "法治环境"))
    assert only(check(plan), "order")[0].chapter == "法治环境"


def test_title_longer_than_wechat_limit_is_an_error():
    plan = plan_from(WEEKLY + "\ntitle_template: \"{series}——{chapter}篇专题展示\"", chapters=("市场环境",))
    (long_title,) = only(check(plan), "title_too_long")
    assert "超过微信 32 字上限" in long_title.message


def test_format_calendar_lists_releases_then_issues():
    plan = plan_from("start: 2026-09-24T09:00\ninterval: 7d\nworkdays_only: true",
                     chapters=("市场环境", "{name: 政务环境, mode: mass_send}"))
    now = datetime(2026, 9, 1, tzinfo=UTC)
    releases = expand(plan, now=now)
    issues = validate(plan, releases, now=now, known_chapters={"市场环境": 2, "政务环境": 0})
    text = format_calendar(plan, releases, issues, "Asia/Shanghai")
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("序号"))
    assert header.split() == ["序号", "篇章", "本地时间", "方式", "说明"]
    assert any(line.startswith("1 ") and "市场环境" in line and "2026-09-24 09:00 周四" in line
               and "发布" in line for line in lines)
    second = next(line for line in lines if line.startswith("2 "))
    assert "2026-10-08 09:00 周四" in second and "群发" in second
    assert "原定 2026-10-01 09:00 周四，因国庆节假期顺延" in second
    assert "问题：1 个错误，0 个警告" in text
    assert "错误 [政务环境] 篇章“政务环境”还没有选入任何案例" in text


def test_format_calendar_in_another_timezone_and_without_issues():
    plan = plan_from(WEEKLY, chapters=("市场环境",))
    releases = expand(plan, now=NOW)
    text = format_calendar(plan, releases, [], "UTC")
    assert "2026-12-03 01:00 周四" in text and "检查通过" in text


def test_issue_of_an_installment_points_at_its_own_line():
    plan = plan_from(WEEKLY, chapters=("市场环境", "{name: 市场环境, part: 2, at: 2026-11-20T09:00}"))
    (past,) = only(check(plan), "past")
    assert past.line == 9 and "“市场环境（2）”" in past.message
