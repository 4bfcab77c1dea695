"""Typed WeChat errors: what failed, whether retrying can help, and what staff should do.

::

    WxpubError (wxpub.core.errors)
    └── WeChatError                 errcode, errmsg, endpoint, explanation (Chinese), body
        ├── TransientWeChatError    retry later with backoff: -1, 45011, 45066, HTTP 5xx, timeouts,
        │                           connection resets; ``maybe_applied`` says whether the call may
        │                           already have taken effect (reconcile before retrying)
        └── PermanentWeChatError    fail now and tell a person: bad input, missing permission,
            │                       quota used up, IP whitelist, unknown codes
            └── TokenError          the credentials cannot produce a working access token

Decisions worth knowing:

* 45009 (daily quota of an API) is **permanent**: the quota resets at midnight Beijing time (or by a
  manual ``clear_quota``), so backing off for minutes inside a release window only burns retries.
* 45028 (no mass-send quota) is permanent for the same reason.
* Unknown errcodes are permanent: retrying an unexplained failure of a send risks a duplicate.
* 45065 (``clientmsgid exist``) is permanent: the earlier send exists; its ``msg_id`` is in ``body``.
* 45066 (same clientmsgid retried within a minute) is transient with ``maybe_applied=True``.
"""

from __future__ import annotations

import re

from wxpub.core.errors import WxpubError

#: errcodes that mean "this access token is not (or no longer) accepted": refresh once and retry.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})

_T, _P, _K = "transient", "permanent", "token"
#: WeChat appends the request id to errmsg: "... rid: 6560f0a4-1a2b3c4d-5e6f7a8b" (§0a.7).
RID = re.compile(r"rid:\s*([0-9A-Za-z][0-9A-Za-z-]*)")


def rid_of(text: str | None) -> str | None:
    """The ``rid`` WeChat put at the end of an errmsg, or None."""
    match = RID.search(text or "")
    return match.group(1) if match else None

