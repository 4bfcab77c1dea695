"""Control endpoints under /sandbox/ for tests, demos and training — never faulted, never logged.

Errors here answer HTTP 400 `{"error": code, "message": Chinese text}` (they are ours, not WeChat's).

They have no login, so they must not be reachable from a web page that happens to be open in a
trainee's browser: a request carrying an `Origin` other than the sandbox's own is refused (403),
so is one whose `Host` is not this machine (DNS rebinding), and a POST must be
`Content-Type: application/json` (415) — which a page cannot send cross-origin without a CORS
preflight, which the sandbox never grants. Secrets are masked in `GET /sandbox`.
"""
from __future__ import annotations

import functools
import socket
from dataclasses import asdict
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, request

from wxpub.sandbox.config import callback_url_problem, is_loopback
from wxpub.sandbox.jobs import finish_due_jobs
from wxpub.sandbox.state import SandboxState
from wxpub.sandbox.wire import ERRMSG, make_json, state

bp = Blueprint("sandbox_control", __name__)

PUBLISH_FAILURES = (2, 3, 4)
IMAGE_FOLDERS = {"mmbiz", "mmbiz_jpg", "mmbiz_png", "mmbiz_gif"}


class ControlError(Exception):
    """Bad input to a control endpoint; the message is for staff (Chinese)."""


@bp.errorhandler(ControlError)
def _control_error(exc: ControlError) -> Response:
    return make_json({"error": "bad_request", "message": str(exc)}, status=400)


@bp.before_app_request
def choose_account() -> Response | None:
    """Every request starts on the first account. A WeChat call switches by its access token (or
    the appid of a token fetch); a control call by ``?appid=`` or ``"appid"`` in its JSON body."""
    st = state()
    st.select(None)
    if not (request.path == "/sandbox" or request.path.startswith("/sandbox/")):
        return None
    refused = only_from_this_machine()  # first: a foreign page learns nothing, not even the appids
    if refused is not None:
        return refused
    appid = request.args.get("appid")
    if appid is None and request.method == "POST":
        data = request.get_json(silent=True)
        appid = data.get("appid") if isinstance(data, dict) else None
    if appid is None:
        return None
    if appid not in st.accounts:
        known = "、".join(f"{a.config.appid}（{a.name}）" for a in st.accounts.values())
        return make_json({"error": "unknown_account", "message":
                          f"appid 无效：沙箱中没有 AppID 为“{appid}”的公众号；现有：{known}"}, status=400)
    st.select(appid)
    return None


def account_summary(st: SandboxState) -> list[dict]:
    """Every emulated account, secrets masked (``GET /sandbox/accounts``)."""
    rows = []
    with st.lock:
        for appid, account in st.accounts.items():
            cfg = account.config
            with st.using(appid):
                rows.append({"name": account.name, "appid": appid, "secret": cfg.masked_secret,
                             "account_type": cfg.account_type, "token": cfg.masked_token,
                             "aes_key": cfg.masked_aes_key, "callback_url": account.callback_url,
                             "gh_id": st.gh_id(), "verified": st.verified(),
                             "drafts": len(account.drafts), "published": len(account.published)})
    return rows


@bp.get("/sandbox/accounts")
def accounts() -> Response:
    """The emulated official accounts, the first being the default of every control call."""
    return make_json({"accounts": account_summary(state())})


@bp.before_request
def only_from_this_machine() -> Response | None:
    """Refuse control requests a foreign web page could make (see the module docstring); other
    blueprints with /sandbox/ pages (``preview.py``) install it too."""
    if not (request.path == "/sandbox" or request.path.startswith("/sandbox/")):
        return None  # the image route: <img> tags of previews load it from any page
    cfg = state().config
    if not _own_host(request.host, cfg.host):
        return make_json({"error": "forbidden", "message":
                          f"控制接口只接受以本机地址访问的请求（Host: {request.host}），已拒绝"}, status=403)
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/").lower() != request.host_url.rstrip("/").lower():
        return make_json({"error": "forbidden", "message":
                          f"控制接口不接受来自其他网页（Origin: {origin}）的请求，已拒绝"}, status=403)
    if request.method == "POST" and request.mimetype != "application/json":
        return make_json({"error": "unsupported_media_type", "message":
                          "控制接口只接受 Content-Type: application/json 的请求体"}, status=415)
    return None


