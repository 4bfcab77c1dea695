"""Callback (message push) crypto and event parsing, on top of wechatpy's ``WeChatCrypto``.

``CallbackCrypto`` checks the plain ``signature`` (URL verification and every POST), opens
safe-mode bodies with ``msg_signature`` and encrypts replies. ``parse_event`` turns the pushed XML
into a small dict the publisher understands, including PUBLISHJOBFINISH, which wechatpy 1.8.18
does not know (it becomes ``UnknownMessage``; we read its raw data).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

import wechatpy
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner

from wxpub.core.errors import WxpubError


class CallbackError(WxpubError):
    """A callback request that must be refused (bad signature, undecryptable body, bad XML)."""

    code = "wechat_callback"
    http_status = 403


def plain_signature(token: str, timestamp: str, nonce: str) -> str:
    """``sha1(sorted([token, timestamp, nonce]))``: the ``signature`` query parameter."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return signer.signature


class CallbackCrypto:
    """Signature checks and safe-mode encryption for one account (token, EncodingAESKey, appid)."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str):
        self.token = token
        self.appid = appid
        self._crypto = WeChatCrypto(token, encoding_aes_key, appid)

    @classmethod
    def from_settings(cls, settings) -> "CallbackCrypto":
        """Build from ``Settings`` (token, encoding_aes_key, appid)."""
        return cls(settings.token, settings.encoding_aes_key, settings.appid)

    def check_signature(self, signature: str | None, timestamp: str | None, nonce: str | None) -> None:
        """Raise ``CallbackError`` unless ``signature`` matches the token, timestamp and nonce."""
        if not (signature and timestamp and nonce):
            raise CallbackError("回调请求缺少 signature、timestamp 或 nonce 参数，已拒绝。")
        expected = plain_signature(self.token, timestamp, nonce)
        if not hmac.compare_digest(expected, str(signature)):
            raise CallbackError("回调请求签名不正确：请核对公众号后台“服务器配置”中的 Token 与本系统配置是否一致。")

    def verify_url(self, query: Mapping[str, str]) -> str:
        """Answer WeChat's URL check (GET): return ``echostr`` verbatim if the signature is right."""
        self.check_signature(query.get("signature"), query.get("timestamp"), query.get("nonce"))
        echostr = query.get("echostr")
        if echostr is None:
            raise CallbackError("URL 验证请求缺少 echostr 参数。")
        return echostr

    def decrypt(self, body: bytes | str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """The plaintext inside a safe/compatible-mode body (an XML with ``<Encrypt>``)."""
        try:
            return self._crypto.decrypt_message(body, msg_signature, timestamp, nonce)
        except InvalidSignatureException:
            raise CallbackError("回调消息的 msg_signature 不正确：请核对 Token 与 EncodingAESKey。") from None
        except InvalidAppIdException:
            raise CallbackError("回调消息解密后 AppID 不符：这条消息不是发给本公众号的。") from None
        except (KeyError, TypeError):
            raise CallbackError("回调消息中没有 Encrypt 字段，无法解密。") from None
        except Exception:  # malformed base64/XML/padding from an untrusted sender
            raise CallbackError("回调消息无法解密：请核对 EncodingAESKey 是否与公众号后台一致。") from None

    def open(self, body: bytes | str, query: Mapping[str, str]) -> str:
        """Check a pushed POST and return its plaintext XML, whatever the encryption mode."""
        if query.get("encrypt_type") == "aes":
            if query.get("signature"):
                self.check_signature(query.get("signature"), query.get("timestamp"), query.get("nonce"))
            return self.decrypt(body, query.get("msg_signature") or "", query.get("timestamp") or "",
                                query.get("nonce") or "")
        self.check_signature(query.get("signature"), query.get("timestamp"), query.get("nonce"))
        return body.decode("utf-8") if isinstance(body, bytes) else body

    def encrypt_reply(self, xml: str, nonce: str, timestamp: str | None = None) -> str:
        """An encrypted reply body (``<Encrypt>``, ``<MsgSignature>``, ``<TimeStamp>``, ``<Nonce>``)."""
        return self._crypto.encrypt_message(xml, nonce, timestamp)


def _items(node) -> list:
    """xmltodict gives a dict for one child and a list for several: always a list."""
    if node is None or node == "":
        return []
    return node if isinstance(node, list) else [node]


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _text(value) -> str | None:
    return None if value is None else str(value).strip()


def parse_event(xml: str | bytes) -> dict:
    """Turn a pushed message into a small dict.

    Keys always present: ``event`` (as WeChat spells it, e.g. ``PUBLISHJOBFINISH``; None for plain
    messages), ``msg_type``, ``from_user``, ``to_user``, ``create_time`` (int), ``dedup_key``.
    PUBLISHJOBFINISH adds ``publish_id``, ``publish_status``, ``article_id``, ``article_urls``,
    ``fail_idx``; MASSSENDJOBFINISH adds ``msg_id``, ``status``, ``total_count``, ``filter_count``,
    ``sent_count``, ``error_count``, ``check_state``, ``article_urls``.
    """
    try:
        message = wechatpy.parse_message(xml)
        data = dict(message._data)  # the raw xmltodict view; the only way to PUBLISHJOBFINISH
    except Exception:
        raise CallbackError("回调消息不是合法的微信 XML，已忽略。") from None
    event = _text(data.get("Event"))
    result = {
        "event": event, "msg_type": _text(data.get("MsgType")),
        "from_user": _text(data.get("FromUserName")), "to_user": _text(data.get("ToUserName")),
        "create_time": _int(data.get("CreateTime")),
    }
    msg_id = data.get("MsgId") or data.get("MsgID")
    result["dedup_key"] = (f"msg:{msg_id}" if msg_id and not event
                           else f"event:{result['from_user']}:{result['create_time']}:{event}")
    upper = (event or "").upper()
    if upper == "PUBLISHJOBFINISH":
        info = data.get("PublishEventInfo") or {}
        detail = info.get("article_detail") or {}
        result.update(
            publish_id=_text(info.get("publish_id")),
            publish_status=_int(info.get("publish_status")),
            article_id=_text(info.get("article_id")) or None,
            article_urls=[_text(item.get("article_url")) for item in _items(detail.get("item"))
                          if isinstance(item, dict) and item.get("article_url")],
            fail_idx=[i for i in (_int(x) for x in _items(info.get("fail_idx"))) if i is not None],
        )
    elif upper == "MASSSENDJOBFINISH":
        urls = ((data.get("ArticleUrlResult") or {}).get("ResultList") or {})
        copyright_ = data.get("CopyrightCheckResult") or {}
        result.update(
            msg_id=_text(msg_id), status=_text(data.get("Status")),
            total_count=_int(data.get("TotalCount")), filter_count=_int(data.get("FilterCount")),
            sent_count=_int(data.get("SentCount")), error_count=_int(data.get("ErrorCount")),
            check_state=_int(copyright_.get("CheckState")) if isinstance(copyright_, dict) else None,
            article_urls=[_text(item.get("ArticleUrl")) for item in _items(
                urls.get("item") if isinstance(urls, dict) else None)
                if isinstance(item, dict) and item.get("ArticleUrl")],
        )
    elif msg_id:
        result["msg_id"] = _text(msg_id)
    return result
