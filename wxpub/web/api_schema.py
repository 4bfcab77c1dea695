"""The JSON API's declared operations: what each route takes and answers, validated by pydantic.

Every view in a ``ROUTES`` table of ``wxpub.web.api`` and its extensions is wrapped by
:func:`operation`, which declares the route's summary, tag, query model, JSON body model (or
multipart form model) and answer, and validates the request against them before the view runs:
the view receives the validated models as ``query=`` / ``body=`` / ``form=``. A failure is a 400
``{"error": "invalid", "message": <Chinese naming the field>}``. ``wxpub.web.openapi`` builds the
OpenAPI document from the same declarations (``view.api_operation``), so a route cannot be
documented differently from how it is checked.

Models derive from :class:`Body` (strict JSON types, unknown fields refused) or :class:`Query`
(query strings, converted; unknown arguments ignored). A model may word its own messages:
``messages = {"field": "…", "field.missing": "…"}`` and ``unknown = "不能修改的字段"``.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field as dataclass_field
from typing import Callable, ClassVar

import pydantic
from flask import request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from wxpub.core.errors import ValidationError

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_QUERY_NUMBER = 999_999_999
# Who may write through a view that names no ``write_roles``: curation is the editors' work (admins
# may do everything). ``wxpub.web.api`` checks it, ``wxpub.web.openapi`` documents it.
WRITE_ROLES = ("editor",)


class Body(BaseModel):
    """A JSON request body: JSON's own types only (no "1" for 1), no field it does not declare."""

    model_config = ConfigDict(strict=True, extra="forbid")
    messages: ClassVar[dict[str, str]] = {}
    unknown: ClassVar[str] = "不认识的字段"


class Query(BaseModel):
    """Query-string arguments (converted from text); arguments it does not declare are ignored."""

    model_config = ConfigDict(extra="ignore")
    messages: ClassVar[dict[str, str]] = {}
    unknown: ClassVar[str] = "不认识的参数"


class Paging(Query):
    """``?page`` (from 1) and ``?per_page`` (50 by default; more than 200 is read as 200)."""

    page: int = Field(1, ge=1, le=MAX_QUERY_NUMBER, description="页码，从 1 开始")
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_QUERY_NUMBER,
                          description=f"每页条数，默认 {DEFAULT_PER_PAGE}，最多 {MAX_PER_PAGE}（更大按 {MAX_PER_PAGE}）")

    @field_validator("per_page")
    @classmethod
    def _at_most(cls, value: int) -> int:
        return min(value, MAX_PER_PAGE)


def page_of(items: list, query: Paging, key: str) -> dict:
    """``{key: that page of items, "page", "per_page", "total"}`` (a page past the end is empty)."""
    start = (query.page - 1) * query.per_page
    return {key: items[start:start + query.per_page], "page": query.page,
            "per_page": query.per_page, "total": len(items)}


def paged_answer(item: dict | str, key: str, **others) -> dict:
    """The answer schema of a paged list: ``key`` (items of ``item``) + page, per_page, total."""
    return shape({key: arr(item), "page": "integer", "per_page": "integer", "total": "integer",
                  **others})


# --- answer schemas: a compact way to write the JSON Schema of an answer ----------------------------

_SIMPLE = {"string", "integer", "boolean", "number"}


def schema(spec) -> dict:
    """JSON Schema of ``spec``: a dict (a schema already), "string"/"integer"/"boolean"/"number",
    "object" (any object), "any", "list" (any list); a trailing "?" allows null."""
    if isinstance(spec, dict):
        return spec
    nullable = spec.endswith("?")
    name = spec.rstrip("?")
    if name in _SIMPLE:
        base = {"type": name}
    elif name == "object":
        base = {"type": "object", "additionalProperties": True}
    elif name == "list":
        base = {"type": "array", "items": {}}
    elif name == "any":
        return {}
    else:
        raise ValueError(f"unknown schema shorthand {spec!r}")
    return {"anyOf": [base, {"type": "null"}]} if nullable else base


def arr(item) -> dict:
    """An array of ``item``."""
    return {"type": "array", "items": schema(item)}


def nullable(spec) -> dict:
    """``spec`` or null."""
    return {"anyOf": [schema(spec), {"type": "null"}]}


def shape(props: dict, *, extra: bool = True) -> dict:
    """An object with these keys (each always present unless its name ends with "~")."""
    properties = {name.rstrip("~"): schema(value) for name, value in props.items()}
    required = [name for name in props if not name.endswith("~")]
    out = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        out["required"] = required
    return out


# --- the declaration ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Operation:
    """What one route takes and answers (see :func:`operation`)."""

    summary: str
    tag: str
    answer: dict
    query: type[Query] | None = None
    body: type[Body] | None = None
    body_optional: bool = False
    form: type[Query] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    others: dict = dataclass_field(default_factory=dict)  # status -> (description, schema)
    description: str = ""
    public: bool = False
    roles_note: str = ""


