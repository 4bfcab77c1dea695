"""JSON API of the audit trail (registered by ``wxpub.web.api``; login required).

* ``GET /api/v1/audit?actor=&action=&object_type=&object_id=&since=&until=&page=&per_page=`` —
  ``{"entries": [{"seq", "at", "actor", "action", "object_type", "object_id", "detail",
  "before_sha256", "after_sha256", "address", "row_hash"}], "page", "per_page", "total"}``, newest
  first; ``since``/``until`` are dates in Beijing time (both days included); ``per_page`` 50 by
  default, at most 200. Reviewers, approvers and admins only (others: 403).
"""

from __future__ import annotations

from flask import jsonify
from pydantic import Field

from wxpub.staff import audit
from wxpub.web import db_session, runtime
from wxpub.web.api_schema import Paging, operation, paged_answer, shape

ENTRY = shape({"seq": "integer", "at": "string", "actor": "string", "action": "string",
               "object_type": "string", "object_id": "string", "detail": "any", "before_sha256": "string?",
               "after_sha256": "string?", "address": "string?", "row_hash": "string?"})


class AuditQuery(Paging):
    """Filters of the log (dates in Beijing time, both days included); 50 a page as ``audit.PER_PAGE``."""

    actor: str | None = Field(None, description="操作人用户名")
    action: str | None = Field(None, description="操作，如 case.edit")
    object_type: str | None = Field(None, description="对象类型，如 case、release")
    object_id: str | None = Field(None, description="对象编号")
    since: str | None = Field(None, description="开始日期 YYYY-MM-DD")
    until: str | None = Field(None, description="结束日期 YYYY-MM-DD")


@operation("操作日志（新的在前，分页）", tag="操作日志", query=AuditQuery, errors=(403,),
           answer=paged_answer(ENTRY, "entries"))
def list_entries(query: AuditQuery):
    """GET /api/v1/audit — one page of the filtered log."""
    filters = audit.parse_filters(query.model_dump())
    page, per_page = query.page, query.per_page
    tz = runtime().settings.tz
    found = audit.page_of(db_session(), filters, page=page, per_page=per_page, tz=tz)
    return jsonify({"entries": [audit.entry_json(e, tz) for e in found.entries],
                    "page": page, "per_page": per_page, "total": found.total})


list_entries.read_roles = audit.VIEW_ROLES  # checked by wxpub.web.api._require_login
list_entries.read_forbidden_message = "只有复审、终审和管理员可以查看操作日志"

ROUTES = [("/audit", list_entries, ["GET"])]
