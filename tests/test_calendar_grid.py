"""发布日历 (/calendar) as staff read it: a Monday-first month or week grid of one account with the
statutory holidays and 调休 (chinese_calendar), blackout days from the stored plans, the releases of
each day coloured and named by state and linked to their page, the day's (subscription) or the
month's (service) 群发 quota used and left, silent runs flagged 预警 at 10 days and 告警 at 14,
and a clear Chinese 400 for a bad parameter."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from library_helpers import make_series
from wxpub.core.plans import grid as g
from wxpub.core.plans.calendar import WorkdayCalendar
from wxpub.infra.clock import FrozenClock
from wxpub.models import Account, Chapter, Release
from wxpub.releases import liveness

BJ = ZoneInfo("Asia/Shanghai")
SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"


@pytest.fixture
def clock() -> FrozenClock:
    """Late November 2026 (Beijing 09:00): October lies in the past, December ahead."""
    return FrozenClock(datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc))


class Office:
    """Accounts and releases of the test's database, written as rows (the states they end in)."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.series_id = make_series(runtime)
        with runtime.db.session() as s:
            self.chapters = {c.name: c.id for c in s.query(Chapter).filter_by(series_id=self.series_id)}
        self.accounts: dict[str, int] = {}
        self.n = 0

    def account(self, name="新政服", kind="subscription", appid="wx0000000000000001") -> int:
        with self.runtime.db.session() as s:
            row = Account(name=name, appid=appid, account_type=kind)
            s.add(row)
            s.commit()
            self.accounts[name] = row.id
            return row.id

    def release(self, when: str, *, state="published", mode="publish", chapter="市场环境",
                account="新政服") -> int:
        """A release at Beijing ``YYYY-MM-DD HH:MM``; published ones went out at that time."""
        at = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=BJ)
        self.n += 1
        with self.runtime.db.session() as s:
            row = Release(plan_key=f"{SERIES}/{chapter}/{self.n}", account_id=self.accounts[account],
                          series_id=self.series_id, chapter_id=self.chapters[chapter], mode=mode,
                          scheduled_at=at, state=state,
                          published_at=at + timedelta(seconds=3) if state in ("published", "manual") else None)
            s.add(row)
            s.commit()
            return row.id


@pytest.fixture
def office(runtime) -> Office:
    office = Office(runtime)
    office.account()
    return office


def _get(client, **args):
    answer = client.get("/calendar", query_string=args)
    return answer.status_code, answer.get_data(as_text=True)


def _cell(html: str, day: str) -> str:
    """The text and markup of one day's cell."""
    match = re.search(rf'<td class="([^"]*)" id="d-{day}"([^>]*)>(.*?)</td>', html, flags=re.S)
    assert match, f"no cell for {day}"
    return f"{match.group(1)} ||{match.group(2)} {match.group(3)}"


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment)).strip()


def test_the_month_shows_national_day_and_the_adjusted_workdays(editor_client, office):
    status, html = _get(editor_client, month="2026-10")
    assert status == 200
    assert "发布日历 · 2026年10月" in html
    headings = re.findall(r'<th scope="col"[^>]*>(周.)</th>', html)
    assert headings == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    # October 2026 starts on a Thursday: the grid starts on Monday 09-28.
    assert re.search(r'<tbody>\s*<tr>\s*<td class="[^"]*" id="d-2026-09-28"', html)
    national = _cell(html, "2026-10-01")
    assert "holiday" in national.split("||")[0] and "国庆节" in national
    saturday_at_work = _cell(html, "2026-10-10")
    assert "调休上班" in saturday_at_work and "weekend" not in saturday_at_work.split("||")[0]
    assert "weekend" in _cell(html, "2026-10-17").split("||")[0]
    status, september = _get(editor_client, month="2026-09")
    assert "调休上班" in _cell(september, "2026-09-20") and "中秋节" in _cell(september, "2026-09-25")


def test_a_release_is_coloured_named_and_linked_in_beijing_time(editor_client, office):
    published = office.release("2026-10-13 09:30")
    failed = office.release("2026-10-14 20:15", state="failed", chapter="政务环境")
    status, html = _get(editor_client, month="2026-10")
    cell = _cell(html, "2026-10-13")
    assert f'href="/releases/{published}"' in cell and "state-published" in cell
    assert "09:30 发布 市场环境 已发布" in _text(cell)
    other = _cell(html, "2026-10-14")
    assert f'href="/releases/{failed}"' in other and "state-failed" in other
    assert "20:15 发布 政务环境 失败" in _text(other)
    legend = _text(html[html.index('id="legend-title"'):])
    for name in ("待审批", "已审批待发", "发布中", "已发布", "人工发布", "失败", "已取消"):
        assert name in legend


