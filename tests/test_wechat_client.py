"""The client's wire behaviour against a live sandbox: base URL, retries, timeouts, typed errors."""

import io
import logging
import socket

import pytest
import requests

from wxpub.sandbox.testing import jpeg_bytes, png_bytes
from wxpub.wechat import WeChat
from wxpub.wechat.errors import PermanentWeChatError, TokenError, TransientWeChatError
from wxpub.wechat.testing import sandbox_settings


pytestmark = pytest.mark.sandbox(slow_seconds=1.0)


@pytest.fixture
def wx(wechat_settings, database):
    return WeChat(wechat_settings(wechat_timeout=0.5), database)


def calls(sandbox, path):
    return [c for c in sandbox.control("calls") if c["path"] == path]


def article(thumb):
    return {"title": "人文环境篇", "content": "<p>正文</p>", "thumb_media_id": thumb}


@pytest.mark.parametrize("errcode", [40001, 42001, 40014])
def test_rejected_token_is_refreshed_once_and_the_call_retried_once(sandbox, wx, errcode):
    wx.draft.count()
    old = wx.token.get()
    sandbox.control("errors", {"path": "/cgi-bin/draft/count", "errcode": errcode, "count": 1})
    assert wx.draft.count() == {"total_count": 0}
    assert [c["errcode"] for c in calls(sandbox, "/cgi-bin/draft/count")] == [0, errcode, 0]
    assert wx.token.get() != old
    # One refresh: a normal stable_token read, then force_refresh because it handed back the
    # rejected token; never more.
    assert len(calls(sandbox, "/cgi-bin/stable_token")) <= 3


def test_a_persistent_42001_ends_in_a_token_error_after_a_bounded_number_of_calls(sandbox, wx):
    sandbox.control("errors", {"path": "/cgi-bin/draft/count", "errcode": 42001, "count": 100})
    with pytest.raises(TokenError) as caught:
        wx.draft.count()
    assert caught.value.errcode == 42001 and caught.value.endpoint == "/cgi-bin/draft/count"
    assert "access_token 已过期" in caught.value.message
    assert len(calls(sandbox, "/cgi-bin/draft/count")) == 2
    assert len(sandbox.control("calls")) <= 5  # 2 business calls + at most 3 token calls


def test_upload_retry_after_a_token_error_sends_the_real_bytes(sandbox, wx, tmp_path):
    wx.draft.count()
    image = png_bytes(40, 30)
    path = tmp_path / "chart.png"
    path.write_bytes(image)
    sandbox.control("errors", {"path": "/cgi-bin/media/uploadimg", "errcode": 40001, "count": 1})
    with path.open("rb") as handle:
        url = wx.media.upload_image(handle)
    assert len(calls(sandbox, "/cgi-bin/media/uploadimg")) == 2
    served = requests.get(sandbox.url + url.split("qpic.cn", 1)[1].split("?")[0], timeout=5)
    assert served.content == image

    thumb = jpeg_bytes(32, 32)
    sandbox.control("errors", {"path": "/cgi-bin/material/add_material", "errcode": 42001, "count": 1})
    media_id = wx.material.add_thumb(io.BytesIO(thumb))["media_id"]
    assert wx.material.get(media_id) == thumb


def test_a_timeout_after_sending_is_transient_and_may_have_been_applied(sandbox, wx):
    wx.draft.count()
    cover = wx.material.add_image(jpeg_bytes())["media_id"]
    sandbox.control("faults", {"force": "slow", "path": "/cgi-bin/draft/add", "count": 1})
    with pytest.raises(TransientWeChatError) as caught:
        wx.draft.add([article(cover)])
    assert caught.value.maybe_applied is True and "超时" in caught.value.message
    assert caught.value.endpoint == "/cgi-bin/draft/add"
    # It did take effect at WeChat: this is why the publisher reconciles before retrying.
    assert wx.draft.count() == {"total_count": 1}


