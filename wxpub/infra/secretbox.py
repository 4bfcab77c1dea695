"""Symmetric encryption of small secrets at rest (the WeChat access token), keyed by the secret key.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived from
``settings.secret_key`` through HKDF-SHA256. The ``purpose`` goes into the HKDF info, so a value
encrypted for one purpose does not decrypt under another, and rotating ``secret_key`` makes old
ciphertexts unreadable (callers treat that as "no value" and fetch a fresh one).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wxpub.core.errors import WxpubError

_SALT = b"wxpub.infra.secretbox.v1"


class SecretBoxError(WxpubError):
    """A ciphertext cannot be decrypted (the secret key changed, or the value was tampered with)."""

    code = "secretbox"


class SecretBox:
    """Encrypts and decrypts short strings with a key derived from ``secret_key`` and ``purpose``."""

    def __init__(self, secret_key: str, purpose: str = "access-token"):
        if not secret_key:
            raise ValueError("SecretBox needs a non-empty secret key")
        raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT,
                   info=f"wxpub:{purpose}".encode()).derive(secret_key.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(raw))

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext (URL-safe ASCII) of ``plaintext``; different on every call."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext of ``ciphertext``; raises ``SecretBoxError`` if it cannot be read."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            raise SecretBoxError("加密数据无法解密：密钥（WXPUB_SECRET_KEY）可能已更换，或数据已损坏。") from None

    def __repr__(self) -> str:  # never show key material
        return "SecretBox(<hidden>)"
