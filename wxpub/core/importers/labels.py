"""Label lines of a case: "报送单位：…", "联系人：张三 电话：…", "案例名称：…" and the like.

They are metadata, not body text: the unit goes to ``Case.unit``, contact details to ``Case.contact``
(keys ``name``, ``phone``, ``mobile``, ``email``, ``fax``; "联系人及电话：张三 138…" gives a name
and a number), and the lines never reach the body, so
personal data cannot slip into a published article through the importer. ``parse_label_line`` also
knows the case title ("案例名称：", key ``title``), its chapter ("所属篇章：", key ``chapter``) and
dates of the form ("填报日期：", key ``date``, dropped).

Departments write labels in many ways, all accepted: half- or full-width colons, spaces inside the
label to align a form ("联 系 人："), a note before the colon ("报送单位（盖章）："), the whole line in
brackets ("（联系人：郑洁，联系电话：…）"), a unit alone in brackets ("（区市场监管局）"). A bare
"单位：" is a label only when what follows looks like the name of a unit (body text says "单位：万元").
A contact name written with its number ("张三 13800000000") is split into name and number.
"""

from __future__ import annotations

import re
import unicodedata

from wxpub.core.importers.decoding import clean_line

UNIT_LABELS = ("报送单位", "申报单位", "填报单位", "供稿单位", "单位名称", "报送部门", "申报部门", "责任单位",
               "牵头单位", "实施单位")
# A bare "单位：" is not always a label: body text says "单位：万元" (see ``_CONDITIONAL``).
CONTACT_LABELS = {
    "联系人姓名": "name", "联系人": "name",
    "联系电话": "phone", "办公电话": "phone", "联系方式": "phone", "座机": "phone", "电话": "phone",
    "手机号码": "mobile", "手机号": "mobile", "手机": "mobile", "移动电话": "mobile",
    "电子邮箱": "email", "电子邮件": "email", "邮箱": "email", "邮件": "email",
    "e-mail": "email", "email": "email",
    "传真": "fax",
    # a name and a number under one label ("联系人及电话：张三 13800000000")
    "联系人及电话": "both", "联系人及联系方式": "both", "联系人和电话": "both", "联系人、电话": "both",
    "联系人/电话": "both", "联系人及手机": "both", "联系人电话": "both",
}
TITLE_LABELS = ("案例名称", "案例标题", "案例题目", "标题", "题目")
CHAPTER_LABELS = ("所属篇章", "篇章", "所属类别", "案例类别", "所属领域")
DATE_LABELS = ("填报日期", "填报时间", "报送日期", "报送时间", "填表日期", "填表时间")
_CONDITIONAL = ("单位", "部门")

_KEY = {**{label: "unit" for label in (*UNIT_LABELS, *_CONDITIONAL)}, **CONTACT_LABELS,
        **{label: "title" for label in TITLE_LABELS}, **{label: "chapter" for label in CHAPTER_LABELS},
        **{label: "date" for label in DATE_LABELS}}
_ALL = sorted(_KEY, key=len, reverse=True)
# "联 系 人" (spaces to align a form) is "联系人"; a note in brackets may stand before the colon.
_LABEL = "|".join(r"\s*".join(re.escape(ch) for ch in label) for label in _ALL)
_NOTE = r"(?:\s*[（(][^）)]{0,10}[）)])?"
_PAIR = re.compile(rf"({_LABEL}){_NOTE}\s*[:：]\s*", re.IGNORECASE)
_STARTS = re.compile(rf"^({_LABEL}){_NOTE}\s*[:：]", re.IGNORECASE)

UNIT_SUFFIXES = ("局", "委", "办", "院", "中心", "公司", "集团", "政府", "街道", "街", "镇", "乡", "委员会",
                 "管委会", "办公室", "处", "科", "所", "站", "队", "部", "厅", "协会", "商会", "联合会", "馆",
                 "署", "室", "园区", "开发区", "工委", "党委", "支行", "分行", "银行", "学校", "医院", "公安",
                 "税务", "海关", "法院", "检察院", "监狱", "社", "台")
_UNIT_NAME = re.compile(r"^[\u4e00-\u9fff（）()·]{2,30}(?:" + "|".join(UNIT_SUFFIXES) + r")(?:（[^）]{1,8}）)?$")
_PHONE = re.compile(r"(?:\+?86[-\s]?)?(?:1[3-9]\d{9}|0\d{2,3}[-\s]?\d{7,8}(?:[-转]\d{1,6})?|\d{7,8})")


