"""JSON API of the audit trail (registered by ``wxpub.web.api``; login required).

* ``GET /api/v1/audit?actor=&action=&object_type=&object_id=&since=&until=&page=&per_page=`` —
  ``{"entries": [{"seq", "at", "actor", "action", "object_type", "object_id", "detail",
  "before_sha256", "after_sha256", "address", "row_hash"}], "page", "per_page", "total"}``, newest
  first; ``since``/``until`` are dates in Beijing time (both days included); ``per_page`` 50 by
  default, at most 200. Reviewers, approvers and admins only (others: 403).
"""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from wxpub.core.errors import Forbidden
from wxpub.staff import audit
from wxpub.staff.users import has_role
from wxpub.web import db_session, runtime
from wxpub.web.api_common import positive_arg

MAX_PER_PAGE = 200


def list_entries():
    """GET /api/v1/audit — one page of the filtered log."""
    if not has_role(current_user, *audit.VIEW_ROLES):
        raise Forbidden("只有复审、终审和管理员可以查看操作日志")
    filters = audit.parse_filters(request.args)
    page = positive_arg("page", 1)
    per_page = positive_arg("per_page", audit.PER_PAGE, most=MAX_PER_PAGE)
    tz = runtime().settings.tz
    found = audit.page_of(db_session(), filters, page=page, per_page=per_page, tz=tz)
    return jsonify({"entries": [audit.entry_json(e, tz) for e in found.entries],
                    "page": page, "per_page": per_page, "total": found.total})


ROUTES = [("/audit", list_entries, ["GET"])]
