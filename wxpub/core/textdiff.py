"""Character-level differences between texts and between two versions of a case's content.

    char_diff(a, b) -> [(op, text), ...]       # op: "equal" | "insert" | "delete"
    diff_fields(old, new) -> [FieldDiff, ...]   # two ``CaseContent.content_dict()`` shapes
    diff_html(ops) -> str                       # <ins>/<del> markup, escaped
    field_label(path) -> str                    # "points.2" -> "要点2"

``char_diff`` always reconstructs its inputs: the equal + delete texts joined give ``a``, the
equal + insert texts give ``b``. Between two equal runs there is at most one delete followed by
at most one insert. Long texts are first compared sentence by sentence (split after 。！？；
and line breaks), then character by character inside the sentences that changed.

Field paths are 1-based: "title", "unit", "contact.电话", "lead.1", "points.2", "closing.1",
"images.1.caption" (a caption change of an image kept), "images.3" (an image added or removed).
A changed or added paragraph is numbered as it is in ``new``, a removed one as it was in ``old``.
Paragraph lists are aligned (SequenceMatcher over whole paragraphs), so inserting one paragraph
reports one "added" rather than every following paragraph "changed".
"""

from __future__ import annotations


import html
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from wxpub.core.content import contact_name

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
_DIRECT = 2000          # up to this many characters (both sides) diff character by character
_CHUNK = 20000          # a changed run longer than this (either side) is shown as delete+insert
_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;\n]+|$)")
_PAIR_MIN = 0.4         # similarity under which two paragraphs are an add + remove, not a change
_LISTS = {"lead": "导语第{}段", "points": "要点{}", "closing": "结尾第{}段"}


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s]


def _chars(a: str, b: str) -> list[tuple[str, str]]:
    if not a or not b or len(a) > _CHUNK or len(b) > _CHUNK:
        return [(DELETE, a), (INSERT, b)]
    out = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append((EQUAL, a[i1:i2]))
        else:
            out += [(DELETE, a[i1:i2]), (INSERT, b[j1:j2])]
    return out