#: errcode -> (kind, explanation for staff). Covers every code of the API reference (§1–§8).
ERRCODES: dict[int, tuple[str, str]] = {
    -1: (_T, "微信系统繁忙：这是微信服务器的临时故障，系统会稍后自动重试，一般无需处理。"),
    40001: (_K, "access_token 无效或不是最新的：可能有其他程序用同一个 AppSecret 获取了新凭证。系统已重新获取一次仍失败，请检查是否有别的系统在使用本公众号的 AppSecret。"),
    40002: (_P, "请求参数不合法（grant_type 或其他参数错误）：这是程序问题，请联系技术人员。"),
    40003: (_P, "不合法的 OpenID：预览对象（粉丝 openid 或微信号）不对，请核对后重试。"),
    40004: (_P, "不合法的媒体文件类型：请换成微信支持的文件格式后重试。"),
    40005: (_P, "文件类型不合法：正文图片只支持 JPG/PNG，请转换格式后重新上传。"),
    40006: (_P, "文件大小不合法：请压缩文件后重新上传。"),
    40007: (_P, "媒体文件 ID（media_id）无效：封面或图片素材不存在或已被删除，也可能草稿已被发布/群发而移出草稿箱。请重新上传素材或重新生成草稿。"),
    40008: (_P, "不合法的消息类型：这是程序问题，请联系技术人员。"),
    40009: (_P, "图片大小或格式不合法：正文图片须为 1MB 以内的 JPG/PNG，请压缩或转换后重试。"),
    40010: (_P, "语音文件大小不合法：请压缩后重新上传。"),
    40011: (_P, "视频文件大小不合法：请压缩后重新上传。"),
    40012: (_P, "缩略图大小不合法：封面缩略图须为 64KB 以内的 JPG，请压缩后重新上传。"),
    40013: (_K, "AppID 无效：请核对配置中的 AppID 是否与公众号后台“基本配置”一致。"),
    40014: (_K, "access_token 不合法：系统已重新获取一次仍失败，请检查 AppID/AppSecret 配置。"),
    40033: (_P, "请求字符编码不合法：这是程序问题，请联系技术人员。"),
    40059: (_P, "消息 ID（msg_id）无效：该群发不存在，或不是通过接口发送的。"),
    40114: (_P, "文章序号（index）不合法：草稿中没有这一篇，请刷新后重试。"),
    40125: (_K, "AppSecret 无效：请在公众号后台“基本配置”中核对或重置 AppSecret，并更新本系统配置。"),
    40132: (_P, "微信号不合法：微信找不到这个微信号（填写有误，或对方改过微信号）。请收件人在“个人设置”中核对微信号（手机微信“我”页面显示的那一个）后重试。"),
    40164: (_P, "调用接口的服务器 IP 不在公众号 IP 白名单中：请管理员登录公众号后台“设置与开发—基本配置—IP白名单”，加入本服务器的出口 IP，几分钟后生效。"),
    40243: (_K, "AppSecret 已被冻结：请管理员登录公众号后台解冻或重置 AppSecret。"),
    41001: (_K, "请求缺少 access_token：这是程序问题，请联系技术人员。"),
    41002: (_K, "请求缺少 AppID：请检查本系统的公众号配置。"),
    41004: (_K, "请求缺少 AppSecret：请检查本系统的公众号配置。"),
    41005: (_P, "上传的媒体文件为空：请检查图片文件是否损坏后重试。"),
    41039: (_P, "“阅读原文”链接（content_source_url）不合法：请修改为有效的 http(s) 链接。"),
    42001: (_K, "access_token 已过期：系统已重新获取一次仍失败，请联系技术人员检查凭证配置。"),
    43001: (_P, "接口需要 GET 请求：这是程序问题，请联系技术人员。"),
    43002: (_P, "接口需要 POST 请求：这是程序问题，请联系技术人员。"),
    43004: (_P, "收件人没有关注本公众号：预览只能发给已关注公众号的微信用户，请对方先关注后重试。"),
    44001: (_P, "上传的媒体文件为空：请检查图片文件后重试。"),
    44002: (_P, "请求内容为空：这是程序问题，请联系技术人员。"),
    44003: (_P, "图文消息内容为空：草稿中没有文章，请检查稿件是否已生成。"),
    45001: (_P, "媒体文件过大：请压缩图片（封面缩略图不超过 64KB，图片不超过 10MB）后重试。"),
    45002: (_P, "正文超长：正文须少于 2 万字且小于 1MB，请拆分文章后重新提交。"),
    45003: (_P, "标题超长：标题不能超过 32 个字，请缩短标题后重新提交。"),
    45004: (_P, "摘要超长：摘要不能超过 128 个字，请缩短摘要后重新提交。"),
    45008: (_P, "图文消息的文章数超过上限：一条消息最多 8 篇文章，请拆分后再发。"),
    45009: (_P, "接口今日调用次数已用完：次日零点（北京时间）恢复，或由管理员在公众号后台“接口权限”清零（每月次数有限）。本发布时段内重试无效。"),
    45011: (_T, "接口调用太频繁（每分钟限额）：系统会在一分钟后自动重试。"),
    45028: (_P, "群发配额已用完：公众号每天只能群发 1 次（服务号每位粉丝每月 4 条）。请改期群发，或改用“发布”（不通知粉丝）。"),
    45065: (_P, "相同的群发已经发出过（clientmsgid 重复）：24 小时内同一内容不会重复群发，请核对群发记录，切勿再次发送。"),
    45066: (_T, "同一群发重试过快：一分钟内重复提交了同一群发，上一次可能已经生效，请先核对群发记录再决定是否重试。"),
    45067: (_P, "群发幂等键（clientmsgid）过长：这是程序问题，请联系技术人员。"),
    45110: (_P, "作者名超长：作者不能超过 16 个字，请缩短后重新提交。"),
    45166: (_P, "正文内容不合法：含有微信不允许的标签或链接（如外部链接、小程序卡片），请在预览中检查正文后重新提交。"),
    46001: (_P, "媒体文件不存在：素材可能已被删除，请重新上传。"),
    47001: (_P, "数据格式错误（JSON/XML 解析失败）：这是程序问题，请联系技术人员。"),
    47009: (_P, "微信已下线这个旧版统计接口（2026 年起“图文分析”旧接口停止服务）：本系统只用新版“发表内容”统计接口，不会再调用旧接口。若仍看到此错误，请联系技术人员。"),
    48001: (_P, "接口未授权：账号未认证或没有该接口权限（2025 年 7 月起未认证账号不能调用发布接口）。请在公众号后台“接口权限”中确认，或改为在公众号网页后台手工发布。"),
    48003: (_P, "管理员尚未同意群发协议：请管理员登录公众号后台“群发功能”页面同意协议后再试。"),
    48004: (_P, "接口已被封禁：公众号因违规被限制调用该接口，请管理员登录公众号后台查看通知。"),
    48005: (_P, "素材正被自动回复或自定义菜单引用，不能删除：请先在后台解除引用。"),
    48006: (_P, "本月接口调用次数清零机会已用完：无法再清零，请等待次日配额恢复。"),
    50002: (_P, "用户受限：可能是公众号被处罚或用户被限制，请管理员查看公众号后台通知。"),
    50004: (_K, "禁止调用获取凭证的接口：请管理员登录公众号后台查看账号状态。"),
    50007: (_K, "账号已冻结：请管理员登录公众号后台处理账号冻结。"),
    53402: (_P, "封面裁剪失败：裁剪参数（pic_crop_235_1 / pic_crop_1_1）不合法，请重新设置封面裁剪。"),
    53404: (_P, "正文中的商品卡片有问题：请检查或删除商品卡片后重试。"),
    53405: (_P, "正文中的商品卡片有问题（商品不可用）：请检查或删除商品卡片后重试。"),
    53406: (_P, "正文中的商品卡片数量或格式有问题：请检查后重试。"),
    53503: (_P, "草稿未通过发布检查：请在公众号网页后台打开该草稿查看具体原因并修改。"),
    53504: (_P, "该草稿需要在公众号网页后台操作：请登录 mp.weixin.qq.com 手工发布。"),
    53505: (_P, "该草稿需要先在公众号网页后台手动保存一次：请登录 mp.weixin.qq.com 打开草稿并保存后重试。"),
    53600: (_P, "文章 ID（article_id）无效：该文章不存在或已删除。"),
    61500: (_P, "统计接口日期格式错误：应为 YYYY-MM-DD，这是程序问题，请联系技术人员。"),
    61501: (_P, "统计接口日期范围错误：跨度超过该接口允许的天数，或结束日期不早于今天。"),
    76021: (_P, "查询配额的接口路径（cgi_path）不合法：这是程序问题，请联系技术人员。"),
    76001: (_P, "微信查不到这个 rid：rid 可能抄错了，或不是本公众号的请求。"),
    76002: (_P, "这个 rid 属于别的公众号：只能诊断本公众号的请求。"),
    76003: (_P, "这个 rid 已过期：微信只保留最近 7 天的请求记录，无法再诊断。"),
    88000: (_P, "这篇文章没有打开留言，或账号没有留言权限：请先在文章的留言页面“打开留言”；若仍失败，请管理员在公众号后台确认留言功能。"),
    88001: (_P, "微信找不到这篇文章（msg_data_id 或文章序号无效）：文章可能已被删除。"),
    88002: (_P, "这篇文章因安全原因被限制留言：请管理员登录公众号后台查看通知。"),
    88003: (_P, "精选留言已达上限：请先取消一些精选再试。"),
    88004: (_P, "这条留言已被读者本人删除。"),
    88005: (_P, "这条留言已经回复过：每条留言只能有一条作者回复，如需修改请先删除原回复。"),
    88007: (_P, "回复内容为空或太长：请修改回复后重试。"),
    88008: (_P, "这条留言不存在（可能已被删除）。"),
    88010: (_P, "一次读取的留言条数不合法（须少于 50 条）：这是程序问题，请联系技术人员。"),
    89503: (_P, "本次调用需要管理员确认：请管理员在微信中确认来自本服务器 IP 的调用后重试。"),
    89506: (_P, "管理员拒绝了来自本服务器 IP 的调用：24 小时内无法再次发起，请联系管理员。"),
    89507: (_P, "管理员拒绝了来自本服务器 IP 的调用：1 小时内无法再次发起，请联系管理员。"),
}

