"""A small but complete office for page-layout tests: the sample series imported, one chapter
planned (so there is a message to review, preview and compose), statistics for its articles and
two months of account figures, and accounts for every role. Shared by the responsive browser test
and the screenshot crawl; nothing here is used by the product."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from review_helpers import OFFICE, OFFICE_PASSWORD, make_office, planned_message
from wxpub.models import (Account, Case, Chapter, Release, Series, StatArticle, StatArticleDaily,
                          StatBizDaily, StatPull, User)
from wxpub.stats.dates import beijing_today

ADMIN = "guanli"  # an admin of the office, with OFFICE_PASSWORD
LONG_TITLE = "市场环境篇丨创新“双招双引”模式 集聚创新创业领军人才，打造一流营商环境的滨海实践"


def build(rt, tmp_path) -> dict:
    """Build the office; returns the ids the pages need (message, release, case, series, chapter,
    msgid) and the usernames (editor ``bianji``, admin ``guanli``)."""
    make_office(rt)
    message_id, release_id = planned_message(rt, tmp_path)
    now = rt.clock.now()
    today = beijing_today(now)
    with rt.db.session() as s:
        template = s.scalar(select(User).where(User.username == "bianji"))
        if s.scalar(select(User).where(User.username == ADMIN)) is None:
            s.add(User(username=ADMIN, display_name="孙管理员", role="admin",
                       password_hash=template.password_hash, created_at=now, password_changed_at=now))
        release = s.get(Release, release_id)
        account = s.get(Account, release.account_id)
        msgids = []
        for idx, title in enumerate([LONG_TITLE, "市场环境篇丨案例二：一网通办"], start=1):
            msgid = f"2247490098_{idx}"
            msgids.append(msgid)
            s.add(StatArticle(msgid=msgid, msg_data_id="2247490098", idx=idx, title=title,
                              publish_date=today - timedelta(days=6), publish_type=1,
                              release_id=release.id, read_user=1234 * idx, share_user=56 * idx,
                              collection_user=7, zaikan_user=5, like_user=9, comment_count=2,
                              read_finish_rate=0.48, is_delay=idx == 2,
                              sources={"聊天会话": 800, "朋友圈": 300, "公众号消息": 100, "搜一搜": 34}))
        s.flush()
        for msgid in msgids:
            for d in range(6):
                s.add(StatArticleDaily(msgid=msgid, stat_date=today - timedelta(days=6 - d),
                                       read_user=200 - 20 * d, share_user=10, collection_user=1,
                                       zaikan_user=1, is_delay=d == 5,
                                       sources={"read": {"聊天会话": 120, "朋友圈": 60}}))
        for d in range(1, 62):
            s.add(StatBizDaily(account_id=account.id, ref_date=today - timedelta(days=d),
                               detail={"read_user": 300 + (d * 37) % 250, "share_user": 20 + d % 9,
                                       "zaikan_user": 3, "collection_user": 4}, is_delay=d == 1))
        others = s.scalars(select(Chapter).where(Chapter.series_id == release.series_id,
                                                 Chapter.id != release.chapter_id).order_by(Chapter.position))
        for n, chapter in enumerate(others, start=1):  # published earlier (rows as a pull leaves them)
            sent = today - timedelta(days=6 + 7 * n)
            past = Release(plan_key=f"{release.plan_key}-past-{n}", account_id=account.id,
                           series_id=release.series_id, chapter_id=chapter.id, mode="publish",
                           state="published", msg_data_id=f"22474900{n:02d}",
                           scheduled_at=datetime(sent.year, sent.month, sent.day, 1, 0, tzinfo=timezone.utc),
                           published_at=datetime(sent.year, sent.month, sent.day, 1, 0, 4, tzinfo=timezone.utc))
            s.add(past)
            s.flush()
            s.add(StatArticle(msgid=f"22474900{n:02d}_1", msg_data_id=f"22474900{n:02d}", idx=1,
                              title=f"{chapter.name}篇丨2023年度滨海新区优化营商环境创新实践案例展示",
                              publish_date=sent, publish_type=1, release_id=past.id, read_user=900 * n + 321,
                              share_user=40 * n, collection_user=3 * n, zaikan_user=2 * n, like_user=n,
                              read_finish_rate=0.3 + 0.08 * n, sources={"聊天会话": 500, "朋友圈": 200}))
            s.add(StatArticleDaily(msgid=f"22474900{n:02d}_1", stat_date=sent, read_user=600))
        s.add(StatPull(endpoint="getarticletotaldetail", begin_date=today - timedelta(days=7),
                       end_date=today - timedelta(days=1), rows=12, pulled_at=now))
        case_id = s.scalar(select(Case.id).order_by(Case.id))
        chapter_id = release.chapter_id
        series_id = release.series_id
        s.commit()
    return {"message": message_id, "release": release_id, "case": case_id, "chapter": chapter_id,
            "series": series_id, "msgid": msgids[0], "password": OFFICE_PASSWORD,
            "editor": "bianji", "admin": ADMIN, "reviewer": "fushen", "users": list(OFFICE) + [ADMIN]}


def pages(ids: dict) -> list[str]:
    """Every staff page that exists with this office (paths), in menu order."""
    return ["/workbench", "/calendar", "/releases", f"/releases/{ids['release']}", "/plans", "/plans/new",
            "/library", "/library/import", f"/library/cases/{ids['case']}",
            f"/library/cases/{ids['case']}/history", "/series", f"/series/{ids['series']}",
            f"/chapters/{ids['chapter']}/compose", "/preview/", f"/preview/messages/{ids['message']}",
            "/review", f"/review/messages/{ids['message']}", f"/review/messages/{ids['message']}/sheet",
            f"/review/messages/{ids['message']}/phone", "/notices", "/alerts",
            "/dashboard/", "/dashboard/chapters", "/dashboard/report", f"/dashboard/article/{ids['msgid']}",
            "/dashboard/calendar", "/ratings", "/ratings/new", "/audit", "/admin/users", "/admin/users/new",
            f"/admin/users/{ids['editor']}",
            "/admin/accounts", "/admin/accounts/new", "/admin/accounts/xzf",
            "/profile", "/password", "/nothing-here"]
