"""Callback (message push) crypto and event parsing, on top of wechatpy's ``WeChatCrypto``.

``CallbackCrypto`` checks the plain ``signature`` (URL verification and every POST), opens
safe-mode bodies with ``msg_signature`` and encrypts replies. ``parse_event`` turns the pushed XML
into a small dict the publisher understands, including PUBLISHJOBFINISH, which wechatpy 1.8.18
does not know (it becomes ``UnknownMessage``; we read its raw data).

Nothing an unauthenticated sender wrote is XML-parsed: a safe-mode body (at most ``MAX_BODY``
bytes) only has its ``<Encrypt>`` value picked out by a bounded regular expression, that value's
``msg_signature`` is checked, and only the decrypted plaintext — written by WeChat — is parsed.
Plaintext mode (the Token is then the only proof of origin) is refused unless explicitly allowed
(``WXPUB_CALLBACK_PLAINTEXT=1``); a document type declaration (entities) is refused everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import re
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


MAX_BODY = 64 * 1024  # bytes; a real push is well under 10 KB
_ENCRYPT = re.compile(rb"<Encrypt>\s*(?:<!\[CDATA\[([A-Za-z0-9+/=\s]{1,65536}?)\]\]>|([A-Za-z0-9+/=\s]{1,65536}?))"
                      rb"\s*</Encrypt>")
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


MAX_CANDIDATES = 4


def extract_encrypt(body: bytes | str) -> list[str]:
    """The ``<Encrypt>`` value(s) of a safe/compatible-mode body, without parsing the XML.

    Usually one; in compatible mode a follower's own message text could add look-alikes, so the
    caller keeps the one whose ``msg_signature`` verifies. Refuses bodies over ``MAX_BODY``, with a
    DTD, without an ``<Encrypt>`` element or with more than ``MAX_CANDIDATES``."""
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if len(data) > MAX_BODY:
        raise CallbackError(f"回调消息太大（超过 {MAX_BODY // 1024} KB），已拒绝。")
    if _DOCTYPE.search(data):
        raise CallbackError("回调消息含有 DOCTYPE/ENTITY 声明，已拒绝。")
    found = _ENCRYPT.findall(data)
    if not found or len(found) > MAX_CANDIDATES:
        raise CallbackError("回调消息中没有可用的 Encrypt 字段，无法解密。")
    return [re.sub(rb"\s+", b"", b"".join(parts)).decode("ascii") for parts in found]


def plain_signature(token: str, timestamp: str, nonce: str) -> str:
    """``sha1(sorted([token, timestamp, nonce]))``: the ``signature`` query parameter."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return signer.signature


