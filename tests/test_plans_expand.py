"""Release plans: from YAML to dated releases (interval, cron, holidays, blackout, keys)."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timezone

import pytest

from wxpub.core.plans import expand, load_holidays, load_plan

UTC = timezone.utc
NOW = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # before every plan below
SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"


def plan_from(body: str, chapters=("市场环境", "政务环境", "法治环境", "人文环境")):
    """A plan file with the usual header, ``body`` settings and the chapter list."""
    items = "\n".join(f"  - {c}" for c in chapters)
    text = (f"series: {SERIES}\naccount: 新政服\nmode: publish\n"
            + textwrap.dedent(body).strip() + f"\nchapters:\n{items}\n")
    return load_plan(text, "schedules/test.yaml")


def local_days(releases):
    return [r.local_time.date() for r in releases]


def local_stamps(releases):
    return [r.local_time.strftime("%Y-%m-%d %H:%M") for r in releases]


def test_weekly_interval_with_time_of_day_in_shanghai():
    plan = plan_from("""
        start: 2026-12-03
        interval: 7d
        time_of_day: "09:00"
    """)
    releases = expand(plan, now=NOW)
    assert local_stamps(releases) == ["2026-12-03 09:00", "2026-12-10 09:00",
                                      "2026-12-17 09:00", "2026-12-24 09:00"]
    assert [r.chapter for r in releases] == ["市场环境", "政务环境", "法治环境", "人文环境"]
    assert all(r.mode == "publish" for r in releases)


def test_naive_start_is_beijing_time_and_scheduled_at_is_the_utc_instant(monkeypatch):
    import time as time_module

    # A server running on UTC (or anywhere else) must not shift the release instant.
    monkeypatch.setenv("TZ", "UTC")
    time_module.tzset()
    try:
        plan = plan_from("start: 2026-12-03T09:00\ninterval: 1d", chapters=("市场环境", "政务环境"))
        releases = expand(plan, now=NOW)
    finally:
        monkeypatch.undo()
        time_module.tzset()
    assert releases[0].scheduled_at == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert releases[0].scheduled_at.utcoffset().total_seconds() == 0
    assert releases[0].local_time.utcoffset().total_seconds() == 8 * 3600
    assert releases[1].scheduled_at == datetime(2026, 12, 4, 1, 0, tzinfo=UTC)


def test_aware_start_in_utc_is_converted_to_plan_time():
    plan = plan_from("start: 2026-12-03T01:00:00Z\ninterval: 7d", chapters=("市场环境",))
    (release,) = expand(plan, now=NOW)
    assert release.local_time.strftime("%Y-%m-%d %H:%M") == "2026-12-03 09:00"


def test_other_timezone_keeps_wall_clock_time():
    plan = plan_from("timezone: UTC\nstart: 2026-12-03T09:00\ninterval: 7d", chapters=("市场环境",))
    (release,) = expand(plan, now=NOW)
    assert release.scheduled_at == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_time_of_day_unquoted_base60_is_still_read_as_a_clock_time():
    # YAML 1.1 reads an unquoted 9:30 as the integer 570; the plan must still mean 09:30.
    plan = plan_from("start: 2026-12-03\ninterval: 1d\ntime_of_day: 9:30", chapters=("市场环境",))
    assert local_stamps(expand(plan, now=NOW)) == ["2026-12-03 09:30"]


@pytest.mark.parametrize("interval, expected", [
    ("2h", ["09:00", "11:00", "13:00"]),
    ("90m", ["09:00", "10:30", "12:00"]),
    ("30s", ["09:00:00", "09:00:30", "09:01:00"]),
])
def test_sub_day_intervals(interval, expected):
    plan = plan_from(f"start: 2026-12-03T09:00\ninterval: {interval}",
                     chapters=("市场环境", "政务环境", "法治环境"))
    fmt = "%H:%M:%S" if interval.endswith("s") else "%H:%M"
    assert [r.local_time.strftime(fmt) for r in expand(plan, now=NOW)] == expected


def test_cron_expansion():
    plan = plan_from("start: 2026-12-01T00:00\ncron: \"0 9 * * 2,4\"")
    assert local_stamps(expand(plan, now=NOW)) == ["2026-12-01 09:00", "2026-12-03 09:00",
                                                   "2026-12-08 09:00", "2026-12-10 09:00"]


def test_cron_skips_a_national_day_slot_to_the_next_allowed_one():
    plan = plan_from("start: 2026-09-24T00:00\ncron: \"0 9 * * 4\"\nworkdays_only: true",
                     chapters=("市场环境", "政务环境", "法治环境"))
    releases = expand(plan, now=NOW)
    assert local_days(releases) == [date(2026, 9, 24), date(2026, 10, 8), date(2026, 10, 15)]
    assert releases[1].moved_from.date() == date(2026, 10, 1)
    assert "国庆节" in releases[1].moved_because


def test_workdays_only_moves_national_day_release_to_next_workday():
    plan = plan_from("start: 2026-09-17T09:00\ninterval: 7d\nworkdays_only: true")
    releases = expand(plan, now=NOW)
    # Oct 1 is 国庆节 → Oct 8; the regular Oct 8 release then goes to the next workday, Oct 9.
    assert local_days(releases) == [date(2026, 9, 17), date(2026, 9, 24),
                                    date(2026, 10, 8), date(2026, 10, 9)]
    assert releases[2].moved_from.date() == date(2026, 10, 1)
    assert releases[2].moved_because == "国庆节假期"
    assert releases[2].local_time.strftime("%H:%M") == "09:00"
    assert releases[0].moved_from is None


def test_daily_plan_across_spring_festival_uses_the_adjusted_saturday():
    # 2026: 春节 holidays 02-15..02-23; Saturday 02-14 is an adjusted workday (调休上班).
    plan = plan_from("start: 2026-02-12T09:00\ninterval: 1d\nworkdays_only: true",
                     chapters=("一", "二", "三", "四", "五"))
    releases = expand(plan, now=NOW)
    assert local_days(releases) == [date(2026, 2, 12), date(2026, 2, 13), date(2026, 2, 14),
                                    date(2026, 2, 24), date(2026, 2, 25)]
    assert releases[2].adjusted_workday is True
    assert "春节" in releases[3].moved_because


def test_weekly_saturday_plan_releases_on_adjusted_workday_and_skips_normal_saturdays():
    # 2026-10-03 is in 国庆; 2026-10-10 (Saturday) is a workday; 2026-10-17 is an ordinary Saturday.
    plan = plan_from("start: 2026-10-03T10:00\ninterval: 7d\nworkdays_only: true",
                     chapters=("市场环境", "政务环境", "法治环境"))
    releases = expand(plan, now=NOW)
    assert local_days(releases) == [date(2026, 10, 8), date(2026, 10, 10), date(2026, 10, 19)]
    assert releases[2].moved_because == "周六非工作日"


def test_without_workdays_only_holidays_do_not_move_releases():
    plan = plan_from("start: 2026-10-01T09:00\ninterval: 1d", chapters=("市场环境", "政务环境"))
    assert local_days(expand(plan, now=NOW)) == [date(2026, 10, 1), date(2026, 10, 2)]


def test_blackout_date_and_range_move_to_next_allowed_day():
    plan = plan_from("""
        start: 2026-12-03T09:00
        interval: 7d
        workdays_only: true
        blackout:
          - 2026-12-10
          - {from: 2026-12-16, to: 2026-12-18, note: 重要会议}
    """)
    releases = expand(plan, now=NOW)
    # 12-10 → 12-11 (Fri); 12-17 → 12-19 is Saturday → 12-21 (Mon).
    assert local_days(releases) == [date(2026, 12, 3), date(2026, 12, 11),
                                    date(2026, 12, 21), date(2026, 12, 24)]
    assert releases[2].moved_because == "停发日期（重要会议）"


def test_blackout_with_cron_takes_the_next_cron_slot():
    plan = plan_from("start: 2026-12-01T00:00\ncron: \"0 9 * * 2,4\"\nblackout: [2026-12-03]",
                     chapters=("市场环境", "政务环境"))
    assert local_days(expand(plan, now=NOW)) == [date(2026, 12, 1), date(2026, 12, 8)]


def test_chapter_at_overrides_its_slot_and_mode_override():
    plan = plan_from("""
        start: 2026-12-03T09:00
        interval: 7d
    """, chapters=("市场环境", "{name: 政务环境, at: 2026-12-25T15:00, mode: 群发}", "法治环境"))
    releases = expand(plan, now=NOW)
    assert local_stamps(releases) == ["2026-12-03 09:00", "2026-12-25 15:00", "2026-12-17 09:00"]
    assert [r.mode for r in releases] == ["publish", "mass_send", "publish"]
    assert releases[1].explicit and not releases[0].explicit


def test_every_chapter_with_at_needs_no_schedule():
    text = (f"series: {SERIES}\naccount: 新政服\nmode: mass_send\nchapters:\n"
            "  - {name: 市场环境, at: 2026-12-03T20:00}\n"
            "  - {name: 政务环境, at: 2026-12-04T20:00+08:00}\n")
    releases = expand(load_plan(text, "at.yaml"), now=NOW)
    assert [r.scheduled_at for r in releases] == [datetime(2026, 12, 3, 12, tzinfo=UTC),
                                                  datetime(2026, 12, 4, 12, tzinfo=UTC)]


def test_keys_are_stable_when_times_and_order_change():
    first = plan_from("start: 2026-12-03T09:00\ninterval: 7d")
    moved = plan_from("start: 2027-03-01T10:00\ninterval: 1d",
                      chapters=("人文环境", "法治环境", "政务环境", "市场环境"))
    keys = {r.chapter: r.key for r in expand(first, now=NOW)}
    assert keys == {r.chapter: r.key for r in expand(moved, now=NOW)}
    assert keys["市场环境"] == f"{SERIES}/市场环境"
    assert len(set(keys.values())) == 4


def test_installments_of_one_chapter_have_distinct_keys():
    plan = plan_from("start: 2026-12-03T09:00\ninterval: 1d",
                     chapters=("{name: 市场环境, part: 1}", "{name: 市场环境, part: 2}"))
    assert [r.key for r in expand(plan, now=NOW)] == [f"{SERIES}/市场环境#1", f"{SERIES}/市场环境#2"]


def test_title_template():
    # {n} is gone: the renderer, which makes the real article titles, has no such field.
    plan = plan_from("start: 2026-12-03T09:00\ninterval: 1d\ntitle_template: \"{chapter}篇（{part}）\"",
                     chapters=("{name: 市场环境, part: 2}",))
    assert expand(plan, now=NOW)[0].title == "市场环境篇（2）"


def test_beyond_package_range_does_not_crash_and_is_marked():
    # chinese_calendar 1.11 raises NotImplementedError for 2027.
    plan = plan_from("start: 2026-12-31T09:00\ninterval: 7d\nworkdays_only: true",
                     chapters=("市场环境", "政务环境", "法治环境"))
    releases = expand(plan, now=NOW)
    assert local_days(releases) == [date(2026, 12, 31), date(2027, 1, 7), date(2027, 1, 14)]
    assert [r.calendar for r in releases] == ["package", "none", "none"]


OFFICE_2027 = """
years: [2027]
holidays:
  - {from: 2027-01-01, to: 2027-01-03, name: 元旦}
  - {date: 2027-01-07, name: 测试假日}
