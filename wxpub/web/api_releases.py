"""JSON API of the release desk (registered by ``wxpub.web.api``: login required; writes need the
CSRF token and the editor or approver role — admins pass anyway). Times are Beijing ISO 8601.

* ``GET  /api/v1/releases?state=&month=YYYY-MM&account=``  ``{"releases": [...], "page", "per_page", "total"}`` in the
  ``wxpub release list --json`` shape (``month`` in Beijing time; ``account`` its name or AppID)
* ``GET  /api/v1/releases/<id>``  that, plus ``state_name``, ``timeline`` (every state move),
  ``attempts`` (the publish log, WeChat's ``rid`` when it gave one), ``preflight`` (the latest
  24-hour and 1-hour checks, as the pre-flight job records them), ``readback`` (what WeChat changed
  in the draft), ``fallback_path`` and ``review`` (``complete``, ``version_hash``, ``missing``)
* ``POST /api/v1/releases/<id>/retry|cancel|hold|resume`` (``hold`` takes an optional ``{"reason"}``)
* ``POST /api/v1/releases/<id>/reschedule``  ``{"at": ISO 8601 with offset | "YYYY-MM-DD HH:MM"}``
* ``POST /api/v1/releases/<id>/manual``  ``{"article_urls": [...]}`` (published by hand in the
  WeChat back office)
* ``POST /api/v1/diagnose``  ``{"rid", "release_id"?, "alert_id"?}`` → what WeChat kept of that
  request: ``{"rid", "invoke_time" (Beijing ISO 8601), "cost_in_ms", "request_url", "request_body",
  "response_body", "client_ip", "errcode", "errmsg", "explanation"}`` (access tokens masked); 404
  for a rid WeChat does not know (76001), 409 one of another account (76002), 410 one it no longer
  keeps (76003) or that wxpub recorded more than 7 days ago (WeChat is then not asked)

Each write answers with the release detail; 400 names the bad field, 404 an unknown release,
409 a move the state model (or the 群发 quota) refuses.
"""

from __future__ import annotations

from flask import jsonify
from pydantic import Field

from wxpub.core.errors import ValidationError
from wxpub.releases import actions, detail, diagnose, queries
from wxpub.web import db_session, runtime
from wxpub.web.api_common import actor
from wxpub.web.api_schema import Body, Paging, arr, nullable, operation, page_of, paged_answer, shape

WRITE_ROLES = ("editor", "approver")
TAG = "发布"
RELEASE = shape({"id": "integer", "chapter": "string", "mode": "string", "scheduled_at": "string",
                 "state": "string", "article_urls": arr("string"), "plan_key": "string?", "step": "string?",
                 "error_code": "any", "error_message": "string?", "published_at": "string?",
                 "approved": "boolean", "message_id": "integer?", "version_hash": "string?"})
DETAIL = {**RELEASE, "properties": {**RELEASE["properties"], "state_name": {"type": "string"},
                                    "timeline": arr("object"), "attempts": arr("object"),
                                    "preflight": arr("object"), "readback": nullable("list"),
                                    "fallback_path": nullable("string"), "time_set_by": nullable("string"),
                                    "review": nullable("object"), "warnings": arr("any")},
          "required": [*RELEASE["required"], "state_name", "timeline", "attempts", "preflight", "readback",
                       "fallback_path", "review"]}
DIAGNOSED = shape({"rid": "string", "invoke_time": "string?", "cost_in_ms": "any", "request_url": "any",
                   "request_body": "any", "response_body": "any", "client_ip": "string", "errcode": "any",
                   "errmsg": "any", "explanation": "any"})


class ReleaseQuery(Paging):
    """Filters of the release list."""

    state: str = Field("", description="状态，如 planned、approved、published、held、failed、canceled")
    month: str = Field("", description="月份 YYYY-MM（北京时间）")
    account: str = Field("", description="公众号名称或 AppID")


@operation("发布列表（时间最早的在前，分页）", tag=TAG, query=ReleaseQuery, answer=paged_answer(RELEASE, "releases"))
def list_releases(query: ReleaseQuery):
    """GET /api/v1/releases — soonest first, optionally filtered."""
    session, tz = db_session(), runtime().settings.tz
    rows = detail.find(session, in_state=query.state, month=query.month, account=query.account, tz=tz)
    answer = page_of(rows, query, "releases")
    answer["releases"] = queries.listed(session, answer["releases"], tz=tz)
    return jsonify(answer)


def _move(summary: str, **extra):
    return operation(summary, tag=TAG, answer=DETAIL, errors=(409,), **extra)


class Hold(Body):
    """Why it is held (optional)."""

    messages = {"reason": "reason（暂停原因）应为字符串"}
    reason: str | None = Field(None, description="暂停原因")


class Reschedule(Body):
    """The new time."""

    messages = {"at.missing": "缺少 at（发布时间）"}
    at: str = Field(description="新的发布时间：带时区的 ISO 8601，或北京时间“YYYY-MM-DD HH:MM”")


class Manual(Body):
    """The articles as published by hand."""

    messages = {n: "article_urls（文章链接）应为非空的链接列表" for n in ("article_urls", "article_urls.missing")}
    article_urls: list[str] = Field(description="在微信公众平台手工发布后的文章链接")


