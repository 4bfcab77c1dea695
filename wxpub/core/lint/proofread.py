"""Findings per field of one case, for the case editor, and the punctuation fix it can offer.

    proofread_case(content, lexicon=None) -> [FieldFinding, ...]
    fixable_punctuation(content) -> dict | None

``content`` has the shape of ``CaseContent.content_dict()``. Every text field — title, unit,
lead paragraphs, points (``lead + rest``), closing paragraphs, image captions — goes through
``check_text`` (lexicon words, personal data) and ``check_punctuation`` (half-width marks). The
contact details are not published and are not checked. Field paths are those of
``wxpub.core.textdiff.diff_fields`` ("title", "unit", "lead.1", "points.2", "closing.1",
"images.1.caption"). A finding's ``Location`` has no article or case; its ``paragraph`` is the
body-order position the renderer uses (lead, then points, then closing; a caption carries the
paragraph its image follows), None for title and unit.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from wxpub.core.lint.findings import Finding, Location
from wxpub.core.lint.lexicon import Lexicon, load_lexicon
from wxpub.core.lint.punctuation import check_punctuation, fix_halfwidth, fix_halfwidth_split
from wxpub.core.lint.rules import check_text
from wxpub.core.textdiff import field_label


@dataclass(frozen=True)
class FieldFinding:
    """A lint finding and the case field it is in."""

    field: str            # e.g. "points.2"
    finding: Finding

    @property
    def label(self) -> str:
        """The field's Chinese name, e.g. "要点2"."""
        return field_label(self.field)


def _point_text(point) -> str:
    if isinstance(point, dict):
        return (point.get("lead") or "") + (point.get("rest") or "")
    return str(point)


def text_fields(content: dict) -> list[tuple[str, str, Location]]:
    """(path, text, location) of every checked text field, in reading order."""
    out = [("title", content.get("title") or "", Location(field="title")),
           ("unit", content.get("unit") or "", Location())]
    lead = list(content.get("lead") or [])
    points = list(content.get("points") or [])
    closing = list(content.get("closing") or [])
    body = ([("lead", t) for t in lead] + [("points", _point_text(p)) for p in points]
            + [("closing", t) for t in closing])
    numbers = {"lead": 0, "points": 0, "closing": 0}
    for position, (name, text) in enumerate(body, 1):
        numbers[name] += 1
        out.append((f"{name}.{numbers[name]}", str(text), Location(paragraph=position)))
    for n, image in enumerate(content.get("images") or [], 1):
        after = image.get("after")
        paragraph = after + 1 if isinstance(after, int) and 0 <= after < len(body) else len(body)
        out.append((f"images.{n}.caption", image.get("caption") or "",
                    Location(paragraph=paragraph)))
    return out


def proofread_case(content: dict, lexicon: Lexicon | None = None) -> list[FieldFinding]:
    """Lexicon, personal-data and punctuation findings of every text field of a case."""
    lexicon = lexicon or load_lexicon()
    out = []
    for path, text, where in text_fields(content):
        if not text:
            continue
        for finding in check_text(text, where, lexicon) + check_punctuation(text, where):
            out.append(FieldFinding(path, finding))
    return out


def fixable_punctuation(content: dict) -> dict | None:
    """``content`` with the half-width punctuation of every text field fixed (contact untouched;
    a point's lead/rest split kept at the same place), or None when nothing would change."""
    fixed = copy.deepcopy(content)
    for key in ("title", "unit"):
        if isinstance(fixed.get(key), str):
            fixed[key] = fix_halfwidth(fixed[key])
    for key in ("lead", "closing"):
        if key in fixed and fixed[key] is not None:
            fixed[key] = [fix_halfwidth(t) if isinstance(t, str) else t for t in fixed[key]]
    for point in fixed.get("points") or []:
        if isinstance(point, dict):
            lead, rest = point.get("lead") or "", point.get("rest") or ""
            new_lead, new_rest = fix_halfwidth_split(lead, rest)
            if (new_lead, new_rest) != (lead, rest):
                point["lead"], point["rest"] = new_lead, new_rest
    for image in fixed.get("images") or []:
        if isinstance(image.get("caption"), str):
            image["caption"] = fix_halfwidth(image["caption"])
    return None if fixed == content else fixed


__all__ = ["FieldFinding", "proofread_case", "fixable_punctuation", "text_fields"]