def test_a_subscription_account_shows_the_days_mass_send_used_and_left(editor_client, office):
    office.release("2026-12-03 09:00", state="approved", mode="mass_send")
    office.release("2026-12-10 09:00", state="approved", mode="mass_send")
    office.release("2026-12-10 18:00", state="planned", mode="mass_send", chapter="政务环境")
    office.release("2026-12-11 09:00", state="canceled", mode="mass_send", chapter="法治环境")
    status, html = _get(editor_client, month="2026-12")
    assert "09:00 群发 市场环境 已审批待发" in _text(_cell(html, "2026-12-03"))
    assert "群发额度：已用 1 / 1，剩余 0" in _text(_cell(html, "2026-12-03"))
    crowded = _text(_cell(html, "2026-12-10"))
    assert "群发额度：已用 2 / 1，剩余 0（超出 1 次）" in crowded
    assert "群发额度" not in _text(_cell(html, "2026-12-11"))  # a canceled send uses nothing
    assert "订阅号每天可群发 1 次" in html


def test_a_service_account_shows_the_months_quota_on_the_header(editor_client, office):
    office.account("滨海服务", "service", appid="wx0000000000000002")
    for day in ("2026-12-02", "2026-12-09", "2026-12-16"):
        office.release(f"{day} 10:00", state="approved", mode="mass_send", account="滨海服务")
    office.release("2026-12-23 10:00", state="failed", mode="mass_send", account="滨海服务")
    status, html = _get(editor_client, month="2026-12", account="滨海服务")
    assert status == 200 and "公众号：滨海服务（服务号）" in _text(html)
    assert "2026年12月群发：已用 3 / 4 次，剩余 1 次" in _text(html)
    assert "本日群发 1 次（计入本月额度）" in _text(_cell(html, "2026-12-09"))
    # the chooser lists both accounts; the AppID works as well as the name
    assert re.search(r'<option value="新政服">新政服（订阅号）</option>', html)
    assert "已用 3 / 4 次" in _text(_get(editor_client, month="2026-12", account="wx0000000000000002")[1])
    assert "月群发：已用" not in _get(editor_client, month="2026-12", account="新政服")[1]


def test_a_fourteen_day_silence_is_an_alarm_and_ten_days_a_warning(editor_client, office):
    # October: published on the 1st, nothing until the 16th: the 2nd … 15th are 14 silent days.
    office.release("2026-10-01 09:00")
    office.release("2026-10-16 09:00")
    # then the 26th: 9 silent days (17th … 25th), not flagged
    office.release("2026-10-26 09:00")
    # November: the 2nd, then the 13th: 10 silent days (3rd … 12th)
    office.release("2026-11-02 09:00")
    office.release("2026-11-13 09:00")
    status, october = _get(editor_client, month="2026-10")
    last = _cell(october, "2026-10-15")
    assert "gap-alarm" in last.split("||")[0] and "未更新第 14 天告警" in _text(last)
    assert "未更新第 10 天预警" in _text(_cell(october, "2026-10-11"))
    assert "gap-alarm" in _cell(october, "2026-10-02").split("||")[0]
    assert "gap-" not in _cell(october, "2026-10-16").split("||")[0]
    assert "gap-" not in _cell(october, "2026-10-20").split("||")[0] and "未更新" not in _cell(october, "2026-10-20")
    status, november = _get(editor_client, month="2026-11")
    tenth = _cell(november, "2026-11-12")
    assert "gap-warn" in tenth.split("||")[0] and "未更新第 10 天预警" in _text(tenth)
    assert "告警" not in _text(tenth)


def test_a_silence_that_starts_with_the_last_publication_runs_into_the_future(editor_client, office):
    # Published 12 days before "today" (2026-11-20); a release planned in the past never went out.
    office.release("2026-11-08 09:00")
    office.release("2026-11-12 09:00", state="approved")  # late: it does not keep the account alive
    status, html = _get(editor_client, month="2026-11")
    today = _cell(html, "2026-11-20")
    assert 'aria-current="date"' in today and "今天" in _text(today)
    assert "gap-warn" in today.split("||")[0] and "未更新第 12 天预警" in _text(today)
    assert "gap-alarm" in _cell(html, "2026-11-22").split("||")[0]
    assert "未更新第 14 天告警" in _text(_cell(html, "2026-11-22"))
    assert "gap-" not in _cell(html, "2026-11-17").split("||")[0]  # day 9: not yet
    assert "09:00 发布 市场环境 已审批待发 已过计划时间，未发出" in _text(_cell(html, "2026-11-12"))
    banner = re.search(r'<p class="cal-liveness level-warn"[^>]*>(.*?)</p>', html, flags=re.S)
    # the banner counts whole days since the publication (11 days and 23 hours: 11)
    assert banner and "预警：距上次发布（2026-11-08 09:00）已 11 天" in _text(banner.group(1))
    # a release planned ahead closes the run: the days after it are no longer counted
    office.release("2026-11-25 09:00", state="approved")
    status, html = _get(editor_client, month="2026-11")
    assert "gap-alarm" in _cell(html, "2026-11-24").split("||")[0]
    assert "未更新第 16 天" in _text(_cell(html, "2026-11-24"))
    assert "gap-alarm" in _cell(html, "2026-11-17").split("||")[0]  # the whole run reaches 16 days
    assert "gap-" not in _cell(html, "2026-11-26").split("||")[0]  # after the planned release


