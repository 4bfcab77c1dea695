"""Half-width punctuation in Chinese text (rule ``punct.halfwidth``, a warning) and its fixer.

    find_halfwidth(text) -> [(index, half-width mark, full-width replacement), ...]
    fix_halfwidth(text) -> str                       # idempotent; unchanged when nothing to fix
    fix_halfwidth_split(lead, rest) -> (lead, rest)  # a point's two parts, fixed as one paragraph
    check_punctuation(text, location) -> [Finding]   # at most one finding per text

The exact rule. Marks handled: ``, ; : ? ! ( )`` → ``， ； ： ？ ！ （ ）``.

* "Chinese" characters are CJK ideographs (U+3400–4DBF, U+4E00–9FFF, U+F900–FAFF, U+20000–
  2FFFF), CJK symbols and punctuation (U+3001–303F), full-width forms (U+FF01–FF65) and
  ``“ ” ‘ ’ … —``. Openers are ``“‘「『（《【〔〈〖〘〚``, closers ``”’」』）》】〕〉〗〙〛``.
* Spaces (space, tab, no-break space, U+3000) are skipped when looking at a mark's neighbours;
  line breaks are not spaces.
* Marks inside a URL (``scheme://…``, ``www.…``; ASCII URL characters, trailing ``.,;:!?'`` and
  an unbalanced ``)`` not included) or an e-mail address (optionally ``mailto:``) are never
  converted.
* ``, ; : ? !`` are converted when the previous non-space character is Chinese and not an
  opener, or the next non-space character is Chinese and not a closer — but never when the
  characters directly on both sides are ASCII digits (``3,000``, ``1:2``, ``10:30``).
* Parentheses are paired (``(`` or ``（`` with ``)`` or ``）``, nesting allowed). A pair with a
  half-width member is converted when the other member is full-width, its content holds an
  ideograph, or the non-space character before the opening or after the closing one is Chinese
  (``营商环境(试行)``, ``生产总值(GDP)增长``, ``(1)加强``). ``Wi-Fi (IEEE 802.11)`` stays. An
  unpaired half-width parenthesis follows the comma rule.
* A mark next to a mark being converted sees it as its full-width form (``吗?!`` → ``吗？！``), so
  the result does not depend on how many times the fixer runs.
* The fixer also drops the spaces directly before and after a converted mark (full-width marks
  carry their own spacing): ``企业, 群众`` → ``企业，群众``; ``方案 (试行)`` → ``方案（试行）``.
"""

from __future__ import annotations

import re

from wxpub.core.lint.findings import WARNING, Finding, Location

RULE = "punct.halfwidth"
FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_MARKS = re.compile(r"[,;:?!()]")
_SPACES = " \t\u00a0\u3000"
_DIGITS = "0123456789"
_OPENERS = "“‘「『（《【〔〈〖〘〚"
_CLOSERS = "”’」』）》】〕〉〗〙〛"
_EXTRA = "“”‘’…—"
_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_EMAIL = re.compile(r"(?:mailto:)?[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_EXCERPT = 10  # characters each side of the first mark in a finding's ``text``


def _ideograph(c: str) -> bool:
    o = ord(c)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF
            or 0x20000 <= o <= 0x2FFFF)


def _chinese(c: str) -> bool:
    if not c:
        return False
    o = ord(c)
    return _ideograph(c) or 0x3001 <= o <= 0x303F or 0xFF01 <= o <= 0xFF65 or c in _EXTRA


