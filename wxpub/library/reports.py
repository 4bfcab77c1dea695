"""The JSON form of an import, shared by ``wxpub import --json`` and ``POST /api/v1/imports``."""

from __future__ import annotations

from wxpub.library.service import ImportReport


def report_json(report: ImportReport, errors=(), warnings=()) -> dict:
    """The ``--json`` contract: ``{"cases": [...], "created", "updated", "unchanged"}`` (+ extras:
    ``errors`` of skipped files, ``warnings`` about what was left out of imported ones)."""
    return {
        "cases": [{
            "number": o.case.number, "title": o.case.title, "chapter": o.case.chapter,
            "series": o.case.series, "unit": o.case.unit,
            "points": [p.text for p in o.case.points], "paragraphs": o.case.paragraphs,
            "lead_phrases": [p.lead for p in o.case.points], "contact": o.case.contact,
            "images": [i.name for i in o.case.images], "action": o.action, "id": o.case_id,
            "version": o.version, "content_hash": o.case.content_hash,
            "source": {"file": o.case.source.file, "position": o.case.source.position},
        } for o in report.outcomes],
        "created": report.count("created"), "updated": report.count("updated"),
        "unchanged": report.count("unchanged"), "dry_run": report.dry_run,
        "errors": [{"file": e.file, "location": e.location, "message": e.message, "code": e.code}
                   for e in errors],
        "warnings": [{"file": w.file, "location": w.location, "message": w.message} for w in warnings],
    }
