"""``GET /api/docs``: the API reference page, rendered on the server from the OpenAPI document.

The page reads the same document ``GET /api/v1/openapi.json`` serves (``wxpub.web.openapi``), so
it cannot drift from the routes: operations grouped by tag, each with its method and path, summary,
who may call it, parameters, body fields and answers; and how to authenticate with a Bearer token.
No script, no CDN: plain HTML and ``api_docs.css``. Readable without logging in (it holds no data).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

from wxpub.web.openapi import document

bp = Blueprint("api_docs", __name__)

_TYPE_NAMES = {"string": "字符串", "integer": "整数", "boolean": "true/false", "number": "数字",
               "object": "对象", "array": "列表", "null": "null"}
METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}


def type_text(schema: dict, doc: dict) -> str:
    """A JSON Schema's type in a few Chinese words (``字符串或 null``, ``列表（整数）`` …)."""
    schema = _resolve(schema, doc)
    if "anyOf" in schema:
        return "或 ".join(dict.fromkeys(type_text(s, doc) for s in schema["anyOf"]))
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items") or {}
        inner = type_text(items, doc) if items else ""
        return f"列表（{inner}）" if inner and inner != "任意" else "列表"
    if isinstance(kind, list):
        return "或 ".join(_TYPE_NAMES.get(k, k) for k in kind)
    return _TYPE_NAMES.get(kind, "任意") if kind else "任意"


def _resolve(schema: dict, doc: dict) -> dict:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def _fields(schema: dict, doc: dict) -> list[dict]:
    """The top-level properties of an object schema, as rows of the page."""
    schema = _resolve(schema, doc)
    required = set(schema.get("required", []))
    return [{"name": name, "type": type_text(prop, doc), "required": name in required,
             "description": _resolve(prop, doc).get("description", "")}
            for name, prop in schema.get("properties", {}).items()]


def _operation(path: str, method: str, op: dict, doc: dict) -> dict:
    body = None
    for media, content in (op.get("requestBody") or {}).get("content", {}).items():
        body = {"media": media, "required": op["requestBody"].get("required", False),
                "fields": _fields(content["schema"], doc)}
    answers = []
    for status, answer in op["responses"].items():
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        error = schema.get("$ref") == "#/components/schemas/Error"
        answers.append({"status": status, "description": answer["description"], "error": error,
                        "fields": [] if error else _fields(schema, doc)})
    return {"id": op["operationId"], "method": method.upper(), "path": path, "summary": op["summary"],
            "description": op.get("description", "") if op.get("description") != op["summary"] else "",
            "roles": op.get("x-roles-text", ""), "public": op.get("security") == [],
            "params": [{"name": p["name"], "in": {"path": "路径", "query": "查询"}[p["in"]],
                        "required": p.get("required", False), "type": type_text(p["schema"], doc),
                        "description": p.get("description", "")} for p in op.get("parameters", [])],
            "body": body, "answers": answers}


def groups(doc: dict) -> list[dict]:
    """The operations by tag (the document's tag order), each tag's in path then method order."""
    found: dict[str, list] = {t["name"]: [] for t in doc.get("tags", [])}
    titles = {t["name"]: t.get("description") or t["name"] for t in doc.get("tags", [])}
    for path, item in doc["paths"].items():
        for method, op in sorted(item.items(), key=lambda kv: METHOD_ORDER.get(kv[0], 9)):
            found.setdefault(op["tags"][0], []).append(_operation(path, method, op, doc))
    return [{"name": titles.get(name, name), "anchor": f"tag-{name}", "operations": ops}
            for name, ops in found.items() if ops]


@bp.get("/api/docs")
def reference():
    """The reference page (no login: it describes the API, it shows no data)."""
    doc = document(current_app)
    return render_template("api_docs/reference.html", doc=doc, groups=groups(doc),
                           count=sum(len(item) for item in doc["paths"].values()))


def init_app(app: Flask) -> None:
    """Register the reference page."""
    app.register_blueprint(bp)