def operation(summary: str, *, tag: str, answer, query=None, body=None, body_optional=False,
              form=None, status=200, errors=(), others=None, description="", public=False,
              roles_note="") -> Callable:
    """Declare a view's contract and validate requests against it (see the module docstring).

    ``answer``: the schema of the success answer (status ``status``); ``errors``: the statuses
    beyond those that follow from the declaration (400 with a query or body, 404 with a path id,
    401/403/429 for every non-public route); ``others``: other answers, ``{status: (text, schema)}``.
    """
    op = Operation(summary=summary, tag=tag, answer=schema(answer), query=query, body=body,
                   body_optional=body_optional, form=form, status=status, errors=tuple(errors),
                   others=dict(others or {}), description=description, public=public,
                   roles_note=roles_note)

    def wrap(view):
        accepts = set(inspect.signature(view).parameters)

        @functools.wraps(view)
        def validated(**path):
            given = {}
            if op.query is not None:
                given["query"] = validate(op.query, query_values(op.query, request.args), "参数")
            if op.form is not None:
                given["form"] = validate(op.form, query_values(op.form, request.form), "表单字段")
            if op.body is not None:
                data = json_body(optional=op.body_optional)
                given["body"] = None if data is None else validate(op.body, data, "字段")
            return view(**path, **{k: v for k, v in given.items() if k in accepts})

        validated.api_operation = op
        return validated
    return wrap


def query_values(model: type[BaseModel], args) -> dict:
    """The declared arguments present in ``args`` (a MultiDict); empty ones count as absent."""
    values = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if _is_list(info.annotation):
            found = [v for v in args.getlist(key) if v != ""]
            if found:
                values[key] = found
        elif args.get(key) not in (None, ""):
            values[key] = args.get(key)
    return values


def _is_list(annotation) -> bool:
    return getattr(annotation, "__origin__", None) is list


def json_body(*, optional: bool = False):
    """The request's JSON object (None when ``optional`` and there is no body); a body that is not
    JSON, not an object, or nests too deeply for the parser is a 400."""
    raw = request.get_data(cache=True)
    if optional and not raw.strip():
        return None
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise ValidationError("请求体的 JSON 嵌套层数太多") from None
    if data is None and raw.strip() and request.is_json:
        raise ValidationError("请求体不是有效的 JSON")
    if not isinstance(data, dict):
        raise ValidationError("请求体应为 JSON 对象")
    return data


def validate(model: type[BaseModel], data: dict, where: str):
    """``model`` validated from ``data``, or a ValidationError naming the first wrong field."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        raise ValidationError(explain(model, error.errors(), where)) from None


def explain(model: type[BaseModel], errors: list[dict], where: str) -> str:
    """A Chinese message for pydantic's errors: unknown fields together, else the first error."""
    unknown = [str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        allowed = "、".join(info.alias or name for name, info in model.model_fields.items())
        return f"{model.unknown}：{'、'.join(unknown)}（可用：{allowed}）"
    first = errors[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    kind = first["type"]
    messages = getattr(model, "messages", {})
    if kind == "missing":
        return messages.get(f"{name}.missing") or f"缺少{where}：{name}{_described(model, name)}"
    if name in messages:
        return messages[name]
    loc = first["loc"]
    tag = next((i for i, part in enumerate(loc) if i and isinstance(part, str)), None)
    wrong = _wrong(kind, first, model.model_fields.get(name))
    if tag is not None:  # a union: say every type it takes
        kinds = [e["type"] for e in errors if e["loc"][:tag] == loc[:tag] and e["type"] in _TYPE_WORDS]
        if kinds:
            wrong = "应为" + "或".join(dict.fromkeys(_TYPE_WORDS[k].removeprefix("应为") for k in kinds))
    where_in = _position(loc)
    return f"{where} {name}{where_in}{'' if where_in else ' '}{wrong}"


def _described(model, name: str) -> str:
    info = model.model_fields.get(name)
    return f"（{info.description}）" if info is not None and info.description else ""


def _position(loc: tuple) -> str:
    # ("case_ids", 2) → "第 3 项"; nested names are joined
    parts = []
    for part in loc[1:]:
        if isinstance(part, int):  # a str part is a union member's tag or a nested name
            parts.append(f" 第 {part + 1} 项")
    return "".join(parts)


_TYPE_WORDS = {"string_type": "应为字符串", "bool_type": "应为 true 或 false",
               "bool_parsing": "应为 true 或 false", "list_type": "应为列表", "dict_type": "应为对象",
               "model_type": "应为对象", "float_type": "应为数字", "float_parsing": "应为数字",
               "string_too_short": "不能为空", "too_short": "不能为空"}


def _wrong(kind: str, error: dict, info) -> str:
    shown = error.get("input")
    text = f"，而不是 {shown!r}" if isinstance(shown, (str, int, float)) and not isinstance(shown, bool) \
        and len(repr(shown)) <= 40 else ""
    if kind.startswith("int_") or kind in ("greater_than_equal", "greater_than", "less_than_equal",
                                           "less_than"):
        return f"应为{_int_words(info)}{text}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"只能是 {expected}{text}"
    if kind == "string_too_long":
        return f"最多 {error.get('ctx', {}).get('max_length')} 个字"
    if kind == "too_long":
        return f"最多 {error.get('ctx', {}).get('max_length')} 项"
    return _TYPE_WORDS.get(kind, "格式不正确") + (text if kind not in _TYPE_WORDS else "")


def _int_words(info) -> str:
    low = high = None
    for rule in getattr(info, "metadata", ()):
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    word = "正整数" if low == 1 else "非负整数" if low == 0 else "整数"
    return f"{low} 到 {high} 的整数" if high is not None and high < MAX_QUERY_NUMBER else word


def declared(view) -> Operation | None:
    """The operation a view declared (None: not declared)."""
    return getattr(view, "api_operation", None)
