"""Readership statistics: pulling WeChat's datacube into local history and reading it back.

Modules: ``dates`` (pure date rules), ``parse`` (pure: answers → rows), ``store`` (idempotent
upserts, msgid mapping), ``ingest`` (the pull: read, fetch, store), ``batch`` (a pull's answers,
held until its one commit), ``queries`` (aggregates for the dashboard and the CLI), ``tables``
(every dashboard table as data), ``exports`` (CSV/XLSX), ``charts`` (inline SVG).
"""

from __future__ import annotations


def pull(runtime, since=None, progress=None):
    """Pull WeChat statistics (see ``wxpub.stats.ingest.pull``); the scheduler's daily job."""
    from wxpub.stats.ingest import pull as _pull
    return _pull(runtime, since=since, progress=progress)


__all__ = ["pull"]
