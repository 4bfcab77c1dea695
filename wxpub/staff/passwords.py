"""The password policy and password hashing (werkzeug's salted scrypt).

The policy, checked whenever a password is set (account created, password reset by an admin,
password changed by its owner), each rule refused with a Chinese message naming it:

* at least ``MIN_LENGTH`` characters (and at most ``MAX_LENGTH``);
* not one of the common passwords in ``common_passwords.txt`` (case ignored), nor one of them with
  only digits or symbols added at the end (``password2024!``);
* not one character repeated;
* not the user name, and not containing it (case ignored).

``verify`` does the same scrypt work whether or not the account exists: a login for an unknown name
is checked against a dummy hash, so the answer's timing does not tell which names are staff.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from wxpub.core.errors import ValidationError

MIN_LENGTH = 10
MAX_LENGTH = 128
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_TRAILING_NOISE = re.compile(r"[\d\W_]+$")
RULES = (f"至少 {MIN_LENGTH} 位；不能是常见密码（如 a123456789、qwertyuiop）或常见密码加数字；"
         "不能全是同一个字符；不能包含用户名")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check(password: str, *, username: str) -> None:
    """Raise ``ValidationError`` naming the first rule ``password`` breaks."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"密码至少 {MIN_LENGTH} 位（现在只有 {len(password)} 位）")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"密码不能超过 {MAX_LENGTH} 位")
    lowered = password.lower()
    common = common_passwords()
    if lowered in common:
        raise ValidationError("这个密码太常见（在常用密码名单中），很容易被猜中，请换一个")
    stem = _TRAILING_NOISE.sub("", lowered)
    if stem != lowered and stem in common:
        raise ValidationError(f"这个密码只是在常见密码“{stem}”后面加了数字或符号，很容易被猜中，请换一个")
    if len(set(password)) == 1:
        raise ValidationError("密码不能全是同一个字符")
    name = (username or "").strip().lower()
    if name and name in lowered:
        raise ValidationError("密码不能包含用户名")


def hash_password(password: str) -> str:
    """The salted hash stored instead of the password."""
    return generate_password_hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; with no hash (unknown account) the same work
    is done against a dummy hash and the answer is False."""
    if stored_hash is None:
        check_password_hash(_dummy_hash(), password or "")
        return False
    return check_password_hash(stored_hash, password or "")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))
