"""Why a statistics pull stopped, in words for staff: the errors and the explanations of WeChat's codes.

Every message that comes from a failed WeChat call ends with ``（rid: …）`` when WeChat gave one:
the request id is what WeChat's support asks for (kept 7 days, reference §0a.7).
"""

from __future__ import annotations

from wxpub.core.errors import WxpubError
from wxpub.wechat.errors import RID

NO_PERMISSION = 48001
OFFLINE = 47009
DAILY_QUOTA = 45009

#: What a code means for a statistics pull, where the general explanation would mislead.
STATS_EXPLANATIONS = {
    NO_PERMISSION: (
        "本公众号没有新版“发表内容”统计接口的权限。微信的新版统计接口需要账号具备数据统计（“群发与通知”）"
        "接口权限，可能只对已认证的账号开放：请管理员登录公众号后台，在“设置与开发 → 接口权限”中查看"
        "“数据统计”相关接口是否为“已获得”，并确认微信认证（及每年的年审）仍然有效。旧版统计接口已被微信"
        "下线，本系统不会改用旧接口；权限恢复后重新运行 wxpub stats pull 即可。"),
    DAILY_QUOTA: (
        "这个统计接口今天的调用次数已用完：北京时间次日零点恢复。本次拉取已停止、没有重试，拉到的数据也未"
        "保存；明天再运行 wxpub stats pull（补拉历史数据时可用较晚的 --since，或先用 --dry-run 查看要调用"
        "多少次）。"),
}


class StatsPullError(WxpubError):
    """A statistics pull stopped; the message says which call failed and what to do."""

    code = "stats_pull"
    http_status = 502


class QuotaRefused(StatsPullError):
    """A back-fill would spend more of today's quota than allowed; no datacube call was made."""

    code = "stats_quota"
    http_status = 409


def without_rid(errmsg: str) -> str:
    """WeChat's errmsg without its trailing ``rid: …`` (the rid is shown once, at the end)."""
    return RID.sub("", errmsg or "").strip(" ,;，")


def rid_suffix(error) -> str:
    """``"（rid: …）"`` when WeChat gave a request id, else empty."""
    rid = getattr(error, "rid", None)
    return f"（rid: {rid}）" if rid else ""


def describe_error(error) -> str:
    """A failed WeChat call in words: the explanation, the code and WeChat's text, then the rid."""
    explanation = STATS_EXPLANATIONS.get(error.errcode, error.explanation)
    details = "，".join(x for x in (f"错误码 {error.errcode}" if error.errcode is not None else "",
                                   without_rid(error.errmsg)) if x)
    return f"{explanation}" + (f"（{details}）" if details else "") + rid_suffix(error)
