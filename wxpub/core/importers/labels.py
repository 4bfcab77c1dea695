"""Label lines of a case: "报送单位：…", "联系人：张三 电话：…" and the like.

They are metadata, not body text: the unit goes to ``Case.unit``, contact details to ``Case.contact``
(keys ``name``, ``phone``, ``mobile``, ``email``, ``fax``), and the lines never reach the body, so
personal data cannot slip into a published article through the importer.
"""

from __future__ import annotations

import re

from wxpub.core.importers.decoding import clean_line

UNIT_LABELS = ("报送单位", "申报单位", "填报单位", "供稿单位", "单位名称", "报送部门")
# A bare "单位：" is not a label: body text says "单位：万元".
CONTACT_LABELS = {
    "联系人姓名": "name", "联系人": "name",
    "联系电话": "phone", "办公电话": "phone", "联系方式": "phone", "座机": "phone", "电话": "phone",
    "手机号码": "mobile", "手机号": "mobile", "手机": "mobile",
    "电子邮箱": "email", "电子邮件": "email", "邮箱": "email", "邮件": "email",
    "e-mail": "email", "email": "email",
    "传真": "fax",
}
_ALL = sorted([*UNIT_LABELS, *CONTACT_LABELS], key=len, reverse=True)
_LABEL = "|".join(re.escape(label) for label in _ALL)
_PAIR = re.compile(rf"({_LABEL})\s*[:：]\s*", re.IGNORECASE)
_STARTS = re.compile(rf"^({_LABEL})\s*[:：]", re.IGNORECASE)


def parse_label_line(line: str) -> dict[str, str] | None:
    """The labelled values of ``line`` (key ``unit`` or a contact key), or None if it is body text."""
    line = clean_line(line)
    if not _STARTS.match(line):
        return None
    found: dict[str, str] = {}
    matches = list(_PAIR.finditer(line))
    for pos, match in enumerate(matches):
        end = matches[pos + 1].start() if pos + 1 < len(matches) else len(line)
        value = line[match.end():end].strip(" ，,；;、")
        label = match.group(1).lower() if match.group(1).isascii() else match.group(1)
        key = "unit" if label in UNIT_LABELS else CONTACT_LABELS[label]
        if value and key not in found:
            found[key] = value
    return found


def join_label_cells(cells: list[str]) -> str:
    """Turn a table row such as ["联系人", "张三", "电话", "123"] into "联系人：张三 电话：123"."""
    parts: list[str] = []
    for cell in (clean_line(c) for c in cells):
        if not cell:
            continue
        bare = cell.rstrip(":：")
        if bare in UNIT_LABELS or bare.lower() in CONTACT_LABELS or bare in CONTACT_LABELS:
            parts.append(f"{bare}：")
        elif parts and parts[-1].endswith("："):
            parts[-1] += cell
        else:
            parts.append(cell)
    return " ".join(parts)
