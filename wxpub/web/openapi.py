"""The OpenAPI 3.1 document of ``/api/v1``, built at run time from the routes' declarations.

Every rule of the ``api`` blueprint whose view declared an operation (``wxpub.web.api_schema``)
becomes an operation: path parameters from the rule's converters, query parameters and the
request body from the pydantic models that validate them, the success answer and the error
answers (``{"error", "message"}``) that follow from the declaration, who may call it
(``x-roles``, from the same ``write_roles`` the login guard reads) and how to authenticate
(a session cookie plus ``X-CSRFToken`` for writes, or an API token: ``Authorization: Bearer``).
"""

from __future__ import annotations

import re

from flask import Flask

from wxpub.staff.users import ROLE_NAMES
from wxpub.web import MAX_ID
from wxpub.web.api_schema import WRITE_ROLES, Operation, declared

PREFIX = "/api/v1"
READS = {"GET", "HEAD", "OPTIONS"}

ERROR_TEXTS = {
    400: "请求有误：参数或请求体不对（message 指出哪个字段、错在哪里）",
    401: "未登录，或 API 令牌无效、已撤销",
    403: "当前角色不能做这个操作，或只读令牌试图修改数据",
    404: "对象不存在",
    409: "对象当前的状态不允许这个操作",
    413: "请求体超过大小上限",
    429: "这个 API 令牌请求太频繁（响应头 Retry-After 给出等待秒数）",
}

ERROR_SCHEMA = {
    "type": "object", "required": ["error", "message"], "additionalProperties": True,
    "properties": {"error": {"type": "string", "description": "稳定的错误代码，如 invalid、not_found"},
                   "message": {"type": "string", "description": "给人看的中文说明"},
                   "request_id": {"type": "string", "description": "服务器出错（5xx）时的请求编号"}},
}


def roles_of(view, method: str) -> tuple[str, ...] | None:
    """The roles that may call ``method`` on ``view`` (None: everyone logged in); admins always may.
    The same attribute ``wxpub.web.api._require_login`` checks."""
    if method in READS:
        return getattr(view, "read_roles", None)
    return tuple(getattr(view, "write_roles", WRITE_ROLES))


def role_words(roles) -> str:
    """Who may call, in Chinese (admins included)."""
    if roles is None:
        return "所有已登录的工作人员（只读令牌也可）"
    order = list(ROLE_NAMES)
    ranked = sorted(set(roles) - {"admin"}, key=lambda r: order.index(r) if r in order else len(order))
    return "、".join([ROLE_NAMES.get(r, r) for r in ranked] + ["管理员"])


def document(app: Flask) -> dict:
    """The OpenAPI 3.1.0 document of the app's ``api`` blueprint."""
    schemas: dict = {"Error": ERROR_SCHEMA}
    paths: dict = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api.") or not rule.rule.startswith(PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        op = declared(view)
        if op is None:
            continue  # tests/test_openapi.py fails on such a route: every route must declare itself
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX):]) or "/"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            item = _operation(rule, view, op, method, schemas)
            paths.setdefault(path, {})[method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "新政服发布后台 API", "version": "1",
                 "description": "新政服发布后台的 JSON 接口。错误一律答复 {\"error\": 代码, \"message\": 中文说明}。"
                                "列表接口分页：?page（从 1 开始）、?per_page（默认 50，最多 200），"
                                "答复带 page、per_page、total。"},
        "servers": [{"url": PREFIX, "description": "本服务器"}],
        "tags": _tags(paths),
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "管理员在“用户 → API 令牌”为某个用户新建的令牌（wxp_ 开头），"
                                  "以该用户的角色调用；只读令牌只能 GET。无需 CSRF 令牌。"},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                   "description": "浏览器登录后的会话 Cookie"},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                  "description": "用会话 Cookie 修改数据时必须带上，取自 GET /csrf-token"},
}


# Tag names are ASCII (generated clients name their modules after them); the Chinese is the
# description, which the reference page shows.
TAG_NAMES = {"案例库": "cases", "案例编辑": "case_editor", "系列与篇章": "series", "排版生成": "compose",
             "审核与批注": "review", "发布": "releases", "发布计划": "plans", "告警": "alerts",
             "读者留言": "comments", "操作日志": "audit", "登录与文档": "meta"}


def tag_name(tag: str) -> str:
    """The document's name for a declared (Chinese) tag."""
    return TAG_NAMES.get(tag) or re.sub(r"[^a-z0-9]+", "_", tag.lower()).strip("_") or "other"


