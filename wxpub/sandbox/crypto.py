"""WeChat message signatures and AES encryption (reference §7), built on `cryptography`.

The sandbox uses this to sign and encrypt the events it pushes in safe mode; tests use it to
decrypt them. Deliberately independent of wechatpy, so the two implementations check each other.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_AES_KEY_RE = re.compile(r"^[A-Za-z0-9]{43}$")
_BLOCK = 32  # WeChat pads PKCS#7-style to 32 bytes, not to the AES block size of 16.


class CryptoError(ValueError):
    """A message could not be decrypted or its signature does not match."""


def sha1_signature(*parts: str) -> str:
    """Sort the parts lexicographically, join them and return the SHA-1 hex digest (§7.1/§7.2)."""
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode("utf-8")).hexdigest()


def _pad(data: bytes) -> bytes:
    amount = _BLOCK - len(data) % _BLOCK
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("empty plaintext")
    amount = data[-1]
    if amount < 1 or amount > _BLOCK:
        raise CryptoError("bad padding")
    return data[:-amount]


class MessageCrypto:
    """Encrypt/decrypt WeChat callback messages for one account (token, EncodingAESKey, appid)."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str):
        if not _AES_KEY_RE.match(encoding_aes_key or ""):
            raise CryptoError("EncodingAESKey must be 43 letters or digits")
        self.token = token
        self.appid = appid
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.iv = self.key[:16]

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.iv))

    def encrypt(self, message: str, random_prefix: bytes | None = None) -> str:
        """Return the base64 `Encrypt` value for `message` (random 16 bytes unless given)."""
        prefix = random_prefix if random_prefix is not None else os.urandom(16)
        if len(prefix) != 16:
            raise CryptoError("random prefix must be 16 bytes")
        body = message.encode("utf-8")
        plain = prefix + struct.pack(">I", len(body)) + body + self.appid.encode("utf-8")
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(_pad(plain)) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """Decrypt a base64 `Encrypt` value, check the trailing appid and return the message."""
        try:
            raw = base64.b64decode(encrypted)
        except ValueError as exc:
            raise CryptoError("Encrypt is not base64") from exc
        if not raw or len(raw) % 16:
            raise CryptoError("ciphertext length is not a multiple of 16")
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(raw) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, appid = plain[20:20 + length], plain[20 + length:]
        if appid.decode("utf-8", "replace") != self.appid:
            raise CryptoError(f"appid mismatch: {appid!r}")
        return message.decode("utf-8")

    def msg_signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        """`msg_signature = sha1(sort([token, timestamp, nonce, Encrypt]))`."""
        return sha1_signature(self.token, str(timestamp), str(nonce), encrypted)

    def decrypt_message(self, xml: str | bytes, msg_signature: str, timestamp: str, nonce: str) -> str:
        """Verify `msg_signature` over the `<Encrypt>` element of a pushed body and decrypt it."""
        encrypted = extract_element(xml, "Encrypt")
        if encrypted is None:
            raise CryptoError("no <Encrypt> element")
        if self.msg_signature(timestamp, nonce, encrypted) != msg_signature:
            raise CryptoError("msg_signature mismatch")
        return self.decrypt(encrypted)

    def encrypt_message(self, xml: str, nonce: str, timestamp: str,
                        random_prefix: bytes | None = None) -> str:
        """Build the encrypted reply envelope (§7.2) for a plaintext XML message."""
        encrypted = self.encrypt(xml, random_prefix)
        signature = self.msg_signature(timestamp, nonce, encrypted)
        return (f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
                f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
                f"<TimeStamp>{escape(str(timestamp))}</TimeStamp>"
                f"<Nonce><![CDATA[{nonce}]]></Nonce></xml>")


def extract_element(xml: str | bytes, name: str) -> str | None:
    """Text of the first top-level child `name` of a WeChat XML body (CDATA or plain)."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(xml if isinstance(xml, bytes) else xml.encode("utf-8"))
    node = root.find(name)
    return None if node is None else (node.text or "")
