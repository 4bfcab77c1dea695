"""Compare a draft as WeChat stored it (``draft/get``) with what we sent (pure core).

WeChat sanitises content on its side (scripts, foreign images, some attributes). Staff need to know
when the article readers will see differs from the approved one, so the publisher records every
difference this finds after ``draft/add``.
"""

from __future__ import annotations

import difflib
import re

FIELDS = ("title", "author", "digest", "content_source_url", "thumb_media_id")
_SPACE = re.compile(r"\s+")


def _norm(html: str) -> str:
    return _SPACE.sub(" ", html or "").strip()


def compare_draft(sent: list[dict], stored: list[dict]) -> list[dict]:
    """Differences per article: ``[{"article": 1, "field": "content", "sent": …, "stored": …}]``."""
    changes: list[dict] = []
    if len(sent) != len(stored):
        changes.append({"article": None, "field": "count", "sent": len(sent), "stored": len(stored)})
    for index, (mine, theirs) in enumerate(zip(sent, stored), start=1):
        for name in FIELDS:
            if name in theirs and (mine.get(name) or "") != (theirs.get(name) or ""):
                if name == "digest" and not mine.get(name):
                    continue  # WeChat fills an empty digest from the body: expected
                changes.append({"article": index, "field": name, "sent": mine.get(name),
                                "stored": theirs.get(name)})
        a, b = _norm(mine.get("content", "")), _norm(theirs.get("content", ""))
        if a != b:
            matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
            removed = [a[i1:i2] for tag, i1, i2, _j1, _j2 in matcher.get_opcodes() if tag in ("delete", "replace")]
            added = [b[j1:j2] for tag, _i1, _i2, j1, j2 in matcher.get_opcodes() if tag in ("insert", "replace")]
            changes.append({"article": index, "field": "content",
                            "removed": [r[:200] for r in removed[:10]],
                            "added": [x[:200] for x in added[:10]]})
    return changes
