"""The shared access token: one fetch for many processes, the refresh lease, expiry, invalidation.

Every test talks to a live sandbox over loopback HTTP; the database is a temporary SQLite file
(and PostgreSQL when WXPUB_TEST_DATABASE_URL is set).
"""

import shutil
import socket
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from wxpub.infra.clock import FrozenClock
from wxpub.models import AccessToken
from wxpub.wechat import WeChat
from wxpub.wechat.errors import TokenError, TransientWeChatError
from wxpub.wechat.token_stores import DatabaseTokenStore


@pytest.fixture
def wx_settings(wechat_settings):
    return wechat_settings(wechat_timeout=5)


def token_calls(sandbox, path="/cgi-bin/stable_token"):
    return [c for c in sandbox.control("calls") if c["path"] == path]


def stored_row(database):
    with database.session() as session:
        return session.execute(select(AccessToken)).scalar_one()


def test_two_instances_on_one_database_fetch_the_token_once(sandbox, database, wx_settings):
    first, second = WeChat(wx_settings, database), WeChat(wx_settings, database)
    assert first.draft.count() == {"total_count": 0}
    assert second.draft.count() == {"total_count": 0}
    assert len(token_calls(sandbox)) == 1
    row = stored_row(database)
    assert row.fetch_count == 1
    token = second.token.get()
    assert token == first.token.get()
    # Stored encrypted only: the clear token appears in no column.
    assert token not in repr(row.__dict__) and token not in (row.token_encrypted or "")


def test_many_threads_with_their_own_instances_fetch_once(sandbox, database, wx_settings):
    instances = [WeChat(wx_settings, database) for _ in range(6)]
    barrier = threading.Barrier(len(instances))
    results, errors = [], []

    def work(wx):
        barrier.wait()
        try:
            results.append(wx.draft.count()["total_count"])
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(wx,)) for wx in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == [0] * 6
    assert len(token_calls(sandbox)) == 1 and stored_row(database).fetch_count == 1


def test_the_refresh_lease_admits_one_owner_until_it_lapses(database):
    store = DatabaseTokenStore(database, "wx5a7d0b1e2c3f4a60")
    now = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    assert store.try_lease("process-a", now, 30) is True
    assert store.try_lease("process-b", now + timedelta(seconds=10), 30) is False
    store.release("process-b")  # not the owner: no effect
    assert store.try_lease("process-b", now + timedelta(seconds=10), 30) is False
    assert store.try_lease("process-b", now + timedelta(seconds=31), 30) is True  # a crashed owner
    store.release("process-b")
    assert store.try_lease("process-a", now + timedelta(seconds=32), 30) is True


def test_a_process_that_cannot_get_the_lease_waits_a_bounded_time_and_never_fetches(
        sandbox, database, wx_settings):
    wx = WeChat(wx_settings, database)
    wx.token.wait_seconds = 0.3
    assert wx.token.store.try_lease("someone-else", wx.token.clock.now(), 60)
    with pytest.raises(TransientWeChatError, match="等待其他进程刷新"):
        wx.draft.count()
    assert token_calls(sandbox) == []


def test_a_waiter_takes_the_token_the_lease_holder_stored(sandbox, database, wx_settings):
    holder, waiter = WeChat(wx_settings, database), WeChat(wx_settings, database)
    assert waiter.token.store.try_lease("someone-else", waiter.token.clock.now(), 60)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.setdefault("count", waiter.draft.count()))
    thread.start()
    # The other process finishes its refresh: it stores a token (under its own lease id).
    holder.token._fetch_and_store(None)
    thread.join()
    assert outcome["count"] == {"total_count": 0}
    assert len(token_calls(sandbox)) == 1


def test_refresh_happens_ahead_of_expiry_not_before(sandbox, database, wx_settings):
    clock = FrozenClock(datetime.now(timezone.utc))
    wx = WeChat(wx_settings, database, clock=clock)
    wx.draft.count()
    first = wx.token.get()
    clock.advance(seconds=7200 - 400)  # 400 s left: still used as is
    wx.draft.count()
    assert len(token_calls(sandbox)) == 1
    clock.advance(seconds=150)  # 250 s left: refreshed before it runs out
    sandbox.control("clock", {"advance_seconds": 7200 - 250})
    wx.draft.count()
    assert len(token_calls(sandbox)) == 2
    assert wx.token.get() != first
    assert stored_row(database).fetch_count == 2


def test_sandbox_expiry_gives_42001_then_one_refresh_for_everybody(sandbox, database, wx_settings):
    first, second = WeChat(wx_settings, database), WeChat(wx_settings, database)
    first.draft.count(), second.draft.count()
    sandbox.control("clock", {"advance_seconds": 7300})  # WeChat's clock passes the expiry
    first.draft.count(), second.draft.count()
    assert len(token_calls(sandbox)) == 2
    rejected = [c for c in sandbox.control("calls") if c["errcode"] == 42001]
    assert len(rejected) == 2  # each instance saw its cached token rejected once


def test_invalidate_only_touches_the_rejected_token_and_forces_a_new_one(sandbox, database, wx_settings):
    wx = WeChat(wx_settings, database)
    token = wx.token.get()
    wx.token.invalidate("82_some_other_token_value_0000")
    assert stored_row(database).expires_at is not None
    wx.token.invalidate(token)
    assert stored_row(database).expires_at is None
    renewed = wx.token.get()
    # stable_token hands back the same token while it is valid: a forced refresh replaces it.
    assert renewed != token
    assert len(token_calls(sandbox)) == 3
    assert wx.draft.count() == {"total_count": 0}


def test_cgi_bin_token_mode(sandbox, database, wx_settings):
    wx = WeChat(wx_settings, database, token_mode="token")
    wx.draft.count()
    assert len(token_calls(sandbox, "/cgi-bin/token")) == 1 and token_calls(sandbox) == []


def test_wrong_secret_is_a_token_error_for_staff(sandbox, database, wechat_settings):
    settings = wechat_settings(appsecret="wrong-secret-0000000000")
    with pytest.raises(TokenError) as caught:
        WeChat(settings, database).draft.count()
    assert caught.value.errcode == 40125 and "AppSecret 无效" in caught.value.message


def test_a_token_stored_under_another_secret_key_is_fetched_again(sandbox, database, wechat_settings):
    old = wechat_settings(secret_key="first-secret-key-0000")
    WeChat(old, database).draft.count()
    new = wechat_settings(secret_key="second-secret-key-000")
    assert WeChat(new, database).draft.count() == {"total_count": 0}
    assert len(token_calls(sandbox)) == 2


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def test_redis_store_shares_the_token_encrypted(sandbox, wechat_settings, redis_url):
    import redis

    settings = wechat_settings(redis_url=redis_url)
    first, second = WeChat(settings), WeChat(settings)
    first.draft.count(), second.draft.count()
    assert len(token_calls(sandbox)) == 1
    raw = redis.Redis.from_url(redis_url).hgetall(f"wxpub:access_token:{settings.appid}")
    token = first.token.get()
    assert raw[b"fetch_count"] == b"1" and token.encode() not in b"".join(raw.values())
    first.token.invalidate(token)
    assert second.token.store.read().expires_at is None
    assert second.token.store.try_lease("a", second.token.clock.now(), 5)
    assert not first.token.store.try_lease("b", first.token.clock.now(), 5)
