"""Two official accounts in one sandbox, one series released to both (issue 15's check): each release
goes out on its own account's access token and quota, statistics are kept apart, a member of staff
limited to one account sees only that account's releases, figures and comments — in the pages and
through the API with a token that acts as them — and a revoked token is refused at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from auth_helpers import login
from publishing_helpers import apply_and_approve, make_due, plan_file
from servers import SANDBOX_DEFAULTS, advance_sandbox_clock
from wxpub.accounts import registry, service
from wxpub.infra.config_checks import DEV_APPID, DEV_APPSECRET
from wxpub.models import AccessToken, Account, Release, StatArticle, StatPull
from wxpub.publishing import pipeline
from wxpub.staff import api_tokens, users

NEWS_APPID = "wxbinhainews000001"
NEWS_SECRET = "newssecret0000000000000000000a11"
PASSWORD = "Haibin-2026-lu"


@pytest.fixture
def two(make_sandbox, sandbox_runtime):
    """The sandbox runs 新政服 (the environment's account, 订阅号) and 滨海新闻 (a 服务号 registered as
    data, its AppSecret stored encrypted); the sample series is imported."""
    server = make_sandbox(**{**SANDBOX_DEFAULTS, "accounts": (
        f"xzf:{DEV_APPID}:{DEV_APPSECRET}", f"news:{NEWS_APPID}:{NEWS_SECRET}:service")})
    rt = sandbox_runtime(server, samples=True, wechat_timeout=2, confirm_wait=10)
    with rt.db.session() as session:
        registry.default_account(session, rt.settings)
        session.commit()
        service.add(session, rt.settings, name="滨海新闻", code="news", appid=NEWS_APPID,
                    account_type="service", appsecret=NEWS_SECRET, actor="测试", now=rt.clock.now())
    return server, rt


def _publish_both(rt, server, tmp_path) -> tuple[int, int]:
    """市场环境 mass-sent on 新政服, 政务环境 mass-sent on 滨海新闻: one series, two plans."""
    start = rt.clock.now() + timedelta(hours=2)
    [mine] = apply_and_approve(rt, plan_file(tmp_path, chapters=("市场环境",), start=start, mode="mass_send",
                                             name="xzf.yaml"))
    [news] = apply_and_approve(rt, plan_file(tmp_path, chapters=("政务环境",), start=start, mode="mass_send",
                                             account="滨海新闻", account_type="service", name="news.yaml"))
    make_due(rt, [mine, news])
    for release_id in (mine, news):
        assert pipeline.run_release(rt, release_id, worker="test-host:1",
                                    sleep=lambda s: advance_sandbox_clock(server, s)) == "published"
    return mine, news


def test_one_series_goes_out_on_two_accounts_each_on_its_own_token_quota_and_figures(two, tmp_path):
    server, rt = two
    mine, news = _publish_both(rt, server, tmp_path)
    with rt.db.session() as session:
        accounts = {a.code: a.id for a in session.scalars(select(Account))}
        releases = {r.id: r for r in session.scalars(select(Release))}
        assert releases[mine].account_id == accounts["xzf"] and releases[news].account_id == accounts["news"]
        assert releases[mine].series_id == releases[news].series_id
        tokens = {t.appid: t.fetch_count for t in session.scalars(select(AccessToken))}
    assert tokens.keys() == {DEV_APPID, NEWS_APPID} and all(count >= 1 for count in tokens.values())

    # Each account's WeChat saw only its own release, called with its own access token.
    mine_sent = [a["title"] for a in server.control("published", appid=DEV_APPID)]
    news_sent = [a["title"] for a in server.control("published", appid=NEWS_APPID)]
    assert mine_sent and news_sent and not set(mine_sent) & set(news_sent)
    assert all("政务环境" not in title for title in mine_sent)
    for appid in (DEV_APPID, NEWS_APPID):
        sends = [c for c in server.control("calls", appid=appid) if c["path"].endswith("/mass/sendall")]
        assert len(sends) == 1, appid  # one mass send each: each account's own quota

    # Statistics are pulled per account, on its own token, into its own rows.
    from wxpub.stats import pull_every_account
    advance_sandbox_clock(server, 2 * 86400)
    outcome = pull_every_account(rt)
    assert set(outcome) == {"xzf", "news"}
    with rt.db.session() as session:
        owner = {row.msg_data_id: row.account_id for row in session.scalars(select(StatArticle))}
        pulled = {row.account_id for row in session.scalars(select(StatPull))}
        by_release = {r.msg_data_id: r.account_id for r in session.scalars(select(Release))}
    assert pulled == {accounts["xzf"], accounts["news"]}
    assert owner and all(owner[mdid] == by_release[mdid] for mdid in owner if mdid in by_release)
    assert {by_release[m] for m in owner if m in by_release} == {accounts["xzf"], accounts["news"]}


def test_a_user_limited_to_one_account_sees_only_it_in_pages_and_api(two, tmp_path):
    server, rt = two
    mine, news = _publish_both(rt, server, tmp_path)
    from wxpub import create_app
    with rt.db.session() as session:
        users.create_user(session, "xinwen", PASSWORD, "editor", now=rt.clock.now(), actor="测试")
        service.set_user_accounts(session, "xinwen", ["news"], actor="测试", now=rt.clock.now())
        _row, token = api_tokens.create(session, user="xinwen", name="区数据平台", scope="read",
                                        actor="测试", now=rt.clock.now())
        users.create_user(session, "quanbu", PASSWORD, "editor", now=rt.clock.now(), actor="测试")
    from wxpub.stats import pull_every_account
    advance_sandbox_clock(server, 2 * 86400)
    pull_every_account(rt)
    app = create_app(runtime=rt)
    client, _headers = login(app, "xinwen", PASSWORD)
    titles = {appid: [a["title"] for a in server.control("published", appid=appid)]
              for appid in (DEV_APPID, NEWS_APPID)}
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert all(t in dashboard for t in titles[NEWS_APPID])
    assert not any(t in dashboard for t in titles[DEV_APPID])

    listing = client.get("/releases").get_data(as_text=True)
    assert f"/releases/{news}" in listing and f"/releases/{mine}" not in listing
    assert client.get(f"/releases/{mine}").status_code == 404
    assert client.get(f"/releases/{news}").status_code == 200
    calendar = client.get("/calendar").get_data(as_text=True)
    assert "公众号：<b>滨海新闻</b>（服务号）" in calendar and 'id="cal-account"' not in calendar

    bearer = {"Authorization": f"Bearer {token}"}
    api = app.test_client()
    answer = api.get("/api/v1/releases", headers=bearer)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert [r["id"] for r in answer.get_json()["releases"]] == [news]
    assert api.get(f"/api/v1/releases/{mine}", headers=bearer).status_code == 404

    everyone, _ = login(app, "quanbu", PASSWORD)  # not limited: both accounts
    full = everyone.get("/releases").get_data(as_text=True)
    assert f"/releases/{news}" in full and f"/releases/{mine}" in full
    assert 'id="cal-account"' in everyone.get("/calendar").get_data(as_text=True)
    board = everyone.get("/dashboard/").get_data(as_text=True)
    assert all(t in board for t in titles[NEWS_APPID] + titles[DEV_APPID])
    again = client.get("/dashboard/").get_data(as_text=True)  # figures cached for everyone do not leak
    assert not any(t in again for t in titles[DEV_APPID])

    with rt.db.session() as session:
        [row] = api_tokens.listing(session, "xinwen")
        api_tokens.revoke(session, row[0].id, actor="测试", now=rt.clock.now())
    refused = api.get("/api/v1/releases", headers=bearer)
    assert refused.status_code == 401 and refused.get_json()["error"] == "unauthorized"


def test_the_dashboard_counts_one_account_when_asked(two, tmp_path):
    server, rt = two
    _publish_both(rt, server, tmp_path)
    from wxpub import create_app
    from wxpub.stats import pull_every_account
    advance_sandbox_clock(server, 2 * 86400)
    pull_every_account(rt)
    with rt.db.session() as session:
        users.create_user(session, "quanbu", PASSWORD, "editor", now=rt.clock.now(), actor="测试")
    client, _ = login(create_app(runtime=rt), "quanbu", PASSWORD)
    titles = {appid: [a["title"] for a in server.control("published", appid=appid)]
              for appid in (DEV_APPID, NEWS_APPID)}
    both = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="dash-account"' in both and all(t in both for t in titles[DEV_APPID] + titles[NEWS_APPID])
    news = client.get("/dashboard/?account=news").get_data(as_text=True)
    assert all(t in news for t in titles[NEWS_APPID]) and not any(t in news for t in titles[DEV_APPID])
    assert '<option value="news" selected>' in news and 'href="/dashboard/chapters?account=news"' in news
    export = client.get("/dashboard/export/articles.csv?account=news").get_data(as_text=True)
    assert all(t in export for t in titles[NEWS_APPID]) and not any(t in export for t in titles[DEV_APPID])
    assert client.get("/dashboard/?account=nobody").status_code == 404


def test_the_api_lists_the_accounts_a_user_may_see_without_secrets(two):
    _server, rt = two
    from wxpub import create_app
    with rt.db.session() as session:
        users.create_user(session, "xinwen", PASSWORD, "editor", now=rt.clock.now(), actor="测试")
        service.set_user_accounts(session, "xinwen", ["news"], actor="测试", now=rt.clock.now())
        _row, limited = api_tokens.create(session, user="xinwen", name="区数据平台", scope="read",
                                          actor="测试", now=rt.clock.now())
        users.create_user(session, "quanbu", PASSWORD, "editor", now=rt.clock.now(), actor="测试")
        _row, everyone = api_tokens.create(session, user="quanbu", name="区数据平台", scope="read",
                                           actor="测试", now=rt.clock.now())
    api = create_app(runtime=rt).test_client()
    seen = api.get("/api/v1/accounts", headers={"Authorization": f"Bearer {everyone}"}).get_json()
    assert [a["code"] for a in seen["accounts"]] == ["xzf", "news"] and seen["total"] == 2
    assert seen["accounts"][1] == {"code": "news", "name": "滨海新闻", "appid": NEWS_APPID, "type": "service",
                                   "type_name": "服务号", "enabled": True, "callback_path": "/wechat/callback/news"}
    assert NEWS_SECRET not in str(seen)
    mine = api.get("/api/v1/accounts", headers={"Authorization": f"Bearer {limited}"}).get_json()
    assert [a["code"] for a in mine["accounts"]] == ["news"] and mine["total"] == 1