workdays:
  - 2027-01-09
"""


def test_office_holiday_file_is_used_for_years_the_package_does_not_know():
    office = load_holidays(OFFICE_2027, "holidays-2027.yaml")
    plan = plan_from("start: 2026-12-31T09:00\ninterval: 7d\nworkdays_only: true\n"
                     "holidays_file: holidays-2027.yaml", chapters=("市场环境", "政务环境"))
    releases = expand(plan, now=NOW, holidays=office)
    assert local_days(releases) == [date(2026, 12, 31), date(2027, 1, 8)]
    assert releases[1].calendar == "office"
    assert releases[1].moved_because == "测试假日假期"


def test_office_adjusted_saturday_counts_as_workday():
    office = load_holidays(OFFICE_2027, "holidays-2027.yaml")
    plan = plan_from("start: 2027-01-09T09:00\ninterval: 1d\nworkdays_only: true",
                     chapters=("市场环境", "政务环境"))
    assert local_days(expand(plan, now=NOW, holidays=office)) == [date(2027, 1, 9), date(2027, 1, 11)]


def test_office_file_does_not_override_years_the_package_knows():
    office = load_holidays("years: [2026]\nholidays: [2026-12-03]\n", "h.yaml")
    plan = plan_from("start: 2026-12-03T09:00\ninterval: 1d\nworkdays_only: true",
                     chapters=("市场环境",))
    (release,) = expand(plan, now=NOW, holidays=office)
    assert release.local_time.date() == date(2026, 12, 3) and release.calendar == "package"


@pytest.mark.parametrize("weekday, expected", [
    ("4", ["2026-12-03"]),  # standard cron: 4 = Thursday (APScheduler alone would say Friday)
    ("0", ["2026-12-06"]),
    ("7", ["2026-12-06"]),
    ("thu", ["2026-12-03"]),
    ("1-5", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07"]),
    ("*/3", ["2026-12-02", "2026-12-05", "2026-12-06", "2026-12-09"]),  # Sun, Wed, Sat
])
def test_cron_weekdays_count_from_sunday_like_crontab(weekday, expected):
    chapters = [f"第{i}篇" for i in range(len(expected))]
    plan = plan_from(f"start: 2026-11-30T00:00\ncron: \"0 9 * * {weekday}\"", chapters=chapters)
    assert [r.local_time.strftime("%Y-%m-%d") for r in expand(plan, now=NOW)] == expected
