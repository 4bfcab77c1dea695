"""Release plans: reading plan and holiday files, with Chinese errors that name file and line."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from wxpub.core.plans import (PlanError, expand, format_calendar, holidays_path, load_holidays,
                         load_plan, validate)

ROOT = Path(__file__).resolve().parents[1]
GOOD = """\
series: 测试系列
account: 新政服
mode: publish
start: 2026-12-03T09:00
interval: 7d
chapters:
  - 市场环境
"""


def error_of(text: str, filename="schedules/bad.yaml") -> PlanError:
    with pytest.raises(PlanError) as caught:
        load_plan(text, filename)
    return caught.value


def test_minimal_plan_defaults():
    plan = load_plan(GOOD, "schedules/good.yaml")
    assert plan.account_type == "subscription" and plan.timezone == "Asia/Shanghai"
    assert plan.workdays_only is False and plan.blackout == ()
    assert plan.start == datetime(2026, 12, 3, 1, tzinfo=timezone.utc)


def test_chinese_aliases_for_mode_and_account_type():
    plan = load_plan(GOOD.replace("mode: publish", "mode: 群发\naccount_type: 服务号"), "a.yaml")
    assert plan.mode == "mass_send" and plan.account_type == "service"


def test_yaml_syntax_error_names_file_and_line():
    text = GOOD.replace("  - 市场环境", "  - 市场环境\n   bad: [unclosed")
    error = error_of(text)
    assert error.line == 8
    assert error.message.startswith("schedules/bad.yaml:")
    assert "YAML 格式错误" in error.message


def test_unknown_key_is_an_error_with_line_and_suggestion():
    error = error_of(GOOD.replace("interval: 7d", "interval: 7d\nworkday_only: true"))
    assert error.problems == [(6, "未知的键“workday_only”，是否想写“workdays_only”？")]
    assert "schedules/bad.yaml:6: 未知的键“workday_only”" in error.message


def test_unknown_key_inside_a_chapter():
    error = error_of(GOOD.replace("  - 市场环境", "  - {name: 市场环境, time: 2026-12-03T09:00}"))
    assert error.line == 7 and "篇章中未知的键“time”" in error.message


def test_duplicate_key_is_an_error_not_last_one_wins():
    error = error_of(GOOD + "interval: 1d\n")
    assert error.problems == [(8, "键“interval”重复出现")]


def test_missing_required_keys_are_all_listed():
    error = error_of("series: 测试\ninterval: 1d\n")
    messages = [text for _, text in error.problems]
    assert "缺少必填的键“account”" in messages and "缺少必填的键“chapters”" in messages
    assert "缺少必填的键“mode”" in messages


@pytest.mark.parametrize("old, new, line, text", [
    ("interval: 7d", "interval: 7 days", 5, "间隔“7 days”无法识别"),
    ("interval: 7d", "interval: 0d", 5, "间隔必须大于 0"),
    ("interval: 7d", "interval: -1d", 5, "间隔必须大于 0"),
    ("interval: 7d", "interval: 7d\ncron: \"0 9 * * 4\"", 5, "interval 和 cron 只能二选一"),
    ("interval: 7d", "cron: \"0 9 * *\"", 5, "必须有 5 段"),
    ("interval: 7d", "cron: \"0 25 * * *\"", 5, "cron 表达式“0 25 * * *”无效"),
    ("interval: 7d", "cron: \"0 9 1 * 1\"", 5, "同时限定了日期和星期"),
    ("interval: 7d\n", "", None, "没有排期规则"),
    ("mode: publish", "mode: broadcast", 3, "发送方式 mode“broadcast”无效"),
    ("mode: publish", "mode: publish\naccount_type: enterprise", 4, "账号类型 account_type“enterprise”无效"),
    ("mode: publish", "mode: publish\ntimezone: Beijing", 4, "时区“Beijing”无效"),
    ("start: 2026-12-03T09:00", "start: 下周四", 4, "不是 ISO 8601 时间"),
    ("start: 2026-12-03T09:00\n", "", None, "缺少开始时间 start"),
    ("interval: 7d", "interval: 7d\ntime_of_day: \"25:00\"", 6, "应写成 HH:MM"),
    ("interval: 7d", "interval: 2h\ntime_of_day: \"09:00\"", 6, "只适用于按天计的间隔"),
    ("interval: 7d", "interval: 7d\nworkdays_only: sometimes", 6, "只能是 true 或 false"),
    ("interval: 7d", "interval: 7d\nblackout: [2026-13-01]", 6, "停发日期必须写成 YYYY-MM-DD"),
    ("interval: 7d", "interval: 7d\nblackout: [{from: 2026-12-09, to: 2026-12-01}]", 6, "早于开始"),
    ("interval: 7d", "interval: 7d\ntitle_template: \"{chapter}篇丨{serie}\"", 6, "占位符“{serie}”未知"),
    ("  - 市场环境", "  - {name: 市场环境, part: 0}", 7, "part“0”必须是从 1 开始的整数"),
    ("  - 市场环境", "  - {at: 2026-12-03T09:00}", 7, "篇章缺少 name"),
    ("chapters:\n  - 市场环境\n", "chapters: []\n", 6, "必须是非空列表"),
])
def test_schema_errors_name_the_line(old, new, line, text):
    error = error_of(GOOD.replace(old, new))
    assert any(text in message and (line is None or at == line) for at, message in error.problems), \
        error.problems


def test_all_problems_are_reported_at_once():
    error = error_of(GOOD.replace("interval: 7d", "interval: 7x\ntime_of_day: noon\nworkday_only: 1"))
    assert [line for line, _ in error.problems] == [5, 6, 7]


def test_top_level_must_be_a_mapping():
    assert "最外层必须是" in error_of("- 市场环境\n- 政务环境\n").message
    assert "最外层必须是" in error_of("").message


def test_example_plan_in_schedules_is_valid_and_clean():
    path = ROOT / "schedules" / "binhai-2023.yaml"
    plan = load_plan(path.read_text(encoding="utf-8"), str(path))
    assert plan.series == "2023年度滨海新区优化营商环境创新实践案例展示"
    assert plan.account == "新政服" and plan.mode == "publish" and plan.workdays_only
    now = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
    releases = expand(plan, now=now)
    assert [r.chapter for r in releases] == ["市场环境", "政务环境", "法治环境", "人文环境"]
    assert all(r.local_time.strftime("%H:%M") == "09:00" and r.local_time.weekday() < 5
               for r in releases)
    assert releases[0].local_time.date() > date(2026, 11, 26)
    issues = validate(plan, releases, now=now, known_chapters={c: 5 for c in
                                                                ("市场环境", "政务环境", "法治环境", "人文环境")})
    assert issues == []
    assert "市场环境" in format_calendar(plan, releases, issues)


def test_example_holiday_file_loads():
    path = ROOT / "schedules" / "holidays-2027.example.yaml"
    office = load_holidays(path.read_text(encoding="utf-8"), str(path))
    assert office.years == frozenset({2027})
    assert office.holidays[date(2027, 10, 1)] == "国庆节"
    assert all(day.weekday() >= 5 for day in office.workdays)


@pytest.mark.parametrize("text, line, message", [
    ("holidays: [2027-01-01]\n", None, "缺少 years"),
    ("years: [2027]\nholidays: [2028-01-01]\n", None, "2028-01-01 不在 years 声明的年份"),
    ("years: [2027]\nholidays: [2027-01-01]\nworkdays: [2027-01-01]\n", 3, "同时列为节假日和调休上班日"),
    ("years: [2027]\nholidays: [2027-02-30]\n", 2, "日期必须写成 YYYY-MM-DD"),
    ("years: [2027]\nholiday: [2027-01-01]\n", 2, "未知的键“holiday”，是否想写“holidays”？"),
])
def test_holiday_file_errors(text, line, message):
    with pytest.raises(PlanError) as caught:
        load_holidays(text, "holidays-2027.yaml")
    assert any(message in m and at == line for at, m in caught.value.problems), caught.value.problems
    assert caught.value.message.startswith("holidays-2027.yaml")


def test_holidays_path_is_relative_to_the_plan_file():
    plan = load_plan(GOOD + "holidays_file: holidays-2027.yaml\n", "schedules/x.yaml")
    assert str(holidays_path(plan, "schedules/x.yaml")) == "schedules/holidays-2027.yaml"
    assert holidays_path(load_plan(GOOD, "x.yaml"), "x.yaml") is None
