"""Word's automatic numbering: the "1." or "（一）" Word shows before a list paragraph.

The number of an auto-numbered paragraph is not in its text: the paragraph (or its style) names a
list (``w:numPr``: ``numId`` and level ``ilvl``), and ``word/numbering.xml`` says how that list counts
(``numFmt``: decimal, chineseCounting …) and writes (``lvlText``: "%1.", "（%1）", "%1、"). This module
replays the counting in document order so the importer can put the number back in front of the text
staff see. Lists that share an abstract definition continue each other, as in Word, unless a list
restarts with ``startOverride``; a higher level resets the levels below it. Bullets give no text.
"""

from __future__ import annotations

from docx.oxml.ns import qn

_CHINESE = "〇一二三四五六七八九"
_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _chinese(n: int, digits: str = _CHINESE, ten: str = "十") -> str:
    if n < 10:
        return digits[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return (digits[tens] if tens > 1 else "") + ten + (digits[ones] if ones else "")
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def format_number(n: int, fmt: str) -> str:
    """``n`` written in Word's number format ``fmt`` ("decimal", "chineseCounting", …)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "taiwaneseCountingThousand", "ideographDigital", "koreanCounting"):
        return _chinese(n)
    if fmt == "chineseLegalSimplified":
        return _chinese(n, _LEGAL, "拾")
    if fmt == "ideographTraditional":
        return _STEMS[(n - 1) % 10]
    if fmt == "ideographZodiac":
        return _BRANCHES[(n - 1) % 12]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return _CIRCLED[n - 1]
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    return str(n)


class Numbering:
    """The list definitions of one document and the counters of the lists read so far."""

    def __init__(self, document, styles):
        self._styles = styles
        self._levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # abstract id -> ilvl -> (start, fmt, text)
        self._nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstract id, start overrides)
        self._counters: dict[str, dict[int, int]] = {}
        self._restarted: set[str] = set()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError, ValueError):
            return
        for abstract in root.iterchildren(qn("w:abstractNum")):
            levels = {}
            for lvl in abstract.iterchildren(qn("w:lvl")):
                levels[_int(lvl.get(qn("w:ilvl")), 0)] = (
                    _int(_val(lvl, "w:start"), 1), _val(lvl, "w:numFmt") or "decimal", _val(lvl, "w:lvlText") or "")
            self._levels[abstract.get(qn("w:abstractNumId"))] = levels
        for num in root.iterchildren(qn("w:num")):
            overrides = {}
            for override in num.iterchildren(qn("w:lvlOverride")):
                start = _val(override, "w:startOverride")
                if start is not None:
                    overrides[_int(override.get(qn("w:ilvl")), 0)] = _int(start, 1)
            self._nums[num.get(qn("w:numId"))] = (_val(num, "w:abstractNumId") or "", overrides)

    def _num_pr(self, p_element):
        p_pr = p_element.find(qn("w:pPr"))
        num_pr = p_pr.find(qn("w:numPr")) if p_pr is not None else None
        if num_pr is not None:
            return num_pr
        for style in self._styles.chain(p_element):
            style_pr = style.element.find(qn("w:pPr"))
            num_pr = style_pr.find(qn("w:numPr")) if style_pr is not None else None
            if num_pr is not None:
                return num_pr
        return None

    def numbered(self, p_element) -> bool:
        """Whether Word shows a number before paragraph ``p_element`` (without counting it)."""
        num_pr = self._num_pr(p_element)
        num_id = _val(num_pr, "w:numId") if num_pr is not None else None
        return bool(num_id and num_id != "0" and num_id in self._nums)

    def label(self, p_element) -> str:
        """The number text Word shows before paragraph ``p_element`` ("" if it is not numbered)."""
        num_pr = self._num_pr(p_element)
        if num_pr is None:
            return ""
        num_id = _val(num_pr, "w:numId")
        if num_id is None or num_id == "0" or num_id not in self._nums:
            return ""
        level = _int(_val(num_pr, "w:ilvl"), 0)
        abstract_id, overrides = self._nums[num_id]
        levels = self._levels.get(abstract_id, {})
        if level not in levels:
            return ""
        counters = self._counters.setdefault(abstract_id, {})
        if overrides and num_id not in self._restarted:
            self._restarted.add(num_id)
            for lvl, start in overrides.items():
                counters[lvl] = start - 1
        start = levels[level][0]
        counters[level] = counters.get(level, start - 1) + 1
        for deeper in [lvl for lvl in counters if lvl > level]:
            del counters[deeper]
        fmt, text = levels[level][1], levels[level][2]
        if fmt in ("bullet", "none"):
            return ""
        for lvl in range(level, -1, -1):
            if f"%{lvl + 1}" in text:
                value = counters.get(lvl, levels.get(lvl, (1, "", ""))[0])
                text = text.replace(f"%{lvl + 1}", format_number(value, levels.get(lvl, (1, fmt, ""))[1]))
        return text.strip()


def _val(element, tag: str):
    child = element.find(qn(tag))
    return child.get(qn("w:val")) if child is not None else None


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
