"""The errcode table: every code of the API reference is classified and explained in Chinese."""

import re

import pytest

from wxpub.core.errors import WxpubError
from wxpub.wechat.errors import (ERRCODES, PermanentWeChatError, TokenError, TransientWeChatError,
                                 WeChatError, error_for, raise_for_body)

# Every code listed in §8 of the reference (wechat-api.md), plus the quota-management codes.
SECTION_8 = [-1, 40001, 40014, 42001, 45009, 45011, 45028, 40164, 48001, 48004, 50002, 40002,
             40004, 40005, 40006, 40007, 40008, 40009, 40013, 40033, 40059, 40114, 41001, 41005,
             41039, 43002, 44002, 44003, 45001, 45003, 45004, 45008, 45065, 45066, 45067, 45166,
             46001, 47001, 48005, 53402, 53404, 53405, 53406, 53503, 53504, 53505, 53600, 61500,
             61501, 88000, 48006, 76021]
# Codes of §1 (token endpoints) that §8 does not repeat.
SECTION_1 = [40125, 40243, 41002, 41004, 50004, 50007, 89503, 89506, 89507]


@pytest.mark.parametrize("errcode", SECTION_8 + SECTION_1)
def test_every_reference_code_has_a_class_and_a_chinese_explanation(errcode):
    kind, explanation = ERRCODES[errcode]
    assert kind in ("transient", "permanent", "token")
    assert re.search(r"[\u4e00-\u9fff]", explanation), "staff text must be Chinese"
    error = error_for(errcode, "some errmsg rid: 1-2-3", "/cgi-bin/draft/add")
    assert isinstance(error, WeChatError) and isinstance(error, WxpubError)
    assert error.errcode == errcode and error.endpoint == "/cgi-bin/draft/add"
    assert explanation in error.message and str(errcode) in error.message


@pytest.mark.parametrize("errcode", [-1, 45011])
def test_busy_and_minute_limit_are_transient_and_not_applied(errcode):
    error = error_for(errcode)
    assert isinstance(error, TransientWeChatError) and error.transient
    assert error.maybe_applied is False


@pytest.mark.parametrize("errcode", [45003, 45004, 45166, 40007, 48001, 40164, 45028, 44003,
                                     45008, 45009, 45065])
def test_input_permission_and_quota_errors_are_permanent(errcode):
    error = error_for(errcode)
    assert isinstance(error, PermanentWeChatError) and not error.transient


def test_daily_quota_is_permanent_inside_a_release_window():
    error = error_for(45009, "reach max api daily quota limit")
    assert isinstance(error, PermanentWeChatError)
    assert "次日" in error.explanation


def test_same_clientmsgid_too_fast_may_have_been_applied():
    error = error_for(45066)
    assert isinstance(error, TransientWeChatError) and error.maybe_applied is True


@pytest.mark.parametrize("errcode", [40013, 40125, 40243, 41002, 41004, 40001, 42001])
def test_credential_problems_are_token_errors(errcode):
    error = error_for(errcode)
    assert isinstance(error, TokenError) and isinstance(error, PermanentWeChatError)


def test_staff_explanations_for_the_two_classic_support_questions():
    assert error_for(48001).explanation.startswith("接口未授权：账号未认证或没有该接口权限")
    assert error_for(40164).explanation.startswith("调用接口的服务器 IP 不在公众号 IP 白名单中")
    assert "群发配额已用完" in error_for(45028).explanation
    assert "标题超长" in error_for(45003).explanation


def test_unknown_code_is_permanent_so_nothing_is_resent_blindly():
    error = error_for(99999, "mystery")
    assert isinstance(error, PermanentWeChatError)
    assert "99999" in error.message and "不会自动重试" in error.message


def test_raise_for_body_passes_success_and_keeps_the_body_on_errors():
    assert raise_for_body({"errcode": 0, "errmsg": "ok", "x": 1}, "/x") == {"errcode": 0, "errmsg": "ok", "x": 1}
    assert raise_for_body({"media_id": "m"}, "/x") == {"media_id": "m"}
    with pytest.raises(PermanentWeChatError) as caught:
        raise_for_body({"errcode": "45065", "errmsg": "clientmsgid exist", "msg_id": 34182}, "/s")
    assert caught.value.errcode == 45065 and caught.value.body["msg_id"] == "34182"
    assert caught.value.to_dict()["error"] == "wechat_45065"