#: What a code means on one endpoint when the general explanation would mislead (matched on the
#: end of the endpoint's path).
ENDPOINT_ERRCODES: dict[str, dict[int, str]] = {
    "message/mass/preview": {
        40003: "预览对象不合法：没有指定收件人，或 openid 不是本公众号的粉丝。",
        40007: "预览用的草稿不存在（可能已被发布、群发或删除）：系统会重新生成草稿，请再发一次。",
        45009: "今天按微信号发送手机预览的次数已用完（每个公众号每天 100 次）：北京时间次日零点恢复，"
               "今天可改用电脑上的预览页面审看。",
    },
}

_UNKNOWN = "微信返回了未收录的错误码：为避免重复发送，系统不会自动重试。请把错误码和原文发给技术人员。"


class WeChatError(WxpubError):
    """A WeChat API call failed; ``explanation`` tells staff what happened and what to do."""

    code = "wechat_error"
    http_status = 502
    maybe_applied = False  # only transport-level transient errors can hide an applied call

    def __init__(self, explanation: str, *, errcode: int | None = None, errmsg: str = "",
                 endpoint: str = "", body: dict | None = None):
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint
        self.explanation = explanation
        self.body = body or {}
        where = f"{endpoint} " if endpoint else ""
        code = "" if errcode is None else f"错误码 {errcode}"
        detail = "，".join(x for x in (code, errmsg) if x)
        message = f"{explanation}（{where}{detail}）" if (where or detail) else explanation
        super().__init__(message, code=f"wechat_{errcode}" if errcode is not None else None)

    @property
    def rid(self) -> str | None:
        """WeChat's request id of this failure (what its support asks for; kept 7 days)."""
        return rid_of(self.errmsg)

    @property
    def transient(self) -> bool:
        """True when retrying later may succeed."""
        return isinstance(self, TransientWeChatError)


