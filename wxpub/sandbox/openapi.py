"""``openapi/quota/get`` and ``openapi/rid/get`` (wechat-api.md §0a.5, §0a.7, §8) and their control
endpoints ``/sandbox/quota`` and ``/sandbox/rids``. Counting and the rid record: ``usage.py``; per-minute
limits (45011): ``rates.py``.

quota/get: ``cgi_path`` must be a path the sandbox emulates under ``/cgi-bin/`` or ``/datacube/``
(else 76021). rid/get: a rid registered as foreign → 76002; unknown → 76001; kept more than 7
days (sandbox time) → 76003.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from wxpub.sandbox import rates, usage
from wxpub.sandbox.control import ControlError, only_from_this_machine
from wxpub.sandbox.datacube import KNOWN_NAMES
from wxpub.sandbox.state import SandboxState
from wxpub.sandbox.wire import WeChatError, json_body, make_json, state as current_state, wechat_endpoint

bp = Blueprint("sandbox_openapi", __name__)
control_bp = Blueprint("sandbox_openapi_control", __name__)
control_bp.before_request(only_from_this_machine)
PREFIXES = ("/cgi-bin/", "/datacube/")
RID_FIELDS = ("invoke_time", "cost_in_ms", "request_url", "request_body", "response_body", "client_ip")


@control_bp.errorhandler(ControlError)
def _control_error(exc: ControlError) -> Response:
    return make_json({"error": "bad_request", "message": str(exc)}, status=400)


def known_path(path: object) -> bool:
    """True for a path the sandbox emulates (``/cgi-bin/…`` or ``/datacube/<known name>``)."""
    if not isinstance(path, str) or not path.startswith(PREFIXES) or "?" in path:
        return False
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path, method="POST")
    except HTTPException:
        return False
    if endpoint.startswith("sandbox_control."):  # the image route matches /<folder>/<id>/0
        return False
    if path.startswith("/datacube/"):
        return args.get("name") in KNOWN_NAMES
    return True


def quota_answer(state: SandboxState, path: str) -> dict:
    """The quota/get answer for a known path."""
    row = usage.quota_row(state, path)
    return {"errcode": 0, "errmsg": "ok",
            "quota": {"daily_limit": row["daily_limit"], "used": row["used"], "remain": row["remain"]},
            "rate_limit": rates.rate_answer(state, path)}


@wechat_endpoint(bp, "/cgi-bin/openapi/quota/get")
def quota_get(state: SandboxState) -> dict:
    """Today's (Beijing, sandbox time) limit and use of one API."""
    path = json_body().get("cgi_path")
    if not known_path(path):
        raise WeChatError(76021, f"cgi_path not found, please check hint: [{path!r}]")
    return quota_answer(state, path)


@wechat_endpoint(bp, "/cgi-bin/openapi/rid/get")
def rid_get(state: SandboxState) -> dict:
    """The request and answer an error's rid was sent with (kept 7 days)."""
    rid = json_body().get("rid")
    rid = rid.strip() if isinstance(rid, str) else ""
    with state.lock:
        if rid in state.foreign_rids or state.rid_of_other_account(rid):
            raise WeChatError(76002)
        record = state.rids.get(rid)
        if record is None:
            raise WeChatError(76001)
        if usage.rid_age(state, record) > usage.RID_KEEP:
            raise WeChatError(76003)
        return {"errcode": 0, "errmsg": "ok", "request": {k: record[k] for k in RID_FIELDS}}


# ----- control ---------------------------------------------------------------------------------

def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ControlError("请求体须为 JSON 对象")
    return data


def _count(body: dict, key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ControlError(f"{key} 须为不小于 0 的整数，收到 {value!r}")
    return value


def _minute_limit(body: dict) -> int | None:
    value = body["minute_limit"]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ControlError(f"minute_limit 须为不小于 0 的整数（每分钟调用次数；null 表示恢复默认），收到 {value!r}")
    return value


@control_bp.route("/sandbox/quota", methods=["GET", "POST"])
def sandbox_quota() -> Response:
    """GET: today's and this minute's use per path; POST ``{"cgi_path", "daily_limit"?, "used"?,
    "minute_limit"?}``: set (and enforce); ``"minute_limit": null`` goes back to the default."""
    st = current_state()
    if request.method == "POST":
        body = _body()
        path = body.get("cgi_path")
        if not known_path(path):
            raise ControlError(f"cgi_path 无效：{path!r}，须为沙箱模拟的接口路径，如 /cgi-bin/draft/add "
                               "或 /datacube/getarticleread")
        limit, used = _count(body, "daily_limit"), _count(body, "used")
        minute_given = "minute_limit" in body
        per_minute = _minute_limit(body) if minute_given else None
        with st.lock:
            if limit is not None:
                st.quota_limits[path] = limit
            if used is not None:
                usage.set_used(st, path, used)
            if minute_given:
                rates.set_minute_limit(st, path, per_minute)
            return make_json(rates.quota_row(st, path))
    return make_json({"date": usage.today(st), "paths": rates.quota_rows(st)})


@control_bp.route("/sandbox/rids", methods=["GET", "POST"])
def sandbox_rids() -> Response:
    """GET: every kept rid; POST ``{"rid", "foreign": true}``: a rid of another account (76002)."""
    st = current_state()
    if request.method == "POST":
        body = _body()
        rid = body.get("rid")
        if not isinstance(rid, str) or not rid.strip():
            raise ControlError("rid 须为非空字符串")
        foreign = body.get("foreign", True)
        if not isinstance(foreign, bool):
            raise ControlError(f"foreign 须为 true 或 false，收到 {foreign!r}")
        with st.lock:
            (st.foreign_rids.add if foreign else st.foreign_rids.discard)(rid.strip())
        return make_json({"rid": rid.strip(), "foreign": foreign})
    with st.lock:
        return make_json({"rids": [dict(r) for r in st.rids.values()],
                          "foreign": sorted(st.foreign_rids)})