class CallbackCrypto:
    """Signature checks and safe-mode encryption for one account (token, EncodingAESKey, appid).

    ``allow_plaintext``: also accept plaintext-mode pushes, whose only proof of origin is the
    Token signature (off unless ``WXPUB_CALLBACK_PLAINTEXT=1``)."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str, *, allow_plaintext: bool = False):
        self.token = token
        self.appid = appid
        self.allow_plaintext = allow_plaintext
        self._crypto = WeChatCrypto(token, encoding_aes_key, appid)

    @classmethod
    def from_settings(cls, settings) -> "CallbackCrypto":
        """Build from ``Settings`` (token, encoding_aes_key, appid, callback_plaintext)."""
        return cls(settings.token, settings.encoding_aes_key, settings.appid,
                   allow_plaintext=bool(getattr(settings, "callback_plaintext", False)))

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

    def check_msg_signature(self, msg_signature: str | None, timestamp: str | None, nonce: str | None,
                            encrypt: str) -> None:
        """Raise ``CallbackError`` unless ``msg_signature`` = sha1(sort(token, timestamp, nonce, Encrypt))."""
        if not (msg_signature and timestamp and nonce):
            raise CallbackError("安全模式的回调请求缺少 msg_signature、timestamp 或 nonce 参数，已拒绝。")
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(signer.signature, str(msg_signature)):
            raise CallbackError("回调消息的 msg_signature 不正确：请核对 Token 与 EncodingAESKey。")

    def decrypt(self, body: bytes | str, msg_signature: str, timestamp: str, nonce: str) -> str:
        """The plaintext inside a safe/compatible-mode body (an XML with ``<Encrypt>``); the
        ``msg_signature`` is checked before anything is decrypted or parsed."""
        candidates = extract_encrypt(body)
        for encrypt in candidates:
            try:
                self.check_msg_signature(msg_signature, timestamp, nonce, encrypt)
                break
            except CallbackError:
                if encrypt is candidates[-1]:
                    raise
        try:
            return self._crypto.decrypt_message({"Encrypt": encrypt}, msg_signature, timestamp, nonce)
        except InvalidSignatureException:
            raise CallbackError("回调消息的 msg_signature 不正确：请核对 Token 与 EncodingAESKey。") from None
        except InvalidAppIdException:
            raise CallbackError("回调消息解密后 AppID 不符：这条消息不是发给本公众号的。") from None
        except Exception:  # malformed base64/padding from an untrusted sender
            raise CallbackError("回调消息无法解密：请核对 EncodingAESKey 是否与公众号后台一致。") from None

    def open(self, body: bytes | str, query: Mapping[str, str]) -> str:
        """Check a pushed POST and return its plaintext XML.

        Safe/compatible mode (``encrypt_type=aes``) needs a valid ``msg_signature`` (and a valid
        ``signature`` when one is sent); plaintext mode is refused unless ``allow_plaintext``, and
        even then needs the Token ``signature``."""
        if query.get("encrypt_type") == "aes":
            if query.get("signature"):
                self.check_signature(query.get("signature"), query.get("timestamp"), query.get("nonce"))
            return self.decrypt(body, query.get("msg_signature") or "", query.get("timestamp") or "",
                                query.get("nonce") or "")
        if query.get("encrypt_type") not in (None, "", "raw") or not self.allow_plaintext:
            raise CallbackError("只接受安全模式（encrypt_type=aes）的回调消息：请在公众号后台“服务器配置”中"
                                "选择“安全模式”。")
        self.check_signature(query.get("signature"), query.get("timestamp"), query.get("nonce"))
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        if len(data) > MAX_BODY:
            raise CallbackError(f"回调消息太大（超过 {MAX_BODY // 1024} KB），已拒绝。")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise CallbackError("回调消息不是 UTF-8 编码，已拒绝。") from None

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
    ``sent_count``, ``error_count``, ``check_state``, ``article_urls``; ``verify_expired`` and
    ``annual_renew`` add ``expired_time`` (Unix seconds).
    """
    raw = xml.encode("utf-8") if isinstance(xml, str) else bytes(xml)
    if _DOCTYPE.search(raw):
        raise CallbackError("回调消息含有 DOCTYPE/ENTITY 声明，已拒绝。")
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
    elif upper in ("VERIFY_EXPIRED", "ANNUAL_RENEW"):  # the verification lapsed / its renewal is due
        result["expired_time"] = _int(data.get("ExpiredTime"))
    elif msg_id:
        result["msg_id"] = _text(msg_id)
    result["dedup_key"] = _dedup_key(result, upper, raw)
    return result


def mass_dedup_key(msg_id, status) -> str:
    """The identity of a MASSSENDJOBFINISH event: its ``msg_id`` and ``Status`` (e.g. ``send success``);
    also how the publisher finds a stored event for a mass send it settles."""
    return f"mass:{msg_id}:{status}"[:200]


def _dedup_key(event: dict, upper: str, raw: bytes) -> str:
    """The identity of a pushed event, so that WeChat's retries of it are recognised and two
    different events (two publish jobs finishing in the same second) are not.

    PUBLISHJOBFINISH: its ``publish_id`` and status; MASSSENDJOBFINISH: its ``msg_id`` and status;
    a message: its ``MsgId``; anything else: sender, time and event plus a hash of the payload (a
    retry is byte-for-byte the same push)."""
    if upper == "PUBLISHJOBFINISH" and event.get("publish_id"):
        return f"publish:{event['publish_id']}:{event.get('publish_status')}"
    if upper == "MASSSENDJOBFINISH" and event.get("msg_id"):
        return mass_dedup_key(event["msg_id"], event.get("status"))
    if not upper and event.get("msg_id"):
        return f"msg:{event['msg_id']}"
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return f"event:{event['event']}:{event['create_time']}:{digest}:{event['from_user']}"[:200]