class Diagnose(Body):
    """The rid to look up, and where it was asked from."""

    messages = {"rid.missing": "rid：请填写微信错误信息末尾“rid: ”后面的编号"}
    rid: str = Field(description="微信错误信息末尾“rid: ”后面的编号")
    release_id: int | None = Field(None, ge=1, le=2 ** 31 - 1, description="从哪个发布页发起")
    alert_id: int | None = Field(None, ge=1, le=2 ** 31 - 1, description="从哪条告警发起")


def _detail(session, release) -> dict:
    return detail.detail(session, release, runtime().settings)


@operation("一条发布：时间线、发布记录、预检、回读与审核", tag=TAG, answer=DETAIL)
def get_release(release_id: int):
    """GET /api/v1/releases/<id> — one release with its timeline, publish log and checks."""
    session = db_session()
    return jsonify(_detail(session, queries.get(session, release_id)))


def _answer(release_id: int, **extra):
    session = db_session()
    return jsonify({**_detail(session, queries.get(session, release_id)), **extra})


@_move("立即重发已暂停或失败的发布")
def retry_release(release_id: int):
    """POST /api/v1/releases/<id>/retry — send a held or failed release again now."""
    actions.retry(db_session(), release_id, by=actor(), now=runtime().clock.now())
    return _answer(release_id)


@_move("取消发布（什么也不会发出）")
def cancel_release(release_id: int):
    """POST /api/v1/releases/<id>/cancel — nothing of it will be sent."""
    actions.cancel(db_session(), release_id, by=actor(), now=runtime().clock.now())
    return _answer(release_id)


@_move("暂停发布，直到有人决定", body=Hold, body_optional=True)
def hold_release(release_id: int, body: Hold | None):
    """POST /api/v1/releases/<id>/hold ``{"reason"}`` (optional) — stop it until someone decides."""
    reason = (body.reason if body else None) or ""
    actions.hold(db_session(), release_id, by=actor(), now=runtime().clock.now(), reason=reason)
    return _answer(release_id)


@_move("恢复已暂停的发布（回到原定时间）")
def resume_release(release_id: int):
    """POST /api/v1/releases/<id>/resume — a held release back on its schedule."""
    actions.resume(db_session(), release_id, by=actor(), now=runtime().clock.now())
    return _answer(release_id)


@_move("改期（答复的 warnings 列出那天的提示）", body=Reschedule)
def reschedule_release(release_id: int, body: Reschedule):
    """POST /api/v1/releases/<id>/reschedule ``{"at"}`` — a new time (its day's notes in ``warnings``)."""
    rt = runtime()
    at = actions.parse_at(body.at, field="at", tz=rt.settings.tz)
    actions.reschedule(db_session(), release_id, at=at, by=actor(), now=rt.clock.now(), settings=rt.settings)
    return _answer(release_id, warnings=actions.day_notes(at, rt.settings.tz))


@_move("登记为已在微信后台手工发布", body=Manual)
def manual_release(release_id: int, body: Manual):
    """POST /api/v1/releases/<id>/manual ``{"article_urls": [...]}`` — it was published by hand."""
    urls = body.article_urls
    if not urls or not all(u.strip() for u in urls):
        raise ValidationError("article_urls（文章链接）应为非空的链接列表")
    from wxpub.releases import manual
    manual.record_manual(db_session(), release_id, urls=[u.strip() for u in urls], by=actor(),
                         now=runtime().clock.now())
    return _answer(release_id)


@operation("诊断：微信记录的这次请求（openapi/rid/get）", tag=TAG, body=Diagnose, answer=DIAGNOSED,
           errors=(404, 409), others={410: ("微信已不保存这个 rid（超过 7 天）", {"$ref": "#/components/schemas/Error"})})
def diagnose_rid(body: Diagnose):
    """POST /api/v1/diagnose ``{"rid"}`` — 诊断: WeChat's record of the request (``openapi/rid/get``)."""
    return jsonify(diagnose.diagnose(runtime(), body.rid, actor=actor(), release_id=body.release_id,
                                     alert_id=body.alert_id))


diagnose_rid.write_roles = diagnose.ROLES
diagnose_rid.forbidden_message = "不能诊断微信请求，请由编辑或终审操作"

for _view in (retry_release, cancel_release, hold_release, resume_release, reschedule_release,
              manual_release):
    _view.write_roles = WRITE_ROLES
    _view.forbidden_message = "不能操作发布，请由编辑或终审操作"

ROUTES = [
    ("/releases", list_releases, ["GET"]),
    ("/releases/<id:release_id>", get_release, ["GET"]),
    ("/releases/<id:release_id>/retry", retry_release, ["POST"]),
    ("/releases/<id:release_id>/cancel", cancel_release, ["POST"]),
    ("/releases/<id:release_id>/hold", hold_release, ["POST"]),
    ("/releases/<id:release_id>/resume", resume_release, ["POST"]),
    ("/releases/<id:release_id>/reschedule", reschedule_release, ["POST"]),
    ("/releases/<id:release_id>/manual", manual_release, ["POST"]),
    ("/diagnose", diagnose_rid, ["POST"]),
]