def _normalise(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop empty ops; merge each run between equal texts into one delete then one insert."""
    out: list[tuple[str, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush():
        if deleted:
            out.append((DELETE, "".join(deleted)))
        if inserted:
            out.append((INSERT, "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for op, text in ops:
        if not text:
            continue
        if op == EQUAL:
            flush()
            if out and out[-1][0] == EQUAL:
                out[-1] = (EQUAL, out[-1][1] + text)
            else:
                out.append((EQUAL, text))
        else:
            (deleted if op == DELETE else inserted).append(text)
    flush()
    return out


def char_diff(a: str, b: str) -> list[tuple[str, str]]:
    """The character-level edit from ``a`` to ``b`` as ``(op, text)`` pairs (see module doc)."""
    if a == b:
        return [(EQUAL, a)] if a else []
    if len(a) + len(b) <= _DIRECT:
        return _normalise(_chars(a, b))
    sa, sb = _sentences(a), _sentences(b)
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, sa, sb, autojunk=False).get_opcodes():
        left, right = "".join(sa[i1:i2]), "".join(sb[j1:j2])
        if tag == "equal":
            ops.append((EQUAL, left))
        else:
            ops += _chars(left, right)
    return _normalise(ops)


def diff_html(ops: list[tuple[str, str]]) -> str:
    """``ops`` as HTML: inserted text in ``<ins>``, deleted in ``<del>``, everything escaped.

    Returns a plain ``str`` that is safe to wrap in ``markupsafe.Markup`` (the core does not
    depend on it); no attributes, styles or scripts.
    """
    parts = []
    for op, text in ops:
        escaped = html.escape(text, quote=True)
        if op == INSERT:
            parts.append(f"<ins>{escaped}</ins>")
        elif op == DELETE:
            parts.append(f"<del>{escaped}</del>")
        else:
            parts.append(escaped)
    return "".join(parts)


@dataclass(frozen=True)
class FieldDiff:
    """One field that differs between two versions of a case."""

    field: str                          # stable path, e.g. "points.2"
    label: str                          # Chinese, e.g. "要点2"
    kind: str                           # "changed" | "added" | "removed"
    ops: tuple[tuple[str, str], ...]    # char_diff(old, new)
    old: str
    new: str


def field_label(path: str) -> str:
    """The Chinese name of a field path: "contact.电话" -> "联系方式·电话", "lead.1" -> "导语第1段"."""
    head, _, tail = path.partition(".")
    if head == "title":
        return "标题"
    if head == "unit":
        return "报送单位"
    if head == "contact":
        return f"联系方式·{contact_name(tail)}"
    if head in _LISTS:
        return _LISTS[head].format(tail)
    if head == "images":
        number, _, sub = tail.partition(".")
        return f"图片{number}说明" if sub == "caption" else f"图片{number}"
    return path


def _field(path: str, old: str, new: str) -> FieldDiff | None:
    if old == new:
        return None
    kind = "added" if not old else "removed" if not new else "changed"
    return FieldDiff(path, field_label(path), kind, tuple(char_diff(old, new)), old, new)


def _similarity(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    quick = matcher.quick_ratio()  # an upper bound of ratio(), and cheap
    return quick if quick < _PAIR_MIN else matcher.ratio()


def _pair_block(old: list[str], new: list[str]) -> list[tuple[int | None, int | None]]:
    """Inside a replaced run, which old paragraph became which new one (None: none)."""
    m, n = len(old), len(new)
    if m == n or m * n > 400:
        pairs = [(i, i) for i in range(min(m, n))]
    else:  # best total similarity, order kept (a small alignment table)
        score = [[0.0] * (n + 1) for _ in range(m + 1)]
        for i in range(m - 1, -1, -1):
            for j in range(n - 1, -1, -1):
                s = _similarity(old[i], new[j])
                take = score[i + 1][j + 1] + s if s >= _PAIR_MIN else -1.0
                score[i][j] = max(take, score[i + 1][j], score[i][j + 1])
        pairs, i, j = [], 0, 0
        while i < m and j < n:
            s = _similarity(old[i], new[j])
            if s >= _PAIR_MIN and score[i][j] == score[i + 1][j + 1] + s:
                pairs.append((i, j))
                i, j = i + 1, j + 1
            elif score[i][j] == score[i + 1][j]:
                i += 1
            else:
                j += 1
    paired_old = {i for i, _ in pairs}
    paired_new = {j for _, j in pairs}
    rows = pairs + [(i, None) for i in range(m) if i not in paired_old]
    rows += [(None, j) for j in range(n) if j not in paired_new]
    return sorted(rows, key=lambda r: (r[1] if r[1] is not None else r[0], r[1] is not None))


def align(old: list[str], new: list[str]) -> list[tuple[int | None, int | None]]:
    """Old and new paragraph indexes (0-based) that correspond; None where one side has none."""
    rows: list[tuple[int | None, int | None]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [(i1 + k, j1 + k) for k in range(i2 - i1)]
        else:
            rows += [(None if a is None else i1 + a, None if b is None else j1 + b)
                     for a, b in _pair_block(old[i1:i2], new[j1:j2])]
    return rows


def _list_diffs(name: str, old: list[str], new: list[str]) -> list[FieldDiff]:
    out = []
    for i, j in align(old, new):
        a = old[i] if i is not None else ""
        b = new[j] if j is not None else ""
        if a == b:
            continue
        number = (j if j is not None else i) + 1
        kind = "added" if i is None else "removed" if j is None else "changed"
        out.append(FieldDiff(f"{name}.{number}", field_label(f"{name}.{number}"), kind,
                             tuple(char_diff(a, b)), a, b))
    return out


def _image_text(image: dict) -> str:
    caption = image.get("caption") or ""
    name = image.get("name") or ""
    return f"{name}：{caption}" if caption else name


def _image_diffs(old: list[dict], new: list[dict]) -> list[FieldDiff]:
    key = [img.get("sha256") or img.get("name") or "" for img in old]
    new_key = [img.get("sha256") or img.get("name") or "" for img in new]
    out = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, key, new_key, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                path = f"images.{j1 + k + 1}.caption"
                d = _field(path, old[i1 + k].get("caption") or "", new[j1 + k].get("caption") or "")
                if d is not None:
                    out.append(d)
            continue
        for i in range(i1, i2):
            text = _image_text(old[i])
            out.append(FieldDiff(f"images.{i + 1}", field_label(f"images.{i + 1}"), "removed",
                                 tuple(char_diff(text, "")), text, ""))
        for j in range(j1, j2):
            text = _image_text(new[j])
            out.append(FieldDiff(f"images.{j + 1}", field_label(f"images.{j + 1}"), "added",
                                 tuple(char_diff("", text)), "", text))
    return out


def diff_fields(old: dict, new: dict) -> list[FieldDiff]:
    """Every field of a case's content that differs between ``old`` and ``new`` (in reading
    order: title, unit, contact, lead, points, closing, image captions)."""
    out = [d for d in (_field("title", old.get("title") or "", new.get("title") or ""),
                       _field("unit", old.get("unit") or "", new.get("unit") or ""))
           if d is not None]
    old_contact, new_contact = old.get("contact") or {}, new.get("contact") or {}
    for key in [*old_contact, *(k for k in new_contact if k not in old_contact)]:
        d = _field(f"contact.{key}", str(old_contact.get(key) or ""),
                   str(new_contact.get(key) or ""))
        if d is not None:
            out.append(d)
    for name in ("lead", "points", "closing"):
        texts = [[_text(p) for p in (side.get(name) or [])] for side in (old, new)]
        out += _list_diffs(name, *texts)
    out += _image_diffs(list(old.get("images") or []), list(new.get("images") or []))
    return out


def _text(paragraph) -> str:
    if isinstance(paragraph, dict):  # a point
        return (paragraph.get("lead") or "") + (paragraph.get("rest") or "")
    return str(paragraph)


__all__ = ["char_diff", "diff_fields", "diff_html", "field_label", "align", "FieldDiff",
           "EQUAL", "INSERT", "DELETE"]
