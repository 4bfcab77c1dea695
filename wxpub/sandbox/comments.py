"""Comment management (留言, wechat-api.md §0a.8): ``POST /cgi-bin/comment/<name>`` and the
``/sandbox/comments`` control endpoint. Records and synthetic comments: ``comment_store.py``.

Checked in this order: account verification lapsed (``verify_expired`` pushed) → 48001; body
(44002/40033/47001); unknown ``msg_data_id`` or ``index`` (0-based) out of range or not an integer →
88001; comments not open (every name but ``open``) → 88000; then per name (see README.md).
88002 (article restricted for safety) only when forced through ``/sandbox/errors``.
"""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, Response, request

from wxpub.sandbox import comment_store as cs
from wxpub.sandbox.control import ControlError, only_from_this_machine
from wxpub.sandbox.jobs import finish_due_jobs
from wxpub.sandbox.state import SandboxState
from wxpub.sandbox.wire import ERRMSG, WeChatError, json_body, make_json, wechat_endpoint
from wxpub.sandbox.wire import state as current_state

bp = Blueprint("sandbox_comments", __name__)
control_bp = Blueprint("sandbox_comments_control", __name__)
control_bp.before_request(only_from_this_machine)
REPLY_LIMIT = 600
LIST_COUNT = (1, 49)
OK = {"errcode": 0, "errmsg": "ok"}


@control_bp.errorhandler(ControlError)
def _control_error(exc: ControlError) -> Response:
    return make_json({"error": "bad_request", "message": str(exc)}, status=400)


def _int(value: object, errcode: int, name: str) -> int:
    if isinstance(value, bool):
        raise WeChatError(errcode, f"{_message(errcode)} hint: [{name}]")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise WeChatError(errcode, f"{_message(errcode)} hint: [{name}]")


def _message(errcode: int) -> str:
    return ERRMSG.get(errcode, "error")


def _now(st: SandboxState) -> int:
    return int(st.now().timestamp())


def _section(st: SandboxState, body: dict) -> cs.ArticleComments:
    raw = body.get("msg_data_id")
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).strip().isdigit():
        raise WeChatError(88001, "msg_data_id is invalid hint: [msg_data_id]")
    index = _int(body.get("index", 0), 88001, "index")
    section = cs.section_of(st, raw, index)
    if section is None:
        raise WeChatError(88001, f"msg_data_id is invalid hint: [{raw} index {index}]")
    return section


def _comment(st: SandboxState, section: cs.ArticleComments, body: dict) -> cs.Comment:
    try:
        uid = _int(body.get("user_comment_id"), 88008, "user_comment_id")
    except WeChatError:
        raise WeChatError(88008, "comment is not exists hint: [user_comment_id]") from None
    comment = section.find(uid, _now(st))
    if comment is None:
        raise WeChatError(88008, f"comment is not exists hint: [{uid}]")
    return comment


def _open(st: SandboxState, section: cs.ArticleComments, body: dict) -> dict:
    section.open = True
    return dict(OK)


def _close(st: SandboxState, section: cs.ArticleComments, body: dict) -> dict:
    section.open = False
    return dict(OK)


def _list(st: SandboxState, section: cs.ArticleComments, body: dict) -> dict:
    begin = _int(body.get("begin", 0), 47001, "begin")
    if begin < 0:
        raise WeChatError(47001, "data format error hint: [begin >= 0]")
    count = _int(body.get("count", 0), 88010, "count")
    if not LIST_COUNT[0] <= count <= LIST_COUNT[1]:
        raise WeChatError(88010, f"count range error hint: [count {count}, 1..49]")
    kind = _int(body.get("type", 0), 47001, "type")
    if kind not in (0, 1, 2):
        raise WeChatError(47001, "data format error hint: [type 0, 1 or 2]")
    now = _now(st)
    matching = [c for c in sorted(section.comments, key=lambda c: c.user_comment_id)
                if not c.deleted and c.create_time <= now
                and (kind == 0 or (kind == 2) == c.elected)]
    return {**OK, "total": len(matching),
            "comment": [cs.api_view(c) for c in matching[begin:begin + count]]}


def _markelect(st: SandboxState, section: cs.ArticleComments, body: dict) -> dict:
    _comment(st, section, body).elected = True
    return dict(OK)