def _own_host(host_header: str, configured: str) -> bool:
    """The Host header names this machine: an IP address, localhost, the configured --host or
    this machine's own name — not some other domain that was made to resolve here."""
    try:
        name = (urlsplit(f"//{host_header}").hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if not name:
        return False
    if is_loopback(name) or _is_ip(name):
        return True
    return name in _machine_names() or name == configured.strip("[]").rstrip(".").lower()


def _is_ip(name: str) -> bool:
    import ipaddress
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _machine_names() -> frozenset[str]:
    names = {socket.gethostname()}
    try:
        names.add(socket.getfqdn())
    except OSError:  # pragma: no cover - resolver trouble: the short name still works
        pass
    return frozenset(n.rstrip(".").lower() for n in names if n)


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None and request.get_data().strip():
        raise ControlError("请求体不是合法的 JSON")
    if data is not None and not isinstance(data, dict):
        raise ControlError("请求体须为 JSON 对象")
    return data or {}


def _count(body: dict) -> int:
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ControlError(f"count 须为正整数，收到 {count!r}")
    return count


def _clock(st: SandboxState) -> dict:
    return {"now": st.now().isoformat(), "now_shanghai": st.local_now().isoformat(),
            "offset_seconds": st.offset.total_seconds()}


@bp.get("/sandbox")
def summary() -> Response:
    """Settings (secret masked) and how many of each thing the sandbox holds."""
    st = state()
    cfg = st.config
    with st.lock:
        return make_json({
            "account": st.account.name, "accounts": [a.config.appid for a in st.accounts.values()],
            "appid": cfg.appid, "secret": cfg.masked_secret, "token": cfg.masked_token,
            "aes_key": cfg.masked_aes_key,
            "account_type": cfg.account_type, "publish_delay": cfg.publish_delay,
            "fault_rate": st.fault_rate, "callback_url": st.callback_url, "gh_id": st.gh_id(),
            "clock": _clock(st), "drafts": len(st.drafts), "materials": len(st.materials),
            "jobs": len(st.jobs), "published": len(st.published), "calls": len(st.calls),
            "previews": len(st.previews), "followers": len(st.followers)})


@bp.get("/sandbox/calls")
def calls() -> Response:
    """The WeChat call log (all accounts), oldest first; `?path=/cgi-bin/draft/add` and
    `?appid=` filter."""
    st = state()
    path, appid = request.args.get("path"), request.args.get("appid")
    with st.lock:
        entries = [dict(c) for c in st.calls if (not path or c["path"] == path)
                   and (not appid or c.get("appid") == appid)]
    return make_json(entries)  # type: ignore[arg-type]


@bp.post("/sandbox/calls/clear")
def clear_calls() -> Response:
    """Empty the call log."""
    st = state()
    with st.lock:
        st.calls.clear()
    return make_json({"ok": True})


@bp.route("/sandbox/clock", methods=["GET", "POST"])
def clock() -> Response:
    """Show the sandbox time, or move it forward by advance_days / advance_seconds."""
    st = state()
    if request.method == "POST":
        body = _body()
        seconds = 0.0
        for key, factor in (("advance_days", 86400), ("advance_seconds", 1)):
            value = body.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ControlError(f"{key} 须为不小于 0 的数字，收到 {value!r}（沙箱时钟只能向前）")
            seconds += value * factor
        st.advance(seconds)
        finish_due_jobs(st)
    return make_json(_clock(st))


@bp.route("/sandbox/faults", methods=["GET", "POST"])
def faults() -> Response:
    """Set the random fault rate/kinds, or force a fault on the next calls to a path."""
    st = state()
    if request.method == "POST":
        body = _body()
        with st.lock:
            if "rate" in body:
                rate = body["rate"]
                if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                    raise ControlError(f"rate 须在 0 到 1 之间，收到 {rate!r}")
                st.fault_rate = float(rate)
            if "kinds" in body:
                kinds = body["kinds"]
                if not kinds or not all(k in ("busy", "http502", "slow", "reset") for k in kinds):
                    raise ControlError("kinds 只能取 busy、http502、slow、reset")
                st.fault_kinds = list(kinds)
            if "force" in body:
                if body["force"] not in ("busy", "http502", "slow", "reset"):
                    raise ControlError("force 只能取 busy、http502、slow、reset")
                st.forced_faults.append({"path": body.get("path", "*"), "kind": body["force"],
                                         "count": _count(body)})
    with st.lock:
        return make_json({"rate": st.fault_rate, "kinds": st.fault_kinds,
                          "forced": [dict(f) for f in st.forced_faults]})


@bp.route("/sandbox/errors", methods=["GET", "POST"])
def errors() -> Response:
    """Force `errcode` on the next `count` calls to `path` ("*" = any WeChat call)."""
    st = state()
    if request.method == "POST":
        body = _body()
        with st.lock:
            if body.get("clear"):
                st.forced_errors.clear()
            else:
                code = body.get("errcode")
                if isinstance(code, bool) or not isinstance(code, int) or code == 0:
                    raise ControlError(f"errcode 须为非 0 整数，收到 {code!r}")
                st.forced_errors.append({"path": body.get("path", "*"), "errcode": code,
                                         "errmsg": body.get("errmsg") or ERRMSG.get(code),
                                         "count": _count(body)})
    with st.lock:
        return make_json({"forced": [dict(e) for e in st.forced_errors]})


@bp.route("/sandbox/outcomes", methods=["GET", "POST"])
def outcomes() -> Response:
    """Make the next publish jobs (publish_status 2|3|4) or mass sends (mass_status) fail."""
    st = state()
    if request.method == "POST":
        body = _body()
        count = _count(body)
        with st.lock:
            if "publish_status" in body:
                status = body["publish_status"]
                if status not in PUBLISH_FAILURES:
                    raise ControlError(f"publish_status 只能是 2、3 或 4，收到 {status!r}")
                fail_idx = body.get("fail_idx", [1] if status in (2, 4) else [])
                st.outcomes["freepublish"] += [{"publish_status": status, "fail_idx": fail_idx}] * count
            elif "mass_status" in body:
                text = body["mass_status"]
                if not isinstance(text, str) or not (text == "send fail" or text.startswith("err(")):
                    raise ControlError("mass_status 须为 “send fail” 或 “err(N)”，如 err(20001)")
                st.outcomes["mass"] += [{"status_text": text}] * count
            else:
                raise ControlError("须给出 publish_status 或 mass_status")
    with st.lock:
        return make_json({k: [dict(o) for o in v] for k, v in st.outcomes.items()})


@bp.get("/sandbox/published")
def published() -> Response:
    """Every published article (freepublish and mass send) as the datacube module sees them."""
    rows = []
    for article in state().published_articles():
        row = asdict(article)
        row["published_at"] = article.published_at.isoformat()
        rows.append(row)
    return make_json(rows)  # type: ignore[arg-type]


@bp.get("/sandbox/events")
def events() -> Response:
    """Job-finished events: plaintext XML, the encrypted body, query and delivery attempts."""
    st = state()
    finish_due_jobs(st)
    with st.lock:
        return make_json([{**e, "attempts": list(e["attempts"])} for e in st.events])  # type: ignore[arg-type]


@bp.post("/sandbox/callback")
def callback() -> Response:
    """Change the callback URL at run time ("" stops pushing events); loopback or allowed hosts only."""
    st = state()
    url = _body().get("url", "")
    if url:
        problem = callback_url_problem(url, st.config.allowed_callback_hosts)
        if problem:
            raise ControlError(f"url 无效：{url!r}，{problem}")
    with st.lock:
        st.callback_url = url
    return make_json({"callback_url": url})


@bp.post("/sandbox/reset")
def reset() -> Response:
    """Forget all state, as a restart would."""
    state().reset()
    return make_json({"ok": True})


@bp.get("/<folder>/<ident>/0")
def image(folder: str, ident: str) -> Response:
    """Serve an uploaded image under its mmbiz path, so previews can show it."""
    if folder not in IMAGE_FOLDERS:
        abort(404)
    st = state()
    with st.lock:
        for item in (m for a in st.accounts.values() for m in a.materials.values()):
            if item.url and f"/{folder}/{ident}/0" in item.url:
                return Response(item.data, content_type=f"image/{item.fmt}")
    abort(404)