class TransientWeChatError(WeChatError):
    """Retry later. If ``maybe_applied`` the call may have taken effect: reconcile first."""

    code = "wechat_transient"

    def __init__(self, explanation: str, *, maybe_applied: bool = False, **kwargs):
        super().__init__(explanation, **kwargs)
        self.maybe_applied = maybe_applied


class PermanentWeChatError(WeChatError):
    """Retrying cannot help: a person has to change the input, a setting or the account."""

    code = "wechat_permanent"


class TokenError(PermanentWeChatError):
    """No working access token: wrong/frozen credentials, or tokens keep being rejected."""

    code = "wechat_token"


_CLASSES = {_T: TransientWeChatError, _P: PermanentWeChatError, _K: TokenError}


def explain(errcode: int, endpoint: str = "") -> str:
    """The staff explanation of ``errcode`` (on ``endpoint`` when that changes its meaning; a generic
    one for codes not in the table)."""
    for suffix, table in ENDPOINT_ERRCODES.items():
        if endpoint.rstrip("/").endswith(suffix) and errcode in table:
            return table[errcode]
    return ERRCODES.get(errcode, (_P, _UNKNOWN))[1]


def error_for(errcode: int, errmsg: str = "", endpoint: str = "",
              body: dict | None = None) -> WeChatError:
    """Build the typed error for an ``{"errcode", "errmsg"}`` answer of ``endpoint``."""
    kind, explanation = ERRCODES.get(errcode, (_P, _UNKNOWN))[0], explain(errcode, endpoint)
    cls = _CLASSES[kind]
    if body:
        # 45065 carries the earlier send's msg_id: ids are strings everywhere in wxpub.
        body = {k: (str(v) if k in ("publish_id", "msg_id", "msg_data_id") and v is not None
                    and not isinstance(v, bool) else v) for k, v in body.items()}
    kwargs = dict(errcode=errcode, errmsg=errmsg, endpoint=endpoint, body=body)
    if cls is TransientWeChatError:
        # 45066 means the same send arrived moments ago; -1 and 45011 are refused before any effect.
        return cls(explanation, maybe_applied=errcode == 45066, **kwargs)
    return cls(explanation, **kwargs)


def raise_for_body(body: dict, endpoint: str) -> dict:
    """Return ``body`` when it is a success answer, else raise its typed error."""
    try:
        errcode = int(body.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        errcode = -1
    if errcode != 0:
        raise error_for(errcode, str(body.get("errmsg", "")), endpoint, body)
    return body
