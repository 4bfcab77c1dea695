"""Personal-data detectors: ID-card numbers (GB 11643 checksum), mobile numbers, bank cards (Luhn).

Each detector returns ``(raw, masked)`` pairs. Digit runs must stand alone (not part of a longer
number or a decimal), so ordinary figures (2023年, 13564个, 0.1945) never match.
"""

from __future__ import annotations

import datetime as _dt
import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Standalone = not touching another digit, letter or decimal point.
_ID_RE = re.compile(r"(?<![0-9A-Za-z.])([1-9]\d{16}[0-9Xx])(?![0-9A-Za-z]|\.\d)")
_MOBILE_RE = re.compile(
    r"(?<![0-9A-Za-z.])(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![0-9A-Za-z]|\.\d)")
# 16–19 digits, plain or in groups of four separated by single spaces or hyphens.
_CARD_RE = re.compile(
    r"(?<![0-9A-Za-z.])([3-6]\d{3}(?:[ -]?\d{4}){2}[ -]?\d{4}(?:[ -]?\d{1,3})?)"
    r"(?![0-9A-Za-z]|\.\d)")


def id_checksum_ok(number: str) -> bool:
    """True when an 18-character ID number's last character matches its GB 11643 checksum."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def _birth_date_ok(number: str) -> bool:
    try:
        born = _dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check used by bank card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mask(value: str, head: int = 4, tail: int = 4) -> str:
    """Keep ``head`` and ``tail`` characters and star the rest: 1101**********1234."""
    plain = re.sub(r"[ -]", "", value)
    if len(plain) <= head + tail:
        return "*" * len(plain)
    return plain[:head] + "*" * (len(plain) - head - tail) + plain[-tail:]


def find_id_cards(text: str) -> list[tuple[str, str]]:
    """18-digit resident ID numbers with a valid birth date AND a valid checksum."""
    return [(m.group(1), mask(m.group(1))) for m in _ID_RE.finditer(text)
            if _birth_date_ok(m.group(1)) and id_checksum_ok(m.group(1))]


def find_mobiles(text: str) -> list[tuple[str, str]]:
    """Mainland mobile numbers (1[3-9]x, 11 digits, optional +86 and separators)."""
    out = []
    for m in _MOBILE_RE.finditer(text):
        digits = "".join(m.groups())
        out.append((m.group(0), digits[:3] + "****" + digits[-4:]))
    return out


def find_bank_cards(text: str) -> list[tuple[str, str]]:
    """16–19-digit card numbers passing Luhn (ID-card numbers excluded: they are reported apart)."""
    out = []
    for m in _CARD_RE.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(1))
        if len(digits) == 18 and id_checksum_ok(digits) and _birth_date_ok(digits):
            continue
        if 16 <= len(digits) <= 19 and luhn_ok(digits):
            out.append((m.group(1), mask(digits)))
    return out
