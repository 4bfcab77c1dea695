"""Which cases a chapter article carries, and whether that changed since a release was approved.

Kept apart from ``compose`` (which renders, and so needs the case library's content functions) so
that the case library can ask "did this edit change what an approved release carries?" without an
import cycle.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from wxpub.models import Case, Chapter, MessageVersion, Release


def chosen_cases(chapter: Chapter) -> list[Case]:
    """The cases a chapter article carries: the selected ones (择优) in their order, or, while no
    case is selected yet, every case that is not rejected."""
    cases = sorted(chapter.cases, key=lambda r: (r.position or 0, r.id))
    selected = [r for r in cases if r.status == "selected"]
    return selected or [r for r in cases if r.status != "rejected"]


def content_drifted(session: Session, release: Release) -> bool:
    """True when the chapter's chosen cases (or their versions or order) differ from what the
    release's approved version was rendered from: an edit after approval."""
    version = session.get(MessageVersion, release.approved_version_id) if release.approved_version_id else None
    if version is None:
        return False
    chapter = session.get(Chapter, release.chapter_id)
    current = [row.current_version_id for row in chosen_cases(chapter)]
    return current != list(version.case_version_ids)
