"""What a page's cached parts are checked against: ONE small query a request.

The newest row of each table whose writes can change a cached part of a page — the statistics
pulls (the dashboard's figures), the audit log (every staff action: curation, compose, sign-offs,
comments, plans, manual publications…), the release state moves (the scheduler's, which write no
audit row), sign-offs, sealed review sheets, message versions and review comments (the header's
我的待办 count) — and the person's unread notices. Each is a primary-key ``max`` (an index lookup)
or a count over one person's notices; read once per request and kept in ``flask.g``.
"""

from __future__ import annotations

from flask import g
from flask_login import current_user
from sqlalchemy import text

from wxpub.web import db_session

PAGE_SQL = text(
    "SELECT (SELECT max(id) FROM stat_pulls) AS stat_pull, (SELECT max(id) FROM audit_log) AS audit,"
    " (SELECT max(id) FROM release_transitions) AS transition, (SELECT max(id) FROM signoffs) AS signoff,"
    " (SELECT max(id) FROM review_sheets) AS sheet, (SELECT max(id) FROM message_versions) AS version,"
    " (SELECT max(id) FROM review_comments) AS comment,"
    " (SELECT count(*) FROM notices WHERE username = :username AND read_at IS NULL) AS unread")


def marks():
    """This request's marks (a row with the columns of ``PAGE_SQL``), read on first use."""
    if "page_marks" not in g:
        username = current_user.username if current_user.is_authenticated else ""
        # on the connection (no ORM layer): this runs for every page
        g.page_marks = db_session().connection().execute(PAGE_SQL, {"username": username}).one()
    return g.page_marks


def statistics() -> tuple:
    """What the dashboard's figures depend on: a pull, or an audited change of the library."""
    row = marks()
    return row.stat_pull, row.audit


def reviews() -> tuple:
    """What anyone's 我的待办 depends on (besides the review policy of the runtime)."""
    row = marks()
    return row.audit, row.transition, row.signoff, row.sheet, row.version, row.comment


def unread_notices() -> int:
    """The person's unread notices."""
    return marks().unread or 0