def test_blackout_days_of_a_stored_plan_are_marked(editor_client, office, runtime, clock):
    from wxpub.releases import plan_store

    text = (f"series: {SERIES}\naccount: 新政服\nmode: publish\nstart: 2026-12-01T09:00\ninterval: 7d\n"
            "blackout:\n  - 2026-12-13\n  - {from: 2026-12-20, to: 2026-12-22, note: 重要会议}\n"
            "chapters:\n  - 市场环境\n")
    with runtime.db.session() as s:
        plan_store.store(s, series_name=SERIES, account_id=office.accounts["新政服"], text=text,
                         sha256="0" * 64, filename="schedules/binhai.yaml", actor="测试", now=clock.now())
        s.commit()
    status, html = _get(editor_client, month="2026-12")
    assert "停发：停发" in _text(_cell(html, "2026-12-13"))
    assert "停发：重要会议" in _text(_cell(html, "2026-12-21"))
    assert "blackout" in _cell(html, "2026-12-22").split("||")[0]
    assert "blackout" not in _cell(html, "2026-12-23").split("||")[0]


def test_the_week_view_has_seven_days_with_times(editor_client, office):
    rid = office.release("2026-09-30 08:05", state="published", chapter="人文环境")
    status, html = _get(editor_client, view="week", week="2026-09-28")
    assert status == 200 and "2026年9月28日至10月4日" in html
    days = re.findall(r'id="d-(\d{4}-\d\d-\d\d)"', html)
    assert days == [(date(2026, 9, 28) + timedelta(days=i)).isoformat() for i in range(7)]
    assert "9月30日 周三" in _text(_cell(html, "2026-09-30"))
    assert f'href="/releases/{rid}"' in html and "08:05 发布 人文环境" in _text(_cell(html, "2026-09-30"))
    assert "国庆节" in _cell(html, "2026-10-01")
    # any day of the week shows its week; the links go a week back and forth
    assert re.findall(r'id="d-(\d{4}-\d\d-\d\d)"', _get(editor_client, view="week", week="2026-10-02")[1]) == days
    assert 'href="/calendar?view=week&amp;week=2026-09-21"' in html
    assert 'href="/calendar?view=week&amp;week=2026-10-05"' in html


def test_navigation_today_and_the_month_chooser(editor_client, office):
    status, html = _get(editor_client)
    assert "2026年11月" in html and 'aria-current="date"' in _cell(html, "2026-11-20")
    assert 'href="/calendar?month=2026-10"' in html and 'href="/calendar?month=2026-12"' in html
    assert re.search(r'<a href="/calendar">今天</a>', html)
    assert '<option value="11" selected>11月</option>' in html
    assert '<option value="2026" selected>2026年</option>' in html
    assert 'type="month"' not in html
    status, chosen = _get(editor_client, year="2027", mon="2")
    assert status == 200 and "发布日历 · 2027年2月" in chosen
    # beyond chinese_calendar and without an office holiday file: said so, weekends still marked
    assert "2027 年超出节假日数据范围" in chosen


@pytest.mark.parametrize("args,message", [
    ({"month": "2026-13"}, "month（月份）应写成 YYYY-MM"),
    ({"month": "十月"}, "month（月份）应写成 YYYY-MM"),
    ({"month": "1900-01"}, "超出范围"),
    ({"view": "week", "week": "2026-02-30"}, "没有 2026-02-30 这一天"),
    ({"view": "week", "week": "下周"}, "week（周）应写成这一周周一的日期"),
    ({"view": "year"}, "view（视图）只能是 month（月视图）或 week（周视图）"),
    ({"account": "不存在的号"}, "没有名为“不存在的号”的公众号（现有：新政服）"),
    ({"year": "2026", "mon": "13"}, "mon（月份）只能是 1 至 12"),
    ({"year": "二〇二六", "mon": "1"}, "year（年份）应是四位数字"),
    ({"year": "2101", "mon": "1"}, "超出范围，只能查看 2014 年至 2100 年"),
])
def test_a_bad_parameter_is_a_chinese_400_naming_it(editor_client, office, args, message):
    status, html = _get(editor_client, **args)
    assert status == 400
    assert message in html