def _tags(paths: dict) -> list[dict]:
    described = {tag_name(t): t for t in TAG_NAMES}
    seen = dict.fromkeys(item["tags"][0] for methods in paths.values() for item in methods.values())
    return [{"name": name, "description": described.get(name, name)} for name in sorted(
        seen, key=lambda n: list(described).index(n) if n in described else len(described))]


def _operation(rule, view, op: Operation, method: str, schemas: dict) -> dict:
    roles = roles_of(view, method)
    params = [_path_param(name, conv) for name, conv in _path_names(rule)]
    if op.query is not None:
        params += _query_params(op.query, schemas)
    item = {"operationId": rule.endpoint.split(".", 1)[1], "summary": op.summary, "tags": [tag_name(op.tag)],
            "description": op.description or op.summary, "parameters": params,
            "responses": _responses(op, method, bool(params and _path_names(rule)), schemas),
            "x-roles": list(roles) if roles is not None else None,
            "x-roles-text": op.roles_note or role_words(roles)}
    if op.public:
        item["security"] = []
    elif method in READS:
        item["security"] = [{"bearerAuth": []}, {"cookieAuth": []}]
    else:
        item["security"] = [{"bearerAuth": []}, {"cookieAuth": [], "csrfToken": []}]
    if op.body is not None:
        item["requestBody"] = {"required": not op.body_optional,
                               "content": {"application/json": {"schema": _model_ref(op.body, schemas)}}}
    elif op.form is not None:
        form = _model_schema(op.form, schemas)
        form["properties"]["files"] = {"type": "array", "items": {"type": "string", "format": "binary"},
                                       "description": "要导入的文件，一个或多个"}
        form["required"] = ["files", *form.get("required", [])]
        item["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    return item


def _path_names(rule) -> list[tuple[str, str]]:
    return [(name, type(conv).__name__) for name, conv in rule._converters.items()]


def _path_param(name: str, converter: str) -> dict:
    if converter in ("IdConverter", "IntegerConverter"):
        value = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    else:
        value = {"type": "string"}
    what = _ID_NAMES.get(name.removesuffix("_id"), "")
    return {"name": name, "in": "path", "required": True, "schema": value, "description": f"{what}编号"}


_ID_NAMES = {"case": "案例", "chapter": "篇章", "series": "系列", "release": "发布", "alert": "告警",
             "comment": "留言或批注", "message": "消息", "article": "文章", "plan": "发布计划"}


def _model_schema(model, schemas: dict) -> dict:
    """The model's JSON Schema; its nested models go to components."""
    found = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, nested in found.pop("$defs", {}).items():
        schemas[name] = _absent_is_not_null(nested)
    return _absent_is_not_null(found)


def _absent_is_not_null(found: dict) -> dict:
    # ``name: str = None`` means "leave it out to keep it": the default is absence, not a null value
    for prop in found.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and not _allows_null(prop):
            del prop["default"]
    return found


def _allows_null(prop: dict) -> bool:
    return prop.get("type") == "null" or any(_allows_null(p) for p in prop.get("anyOf", ()))


def _model_ref(model, schemas: dict) -> dict:
    schemas[model.__name__] = _model_schema(model, schemas)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_params(model, schemas: dict) -> list[dict]:
    found = _model_schema(model, schemas)
    required = set(found.get("required", []))
    out = []
    for name, prop in found.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        if prop.get("type") == "array":
            param.update(style="form", explode=True)
        out.append(param)
    return out


def _responses(op: Operation, method: str, has_path_id: bool, schemas: dict) -> dict:
    answers = {str(op.status): {"description": "成功",
                                "content": {"application/json": {"schema": op.answer}}}}
    for status, (text, body) in op.others.items():
        answers[str(status)] = {"description": text, "content": {"application/json": {"schema": body}}}
    statuses = set(op.errors)
    if op.query is not None or op.body is not None or op.form is not None:
        statuses.add(400)
    if has_path_id:
        statuses.add(404)
    if not op.public:
        statuses |= {401, 429}
        if method not in READS:
            statuses |= {400, 403}  # writes: the CSRF token; a read-only token or a role that may not
    ref = {"$ref": "#/components/schemas/Error"}
    for status in sorted(statuses):
        if str(status) not in answers:
            answers[str(status)] = {"description": ERROR_TEXTS.get(status, "错误"),
                                    "content": {"application/json": {"schema": ref}}}
    return answers