def test_a_connection_reset_after_processing_is_transient_and_may_have_been_applied(sandbox, wx):
    wx.draft.count()
    sandbox.control("faults", {"force": "reset", "path": "/cgi-bin/draft/count", "count": 1})
    with pytest.raises(TransientWeChatError) as caught:
        wx.draft.count()
    assert caught.value.maybe_applied is True


def test_an_unreachable_server_is_transient_and_not_applied(database, database_url):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = sandbox_settings(f"http://127.0.0.1:{port}", database_url, wechat_timeout=0.5)
    with pytest.raises(TransientWeChatError) as caught:
        WeChat(settings, database).draft.count()
    assert caught.value.maybe_applied is False and "无法连接" in caught.value.message


def test_http_502_and_system_busy_are_transient(sandbox, wx):
    wx.draft.count()
    sandbox.control("faults", {"force": "http502", "path": "/cgi-bin/draft/count", "count": 1})
    with pytest.raises(TransientWeChatError) as caught:
        wx.draft.count()
    assert caught.value.maybe_applied is True and "502" in caught.value.message
    sandbox.control("faults", {"force": "busy", "path": "/cgi-bin/draft/count", "count": 1})
    with pytest.raises(TransientWeChatError) as caught:
        wx.draft.count()
    assert caught.value.errcode == -1 and caught.value.maybe_applied is False


def test_48001_and_40164_are_permanent_with_the_chinese_explanation(sandbox, wx):
    wx.draft.count()
    sandbox.control("errors", {"path": "/cgi-bin/freepublish/submit", "errcode": 48001, "count": 1})
    with pytest.raises(PermanentWeChatError) as caught:
        wx.freepublish.submit("any-media-id")
    assert caught.value.errcode == 48001
    assert caught.value.message.startswith("接口未授权：账号未认证或没有该接口权限")
    assert "/cgi-bin/freepublish/submit" in caught.value.message

    sandbox.control("errors", {"path": "/cgi-bin/stable_token", "errcode": 40164, "count": 1})
    wx.token.invalidate(wx.token.get())
    with pytest.raises(PermanentWeChatError) as caught:
        wx.draft.count()
    assert caught.value.errcode == 40164 and "IP 白名单" in caught.value.explanation


def test_input_errors_name_the_problem(sandbox, wx):
    cover = wx.material.add_image(jpeg_bytes())["media_id"]
    with pytest.raises(PermanentWeChatError) as caught:
        wx.draft.add([{**article(cover), "title": "标" * 40}])
    assert caught.value.errcode == 45003 and "标题超长" in caught.value.message
    with pytest.raises(PermanentWeChatError) as caught:
        wx.draft.add([article("not-a-media-id")])
    assert caught.value.errcode == 40007


def test_every_url_goes_to_the_configured_base(sandbox, wx):
    # wechatpy's own absolute URLs and the datacube base are redirected too.
    assert wx.client.get("https://api.weixin.qq.com/cgi-bin/draft/count") == {"total_count": 0}
    assert wx.client.API_BASE_URL == sandbox.url + "/cgi-bin/"
    assert len(calls(sandbox, "/cgi-bin/draft/count")) == 1


def test_the_access_token_never_reaches_the_logs(sandbox, wx, caplog):
    caplog.set_level(logging.DEBUG)
    wx.draft.count()
    sandbox.control("faults", {"force": "reset", "path": "/cgi-bin/draft/count", "count": 1})
    with pytest.raises(TransientWeChatError) as caught:
        wx.draft.count()
    token = wx.token.get()
    # werkzeug's records are the emulator's own request log (WeChat's side), not ours.
    ours = [r for r in caplog.records if not r.name.startswith("werkzeug")]
    assert any("access_token=***" in r.getMessage() for r in ours)
    assert not any(token in r.getMessage() for r in ours)
    assert token not in str(caught.value) and token not in caught.value.errmsg