def test_the_calendar_needs_a_login(client, office):
    answer = client.get("/calendar")
    assert answer.status_code in (302, 401) and "/login" in answer.headers.get("Location", "/login")


def test_without_any_account_the_page_still_shows_the_holidays(editor_client, runtime):
    status, html = _get(editor_client, month="2026-10")
    assert status == 200 and "还没有公众号" in html and "国庆节" in _cell(html, "2026-10-01")


def test_the_page_reads_the_releases_in_one_query_however_many_there_are(editor_client, office, runtime):
    def statements_for_page():
        seen = []

        def record(conn, cursor, statement, *args):
            seen.append(statement)
        event.listen(runtime.db.engine, "before_cursor_execute", record)
        try:
            assert _get(editor_client, month="2026-12")[0] == 200
        finally:
            event.remove(runtime.db.engine, "before_cursor_execute", record)
        return [s for s in seen if "releases" in s]

    office.release("2026-12-01 09:00", state="approved")
    statements_for_page()  # the first page also fills the header's cached 我的待办 count
    few = statements_for_page()
    for day in range(2, 29):
        office.release(f"2026-12-{day:02d} 09:00", state="approved")
    many = statements_for_page()
    assert len(many) == len(few)
    assert len([s for s in many if "JOIN chapters" in s]) == 1


def test_the_grid_counts_silence_from_the_release_before_the_window():
    """The pure grid: a publication long before the shown month still starts the count."""
    tz = BJ
    now = datetime(2026, 6, 10, 1, 0, tzinfo=timezone.utc)
    first, last = g.month_span(date(2026, 6, 1))
    shown = g.build(first, last, in_range=(date(2026, 6, 1), date(2026, 6, 30)), entries=[],
                    today=date(2026, 6, 10), now=now, tz=tz, calendar=WorkdayCalendar(), blackouts={},
                    account_type="subscription", warn_days=10, alarm_days=14,
                    last_alive_before=date(2026, 5, 1), reached=liveness.REACHED, waiting=liveness.WAITING)
    june = {d.day: d for d in shown.days}
    assert june[date(2026, 6, 1)].silence == 31 and june[date(2026, 6, 1)].level == "alarm"
    assert june[date(2026, 6, 1)].run_start and june[date(2026, 6, 19)].holiday == "端午节"


def test_after_the_last_planned_release_the_deadline_is_marked(editor_client, office):
    """Nothing planned after 12-03: the calendar shows when the warning and the alarm would come."""
    office.release("2026-11-19 09:00")
    office.release("2026-12-03 09:00", state="approved")
    status, html = _get(editor_client, month="2026-12")
    assert "gap-" not in _cell(html, "2026-12-04").split("||")[0] and "gap-" not in _cell(html, "2026-12-12").split("||")[0]
    assert "gap-warn" in _cell(html, "2026-12-13").split("||")[0] and "未更新第 10 天预警" in _text(_cell(html, "2026-12-13"))
    assert "gap-alarm" in _cell(html, "2026-12-17").split("||")[0] and "未更新第 14 天告警" in _text(_cell(html, "2026-12-17"))
    assert "下一次计划发布：2026-12-03 09:00" in _text(html)


def test_the_month_chooser_in_the_week_view_opens_the_months_first_week(editor_client, office):
    # January 2027 starts on a Friday: its first week is the one of Monday 01-04
    status, html = _get(editor_client, view="week", year="2027", mon="1")
    assert status == 200 and "2027年1月4日至1月10日" in html
    assert '<option value="1" selected>1月</option>' in html
    # the current month's week view starts at this week
    assert "2026年11月16日至11月22日" in _get(editor_client, view="week", month="2026-11")[1]
    # and the month link of a week goes to the month that holds most of it
    status, week = _get(editor_client, view="week", week="2026-09-28")
    assert 'href="/calendar?month=2026-10">月视图' in week


def test_a_silence_reaching_past_the_months_read_is_counted_whole(editor_client, office):
    """Published 10-25, next planned 12-20: late October already lies in a 55-day silence."""
    office.release("2026-10-25 09:00")
    office.release("2026-12-20 09:00", state="approved")
    status, html = _get(editor_client, month="2026-10")
    assert "gap-alarm" in _cell(html, "2026-10-26").split("||")[0]
    assert "未更新第 1 天" in _text(_cell(html, "2026-10-26"))
    status, html = _get(editor_client, month="2026-12")
    assert "未更新第 55 天告警" in _text(_cell(html, "2026-12-19"))
    assert "gap-" not in _cell(html, "2026-12-20").split("||")[0]
