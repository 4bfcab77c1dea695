"""The dashboard's figures are cached per process until the next statistics pull, the next audited
change or the next Beijing day: a pull shows at once, every person sees the same figures inside
their own header, and nothing crosses databases."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from wxpub import create_app
from wxpub.infra import migrate
from wxpub.infra.clock import FrozenClock
from wxpub.infra.config import Settings
from wxpub.infra.runtime import Runtime
from wxpub.library import curation, series
from wxpub.models import Case, Chapter, StatArticle, StatPull
from wxpub.staff import users
from wxpub.stats import cache, pull
from wxpub.stats.dates import BEIJING
from wxpub.stats.testing import follow_sandbox, move_sandbox_to, publish, record_release, sandbox_now
from wxpub.wechat import WeChat

from auth_helpers import CSRF_FIELD, login

SERIES = "2023年度滨海新区优化营商环境创新实践案例展示"
PASSWORD = "correct-horse-9"

pytestmark = pytest.mark.sandbox(publish_delay=1.0)


@pytest.fixture
def site(module_sandbox, sandbox_runtime):
    """One chapter published and pulled once; an editor and an admin; the app."""
    sandbox = module_sandbox
    sandbox.control("reset", {})
    move_sandbox_to(sandbox, 9, 30)
    clock = FrozenClock(sandbox_now(sandbox))
    rt = sandbox_runtime(sandbox, clock=clock)
    wx = WeChat(rt.settings, rt.db, clock=clock)
    sent = publish(wx, sandbox, ["市场环境篇丨创新实践案例", "市场环境篇丨案例二"])
    with rt.db.session() as s:
        record_release(s, sent, series=SERIES, chapter="市场环境", scheduled_at=sandbox_now(sandbox),
                       case_titles=["创新“双招双引”模式 集聚创新创业领军人才"])
        s.commit()
    move_sandbox_to(sandbox, 10, 30, days=2)
    follow_sandbox(clock, sandbox)
    pull(rt)
    with rt.db.session() as s:
        users.create_user(s, "editor", PASSWORD, "editor", now=clock.now(), actor="测试",
                          display_name="王编辑")
        users.create_user(s, "boss", PASSWORD, "admin", now=clock.now(), actor="测试",
                          display_name="张主任")
    app = create_app(runtime=rt)
    app.config.update(TESTING=True)
    return rt, app, sandbox, sent


def _reads(client) -> int:
    answer = client.get("/dashboard/overview.json")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer.get_json()["totals"]["read_user"]


def _shows(html: str, number: int) -> bool:
    """The page prints ``number`` as a figure (plain or with thousands separators)."""
    return any(f">{text}<" in html for text in (str(number), f"{number:,}"))


def test_a_new_pull_shows_its_figures_on_the_next_request(site):
    rt, app, sandbox, _ = site
    client, _ = login(app, "editor", PASSWORD)
    before = _reads(client)
    first = client.get("/dashboard/").get_data(as_text=True)
    assert before > 0 and _shows(first, before)
    def hits():  # the person's own page, or the figures inside a fresh frame
        return cache.for_runtime(rt).hits + cache.for_runtime(rt, "own pages").hits
    served = hits()
    assert client.get("/dashboard/").get_data(as_text=True) == first  # the same page, from the cache
    assert hits() > served

    sandbox.control("clock", {"advance_days": 1})  # a day of readers more, pulled by the scheduler
    follow_sandbox(rt.clock, sandbox)
    pull(rt)
    client, _ = login(app, "editor", PASSWORD)  # a day later: the morning's login
    after = _reads(client)
    assert after > before
    page = client.get("/dashboard/").get_data(as_text=True)
    assert _shows(page, after) and not _shows(page, before)
    with rt.db.session() as s:
        top = s.scalars(select(StatArticle).order_by(StatArticle.read_user.desc())).first()
    assert _shows(client.get(f"/dashboard/article/{top.msgid}").get_data(as_text=True), top.read_user)


def test_everyone_sees_the_same_figures_inside_their_own_header(site):
    rt, app, _, _ = site
    editor, _ = login(app, "editor", PASSWORD)
    boss, _ = login(app, "boss", PASSWORD)
    pages = {}
    for name, client in (("editor", editor), ("boss", boss)):
        html = client.get("/dashboard/").get_data(as_text=True)
        pages[name] = html
        assert html.count("<main") == 1 and "</html>" in html
    body = {k: v[v.index("<main"):] for k, v in pages.items()}
    assert body["editor"] == body["boss"]  # the figures: one computation for everyone
    assert "王编辑" in pages["editor"] and "张主任" not in pages["editor"]
    assert "张主任" in pages["boss"] and "账号管理" in pages["boss"] and "账号管理" not in pages["editor"]
    tokens = {k: CSRF_FIELD.search(v) or re.search(r'name="csrf_token" value="([^"]+)"', v)
              for k, v in pages.items()}
    assert tokens["editor"].group(1) != tokens["boss"].group(1)  # each logout form is the person's own
    out = editor.post("/logout", data={"csrf_token": tokens["editor"].group(1)})
    assert out.status_code == 302
    assert editor.get("/dashboard/").status_code == 302  # logged out: the cached page is not served
    assert boss.get("/dashboard/").status_code == 200


def test_an_audited_change_to_chapters_or_cases_shows_at_once(site):
    rt, app, _, _ = site
    client, _ = login(app, "editor", PASSWORD)
    assert ">市场环境<" in client.get("/dashboard/").get_data(as_text=True)
    library = client.get("/dashboard/overview.json").get_json()["library"]
    assert [r["selected"] for r in library if r["chapter"] == "市场环境"] == [1]
    with rt.db.session() as s:
        chapter = s.scalar(select(Chapter).where(Chapter.name == "市场环境"))
        series.update_chapter(s, chapter.id, name="市场化改革", actor="editor", now=rt.clock.now())
        case_ids = list(s.scalars(select(Case.id).where(Case.chapter_id == chapter.id)))
        curation.set_statuses(s, case_ids, "rejected", actor="editor", now=rt.clock.now())
    page = client.get("/dashboard/").get_data(as_text=True)
    assert ">市场化改革<" in page and ">市场环境<" not in page  # the chapter cells
    assert "市场化改革" in client.get("/dashboard/chapters").get_data(as_text=True)
    library = client.get("/dashboard/overview.json").get_json()["library"]
    assert [(r["selected"], r["rejected"]) for r in library if r["chapter"] == "市场化改革"] == [(0, 1)]


def test_a_new_beijing_day_renders_the_pages_again(site):
    rt, app, _, _ = site
    client, _ = login(app, "editor", PASSWORD)
    today = rt.clock.now().astimezone(BEIJING).date()
    month = today.strftime("%Y-%m")
    assert f"生成日期 {today}" in client.get(f"/dashboard/report?month={month}").get_data(as_text=True)
    rt.clock.advance(days=1)
    client, _ = login(app, "editor", PASSWORD)  # the next morning
    page = client.get(f"/dashboard/report?month={month}").get_data(as_text=True)
    assert f"生成日期 {today + timedelta(days=1)}" in page


def test_an_unknown_article_stays_a_404_and_articles_do_not_mix(site):
    rt, app, _, sent = site
    client, _ = login(app, "editor", PASSWORD)
    first, second = sent.msgids()
    for _ in range(2):
        assert client.get("/dashboard/article/999_1").status_code == 404
        one = client.get(f"/dashboard/article/{first}").get_data(as_text=True)
        two = client.get(f"/dashboard/article/{second}").get_data(as_text=True)
        assert "<title>市场环境篇丨创新实践案例" in one and "<title>市场环境篇丨案例二" in two


def _runtime_with(tmp_path, name: str, reads: int) -> Runtime:
    """A runtime on its own SQLite file holding one article with ``reads`` readers, pulled."""
    now = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
    rt = Runtime.from_settings(Settings.from_mapping(
        {"env": "test", "database_url": f"sqlite:///{tmp_path}/{name}.sqlite3",
         "instance_path": str(tmp_path / name)}), clock=FrozenClock(now))
    migrate.upgrade(rt.db)
    with rt.db.session() as s:
        s.execute(insert(StatArticle), [{"msgid": f"{name}_1", "msg_data_id": name, "idx": 1,
                                         "title": f"{name}的文章", "read_user": reads, "sources": {}}])
        s.execute(insert(StatPull), [{"endpoint": "getarticletotaldetail", "begin_date": now.date(),
                                      "end_date": now.date(), "rows": 1, "pulled_at": now}])
        s.commit()
        users.create_user(s, "editor", PASSWORD, "editor", now=now, actor="测试")
    return rt


def test_two_databases_never_share_figures(tmp_path):
    runtimes = [_runtime_with(tmp_path, "one", 1111), _runtime_with(tmp_path, "two", 2222)]
    try:
        for rt, reads in zip(runtimes, (1111, 2222)):
            app = create_app(runtime=rt)
            app.config.update(TESTING=True)
            client, _ = login(app, "editor", PASSWORD)
            for _ in range(2):
                assert _reads(client) == reads
                assert _shows(client.get("/dashboard/").get_data(as_text=True), reads)
        assert cache.for_runtime(runtimes[0]) is not cache.for_runtime(runtimes[1])
    finally:
        for rt in runtimes:
            rt.db.dispose()


def test_the_cache_is_bounded_and_computes_each_value_once_under_threads():
    figures = cache.FigureCache(max_entries=3)
    calls = []

    def slow(value):
        def compute():
            calls.append(value)
            time.sleep(0.05)
            return value
        return compute

    answers = []
    threads = [threading.Thread(target=lambda: answers.append(figures.get("g1", "k", slow(42))))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [42] * 8 and calls == [42]  # eight requests at once, one computation
    for key in range(5):
        figures.get("g1", key, slow(key))
    assert len(figures) == 3  # the least recently used went first
    assert figures.get("g1", 4, slow("again")) == 4
    assert figures.get("g2", 4, slow("new")) == "new" and len(figures) == 1  # a new generation

    def broken():
        raise RuntimeError("数据库不可用")
    with pytest.raises(RuntimeError):
        figures.get("g2", "x", broken)
    assert figures.get("g2", "x", slow("ok")) == "ok"  # a failure is not kept


def test_a_persons_kept_page_follows_their_notices_and_sessions(site):
    """The whole page is kept for its person (under their session) until something on it changes:
    a new notice shows at once; another login of the same person gets its own page (its own
    logout token)."""
    from wxpub.models import Notice

    rt, app, _, _ = site
    client, _ = login(app, "editor", PASSWORD)
    first = client.get("/dashboard/").get_data(as_text=True)
    assert client.get("/dashboard/").get_data(as_text=True) == first
    with rt.db.session() as s:
        s.add(Notice(username="editor", kind="test", message="您审批过的内容已修改"))
        s.commit()
    kept = client.get("/dashboard/").get_data(as_text=True)
    assert "通知（1）" in kept
    other, _ = login(app, "editor", PASSWORD)  # the same person in a second browser
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert token.search(other.get("/dashboard/").get_data(as_text=True)).group(1) != token.search(kept).group(1)