def looks_like_unit(text: str) -> bool:
    """Whether ``text`` is the name of one or several units ("区市场监管局", "区委组织部、区人社局")."""
    names = [n for n in re.split(r"[、，,；;/\s]+", clean_line(text)) if n]
    return bool(names) and len(names) <= 5 and all(_UNIT_NAME.match(n) for n in names)


def _bracketed(line: str) -> str | None:
    """The inside of a line that is wholly in one pair of brackets, or None."""
    if len(line) < 3 or line[0] not in "（(" or line[-1] not in "）)":
        return None
    depth = 0
    for pos, ch in enumerate(line):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth -= 1
        if depth == 0 and pos < len(line) - 1:
            return None
    return line[1:-1].strip()


def _label_key(label: str) -> str:
    bare = re.sub(r"\s+", "", label)
    return _KEY.get(bare.lower() if bare.isascii() else bare, "")


def parse_label_line(line: str) -> dict[str, str] | None:
    """The labelled values of ``line`` (keys ``unit``, ``title``, ``chapter``, ``date`` or a contact
    key), or None if it is body text."""
    line = clean_line(line)
    inner = _bracketed(line)
    if inner is not None:
        unit = re.sub(r"(报送|供稿|提供|供稿单位)$", "", inner)
        if looks_like_unit(unit):
            return {"unit": unit}
        line = inner
    match = _STARTS.match(line)
    if not match:
        return None
    if re.sub(r"\s+", "", match.group(1)) in _CONDITIONAL:
        value = line[match.end():].strip()
        if not looks_like_unit(re.split(r"\s+(?:联\s*系|电\s*话|手\s*机)", value)[0]):
            return None
    found: dict[str, str] = {}
    matches = list(_PAIR.finditer(line))
    for pos, pair in enumerate(matches):
        end = matches[pos + 1].start() if pos + 1 < len(matches) else len(line)
        value = line[pair.end():end].strip(" ，,；;、")
        key = _label_key(pair.group(1))
        if value and key and key not in found:
            found[key] = value
    if "unit" in found:
        found["unit"] = re.sub(r"\s*[（(](盖章|章|公章)[）)]$", "", found["unit"]) or found["unit"]
    if "both" in found:
        found = {**split_contact(found.pop("both")), **found}
    if "name" in found:
        found = {**split_contact(found.pop("name")), **found} if _PHONE.search(found["name"]) else found
    for key in ("phone", "mobile", "fax"):
        if key in found:
            found[key] = unicodedata.normalize("NFKC", found[key])
    return found


def split_contact(value: str) -> dict[str, str]:
    """"张三 13800000000" or "张三，022-25201234" → name and number (``mobile`` or ``phone``)."""
    value = unicodedata.normalize("NFKC", clean_line(value))
    found: dict[str, str] = {}
    for number in _PHONE.findall(value):
        key = "mobile" if re.fullmatch(r"(?:\+?86[-\s]?)?1[3-9]\d{9}", number) else "phone"
        found.setdefault(key, number)
    name = clean_line(re.sub(r"[，,；;、/（）()]", " ", _PHONE.sub(" ", value)))
    name = re.sub(r"^(?:电话|手机|联系电话)\s*[:：]?\s*", "", name).strip(" :：")
    return {**({"name": name} if name else {}), **found}


def is_label_cell(cell: str) -> bool:
    """Whether a table cell holds only a label ("联系人", "报送单位：", "联 系 人")."""
    bare = re.sub(r"\s+", "", clean_line(cell)).rstrip(":：")
    bare = re.sub(r"[（(][^）)]{0,10}[）)]$", "", bare)
    return bool(bare) and bool(_KEY.get(bare.lower() if bare.isascii() else bare))


def join_label_cells(cells: list[str]) -> str:
    """Turn a table row such as ["联系人", "张三", "电话", "123"] into "联系人：张三 电话：123"."""
    parts: list[str] = []
    for cell in (clean_line(c) for c in cells):
        if not cell:
            continue
        if is_label_cell(cell):
            parts.append(f"{re.sub(r'[:：]$', '', cell).strip()}：")
        elif parts and parts[-1].endswith("："):
            parts[-1] += cell
        else:
            parts.append(cell)
    return " ".join(parts)


def pair_label_rows(labels: list[str], values: list[str]) -> str | None:
    """A row of labels above a row of values ("联系人 | 电话" over "张三 | 123"): "联系人：张三 电话：123",
    or None when the rows are not shaped so."""
    if len(labels) != len(values) or not labels or not all(is_label_cell(c) for c in labels if c) \
            or not any(labels) or any(is_label_cell(v) for v in values if v):
        return None
    return join_label_cells([x for pair in zip(labels, values) for x in pair if x])