def _protected(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _URL.finditer(text):
        start, end = m.span()
        while end > start:
            last, body = text[end - 1], text[start:end]
            if last in ".,;:!?'" or (last == ")" and body.count("(") < body.count(")")):
                end -= 1
            else:
                break
        spans.append((start, end))
    spans += [m.span() for m in _EMAIL.finditer(text)]
    return spans


class _Scan:
    """The decisions for one text; ``converted`` grows until nothing more changes."""

    def __init__(self, text: str):
        self.text = text
        spans = _protected(text)
        self.marks = [m.start() for m in _MARKS.finditer(text)
                      if not any(s <= m.start() < e for s, e in spans)]
        self.pair: dict[int, int] = {}  # half-width paren index -> its partner (either width)
        stack: list[int] = []
        allowed = set(self.marks)
        for i, c in enumerate(text):
            if c == "（" or (c == "(" and i in allowed):
                stack.append(i)
            elif (c == "）" or (c == ")" and i in allowed)) and stack:
                j = stack.pop()
                if text[j] == "(" or c == ")":
                    self.pair[i], self.pair[j] = j, i
        self.converted: set[int] = set()

    def _look(self, i: int, step: int) -> str:
        text, j = self.text, i + step
        while 0 <= j < len(text) and text[j] in _SPACES:
            j += step
        if not 0 <= j < len(text):
            return ""
        return FULL[text[j]] if j in self.converted else text[j]

    def _neighbours_chinese(self, i: int) -> bool:
        before, after = self._look(i, -1), self._look(i, 1)
        return ((_chinese(before) and before not in _OPENERS)
                or (_chinese(after) and after not in _CLOSERS))

    def _wants(self, i: int) -> bool:
        text, c = self.text, self.text[i]
        if c in "()" and i in self.pair:
            j = self.pair[i]
            o, e = min(i, j), max(i, j)
            return (text[j] in "（）" or any(_ideograph(ch) for ch in text[o + 1:e])
                    or _chinese(self._look(o, -1)) or _chinese(self._look(e, 1)))
        if (c not in "()" and 0 < i < len(text) - 1
                and text[i - 1] in _DIGITS and text[i + 1] in _DIGITS):
            return False
        return self._neighbours_chinese(i)

    def run(self) -> list[int]:
        changed, order = True, self.marks
        while changed:
            changed = False
            for i in order:
                if i not in self.converted and self._wants(i):
                    self.converted.add(i)
                    if i in self.pair and self.text[self.pair[i]] in "()":
                        self.converted.add(self.pair[i])
                    changed = True
            order = order[::-1]  # alternate directions: chains settle in a pass or two
        return sorted(self.converted)


def find_halfwidth(text: str) -> list[tuple[int, str, str]]:
    """(index, half-width mark, full-width replacement) of every mark the rule converts."""
    if not _MARKS.search(text):
        return []
    return [(i, text[i], FULL[text[i]]) for i in _Scan(text).run()]


def _apply(text: str, indexes: list[int], cuts: tuple[int, ...] = ()) -> tuple[str, list[int]]:
    """``text`` with the marks at ``indexes`` converted and the spaces around them dropped, and
    where each position in ``cuts`` lands in the result."""
    drop = set(indexes)
    for i in indexes:
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(text) and text[j] in _SPACES:
                drop.add(j)
                j += step
    out: list[str] = []
    mapped = {}
    wanted = set(indexes)
    for i, c in enumerate(text):
        if i in cuts:
            mapped[i] = len(out)
        if i in wanted:
            out.append(FULL[c])
        elif i not in drop:
            out.append(c)
    for cut in cuts:
        mapped.setdefault(cut, len(out))
    return "".join(out), [mapped[c] for c in cuts]


def fix_halfwidth(text: str) -> str:
    """``text`` with every mark ``find_halfwidth`` reports converted (spaces around dropped)."""
    hits = find_halfwidth(text)
    if not hits:
        return text
    return _apply(text, [i for i, _, _ in hits])[0]


def fix_halfwidth_split(lead: str, rest: str) -> tuple[str, str]:
    """A point's lead phrase and rest fixed as the one paragraph they form (so the decisions
    match what the check of ``lead + rest`` sees), split again at the same place."""
    text = lead + rest
    hits = find_halfwidth(text)
    if not hits:
        return lead, rest
    fixed, (cut,) = _apply(text, [i for i, _, _ in hits], (len(lead),))
    return fixed[:cut], fixed[cut:]


def excerpt(text: str, index: int, width: int = _EXCERPT) -> str:
    """About ``2 * width`` characters of ``text`` around ``index``, "…" where cut."""
    start, end = max(0, index - width), min(len(text), index + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def check_punctuation(text: str, location: Location) -> list[Finding]:
    """One warning for ``text`` when it has half-width marks in Chinese, else nothing."""
    hits = find_halfwidth(text)
    if not hits:
        return []
    half = list(dict.fromkeys(c for _, c, _ in hits))
    message = (f"有 {len(hits)} 处半角标点（{' '.join(half)}）夹在中文里，"
               f"应为全角（{''.join(FULL[c] for c in half)}）")
    return [Finding(RULE, WARNING, location, excerpt(text, hits[0][0]), message)]


__all__ = ["RULE", "FULL", "find_halfwidth", "fix_halfwidth", "fix_halfwidth_split",
           "check_punctuation", "excerpt"]