def _unmarkelect(st: SandboxState, section: cs.ArticleComments, body: dict) -> dict:
    _comment(st, section, body).elected = False
    return dict(OK)


def _delete(st: SandboxState, section: cs.ArticleComments, body: dict) -> dict:
    _comment(st, section, body).deleted = True
    return dict(OK)


def _reply_add(st: SandboxState, section: cs.ArticleComments, body: dict) -> dict:
    comment = _comment(st, section, body)
    comment.reply_calls += 1
    content = body.get("content")
    if not isinstance(content, str) or not content.strip() or len(content) > REPLY_LIMIT:
        raise WeChatError(88007)
    if comment.reply is not None:
        raise WeChatError(88005)
    comment.replies.append(cs.Reply(content=content, create_time=_now(st)))
    return dict(OK)


def _reply_delete(st: SandboxState, section: cs.ArticleComments, body: dict) -> dict:
    comment = _comment(st, section, body)
    if comment.reply is not None:
        comment.reply.deleted = True
    return dict(OK)


HANDLERS: dict[str, Callable[[SandboxState, cs.ArticleComments, dict], dict]] = {
    "open": _open, "close": _close, "list": _list, "markelect": _markelect,
    "unmarkelect": _unmarkelect, "delete": _delete, "reply/add": _reply_add,
    "reply/delete": _reply_delete,
}
NAMES = tuple(HANDLERS)


def _handle(st: SandboxState, name: str) -> dict:
    if not st.verified():
        raise WeChatError(48001, "api unauthorized hint: [account verification expired]")
    body = json_body()
    finish_due_jobs(st)  # an article whose job is due is public now
    with st.lock:
        section = _section(st, body)
        if name != "open" and not section.open:
            raise WeChatError(88000)
        return HANDLERS[name](st, section, body)


def _register(name: str) -> None:
    def view(st: SandboxState) -> dict:
        return _handle(st, name)

    view.__name__ = "comment_" + name.replace("/", "_")
    view.__doc__ = f"POST /cgi-bin/comment/{name}"
    wechat_endpoint(bp, f"/cgi-bin/comment/{name}")(view)


for _name in NAMES:
    _register(_name)


# ----- control ---------------------------------------------------------------------------------

def _control_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ControlError("请求体须为 JSON 对象")
    return data


def _control_index(value: object) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise ControlError(f"index 须为不小于 0 的整数（文章在本次发表中的序号，从 0 开始），收到 {value!r}")
    return int(value)


@control_bp.route("/sandbox/comments", methods=["GET", "POST"])
def sandbox_comments() -> Response:
    """GET: every comment section (``?msg_data_id=&index=`` filter); POST: add a reader comment."""
    st = current_state()
    finish_due_jobs(st)
    now = _now(st)
    if request.method == "GET":
        msg_data_id, index = request.args.get("msg_data_id"), request.args.get("index")
        index = None if index in (None, "") else _control_index(index)
        with st.lock:
            sections = [s for s in st.comments.values()
                        if (not msg_data_id or s.msg_data_id == msg_data_id.strip())
                        and (index is None or s.index == index)]
            return make_json({"articles": [cs.section_record(s, now) for s in sections]})
    body = _control_body()
    index = _control_index(body.get("index", 0))
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ControlError("content 须为非空的留言内容")
    openid = body.get("openid")
    if openid is not None and (not isinstance(openid, str) or not openid.strip()):
        raise ControlError(f"openid 须为非空字符串，收到 {openid!r}")
    create_time = body.get("create_time", now)
    if isinstance(create_time, bool) or not isinstance(create_time, int) or create_time <= 0:
        raise ControlError(f"create_time 须为正整数（Unix 秒），收到 {create_time!r}")
    with st.lock:
        section = cs.section_of(st, body.get("msg_data_id"), index)
        if section is None:
            return make_json({"error": "not_found", "message":
                              f"没有这篇已发表的文章：msg_data_id={body.get('msg_data_id')!r}，index={index}"
                              "（index 从 0 开始）"}, status=404)
        comment = cs.add_comment(st, section, content, openid, create_time)
        return make_json(cs.record(comment, now))
