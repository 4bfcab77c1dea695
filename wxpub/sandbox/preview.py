"""Preview (预览, reference §5.2): ``message/mass/preview`` sends a draft to one follower's phone, and
the sandbox shows what it "delivered".

WeChat side: ``{"towxname": 微信号 | "touser": openid, "msgtype": "mpnews", "mpnews": {"media_id"}}``
→ ``{"errcode": 0, "errmsg": "preview success", "msg_id": N}``; ``towxname`` wins when both are
given; previews by 微信号 are limited to ``preview_limit`` (100) per Beijing day of sandbox time for
the account ("该能力每日调用次数有限制（100次）" — the official preview page counts the capability's
calls, not calls per 微信号); openid previews are not counted; no mass-send quota is used and the
draft stays in the box. Codes, in the order checked (meanings from the official 全局返回码 table;
the English errmsg of 40132 is the sandbox's wording):

* 40008 msgtype other than mpnews (the sandbox emulates mpnews only)
* 40003 neither ``towxname`` nor ``touser``; a ``touser`` that is not an openid (28 characters)
* 40132 ``towxname`` not a 微信号 (6–20 characters, a letter first, letters/digits/_/-) or not one
  the sandbox knows (微信号不合法)
* 45009 the day's previews by 微信号 are used up (``reach max api daily quota limit``, what callers
  of preview report)
* 43004 a known follower who unfollowed (需要接收者关注)
* 40007 ``media_id`` is not a draft in the box

Sandbox choice: a well-formed openid the sandbox does not know counts as a follower (the sandbox
cannot know an account's openids); 微信号 must be known: ``SandboxConfig.followers`` (five by
default) and those added with ``POST /sandbox/followers``. Names match case-insensitively.

Control side (never faulted, never in the call log, same guard as ``control.py``):
``GET /sandbox/previews[?wxname=]`` (JSON: the day's count and every preview with the articles as
sent), ``GET /sandbox/previews.html[?wxname=]`` (each preview as the phone shows it),
``GET /sandbox/followers``, ``POST /sandbox/followers {"wxname", "nickname"?, "subscribed"?}``.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask import Blueprint, Response, request
from markupsafe import Markup, escape

from wxpub.sandbox.config import WXNAME_RE
from wxpub.sandbox.control import ControlError, only_from_this_machine
from wxpub.sandbox.draft import find_draft, news_items
from wxpub.sandbox.mass import media_id_of
from wxpub.sandbox.state import SHANGHAI, Follower, SandboxState
from wxpub.sandbox.wire import WeChatError, json_body, make_json, state, wechat_endpoint

bp = Blueprint("sandbox_preview", __name__)
bp.before_request(only_from_this_machine)

_OPENID = re.compile(r"^[A-Za-z0-9_-]{28}$")
_MMBIZ = re.compile(r"https?://mmbiz\.qpic\.cn/")


@bp.errorhandler(ControlError)
def _control_error(exc: ControlError) -> Response:
    return make_json({"error": "bad_request", "message": str(exc)}, status=400)


def _used_today(st: SandboxState) -> int:
    today = st.local_now().date()
    return sum(1 for p in st.previews
               if p["by"] == "towxname" and p["_at"].astimezone(SHANGHAI).date() == today)


def _recipient(st: SandboxState, body: dict) -> tuple[str, dict]:
    """("towxname" | "touser", the recipient) or the WeChatError of a bad one."""
    towxname, touser = body.get("towxname"), body.get("touser")
    if not towxname and not touser:
        raise WeChatError(40003, "invalid openid hint: [touser or towxname required]")
    if towxname:
        if not isinstance(towxname, str) or not WXNAME_RE.match(towxname):
            raise WeChatError(40132, "invalid weixin name hint: [6-20 chars, a letter first, "
                                     "letters, digits, _ or -]")
        with st.lock:
            if _used_today(st) >= st.config.preview_limit:
                raise WeChatError(45009, "reach max api daily quota limit hint: [preview by "
                                         f"towxname: {st.config.preview_limit} per day]")
        follower = st.follower(wxname=towxname)
        if follower is None:
            raise WeChatError(40132, f"invalid weixin name hint: [{towxname} is not a follower the "
                                     "sandbox knows, see /sandbox/followers]")
        if not follower.subscribed:
            raise WeChatError(43004)
        return "towxname", _follower_json(follower)
    if not isinstance(touser, str) or not _OPENID.match(touser):
        raise WeChatError(40003)
    follower = st.follower(openid=touser)
    if follower is not None and not follower.subscribed:
        raise WeChatError(43004)
    return "touser", _follower_json(follower) if follower else {"wxname": None, "openid": touser,
                                                                 "nickname": ""}


def _follower_json(follower: Follower) -> dict:
    return {"wxname": follower.wxname, "openid": follower.openid, "nickname": follower.nickname}


@wechat_endpoint(bp, "/cgi-bin/message/mass/preview")
def preview(st: SandboxState) -> dict:
    """Send a draft to one follower for checking; uses no mass quota and keeps the draft."""
    body = json_body()
    media_id = media_id_of(body)
    by, recipient = _recipient(st, body)
    draft = find_draft(st, media_id)
    with st.lock:
        if st.drafts.get(draft.media_id) is not draft:
            raise WeChatError(40007)
        if by == "towxname" and _used_today(st) >= st.config.preview_limit:
            raise WeChatError(45009)  # another request took the last one meanwhile
        articles = news_items(st, draft)
        for article in articles:
            thumb = st.materials.get(article.get("thumb_media_id") or "")
            article["thumb_url"] = thumb.url if thumb is not None else ""
        now = st.now()
        msg_id = st.next_number()
        st.previews.append({"msg_id": msg_id, "_at": now, "by": by, "recipient": recipient,
                            "towxname": body.get("towxname") or None,
                            "touser": body.get("touser") or None,
                            "media_id": draft.media_id, "articles": articles})
    return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}


def _public(record: dict) -> dict:
    at: datetime = record["_at"]
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    out["time"] = at.isoformat()
    out["time_shanghai"] = at.astimezone(SHANGHAI).isoformat()
    out["articles"] = [dict(a) for a in record["articles"]]
    return out


def _selected(st: SandboxState) -> list[dict]:
    wanted = (request.args.get("wxname") or "").lower()
    with st.lock:
        return [_public(p) for p in st.previews
                if not wanted or (p["recipient"].get("wxname") or "").lower() == wanted]


@bp.get("/sandbox/previews")
def previews() -> Response:
    """Every preview delivered, oldest first (``?wxname=`` filters), and the day's count."""
    st = state()
    with st.lock:
        today = {"date": st.local_now().date().isoformat(), "used": _used_today(st),
                 "limit": st.config.preview_limit}
    return make_json({"today": today, "previews": _selected(st)})


@bp.route("/sandbox/followers", methods=["GET", "POST"])
def followers() -> Response:
    """The followers known by 微信号; POST adds or changes one (``subscribed: false`` = unfollowed)."""
    st = state()
    if request.method == "POST":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ControlError("请求体须为 JSON 对象，如 {\"wxname\": \"zhangsan2026\"}")
        name, nickname = body.get("wxname"), body.get("nickname", "")
        if not isinstance(name, str) or not WXNAME_RE.match(name):
            raise ControlError(f"wxname 无效：{name!r}，微信号须为 6–20 个字符，字母开头，只含字母、数字、_ 或 -")
        if not isinstance(nickname, str) or len(nickname) > 40:
            raise ControlError("nickname 须为不超过 40 个字的文字")
        subscribed = body.get("subscribed", True)
        if not isinstance(subscribed, bool):
            raise ControlError(f"subscribed 须为 true 或 false，收到 {subscribed!r}")
        return make_json({**_follower_json(st.add_follower(name, nickname, subscribed)),
                          "subscribed": subscribed})
    with st.lock:
        rows = [{**_follower_json(f), "subscribed": f.subscribed} for f in st.followers.values()]
    return make_json(rows)  # type: ignore[arg-type]


# ----- the phone view --------------------------------------------------------------------------

PAGE_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")

_STYLE = """
body{margin:0;background:#ededed;font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:#222}
header{background:#2e2e2e;color:#fff;padding:.7rem 1rem}
header h1{font-size:1.1rem;margin:0}
header p{margin:.3rem 0 0;font-size:.85rem;color:#ccc}
main{max-width:60rem;margin:0 auto;padding:1rem .6rem}
.sent{margin:0 0 2rem}
.meta{font-size:.9rem;color:#555;margin:.2rem auto .6rem;max-width:375px;overflow-wrap:anywhere}
details.pages>summary{cursor:pointer;padding:.6rem .8rem;background:#fff;border-top:8px solid #ededed;color:#576b95}
.phone{max-width:375px;margin:0 auto;background:#f7f7f7;border:1px solid #ccc;border-radius:14px;overflow:hidden}
.chat{padding:.8rem .6rem}
.chat time{display:block;text-align:center;font-size:.75rem;color:#999;margin-bottom:.5rem}
.card{background:#fff;border-radius:6px;overflow:hidden}
.lead{position:relative;display:block}
.lead img{display:block;width:100%;aspect-ratio:2.35/1;object-fit:cover;background:#ddd}
.lead span{position:absolute;left:0;right:0;bottom:0;padding:.5rem .7rem;color:#fff;
  background:linear-gradient(transparent,rgba(0,0,0,.65));font-size:1rem;line-height:1.4}
.row{display:flex;gap:.6rem;align-items:center;padding:.6rem .7rem;border-top:1px solid #eee;color:#222;text-decoration:none}
.row span{flex:1;font-size:.95rem;line-height:1.4}
.row img{width:3.4rem;height:3.4rem;object-fit:cover;background:#ddd;flex:none}
.article{background:#fff;padding:1.2rem 1rem 2rem;border-top:8px solid #ededed}
.article h2{font-size:1.35rem;line-height:1.4;margin:0 0 .6rem}
.article .by{font-size:.85rem;color:#888;margin:0 0 1rem}
.article .body{overflow-wrap:anywhere;line-height:1.75}
.article .body img{max-width:100%!important;height:auto!important}
.article .source{font-size:.85rem;color:#576b95;margin-top:1.2rem;overflow-wrap:anywhere}
.empty{background:#fff;padding:1rem;border-radius:6px}
"""


def _local_images(html: str) -> Markup:
    """WeChat's image host → this sandbox, which serves the uploaded bytes at the same paths."""
    return Markup(_MMBIZ.sub("/", html))  # noqa: S704 - content was cleaned at draft/add


def _phone(record: dict, open_pages: bool) -> str:
    at = datetime.fromisoformat(record["time_shanghai"])
    arts = record["articles"]
    first, rest = arts[0], arts[1:]
    card = [f'<div class="card"><a class="lead" href="#m{record["msg_id"]}-1">'
            f'<img alt="" src="{_local_images(escape(first.get("thumb_url", "")))}">'
            f'<span>{escape(first["title"])}</span></a>']
    for n, art in enumerate(rest, start=2):
        card.append(f'<a class="row" href="#m{record["msg_id"]}-{n}"><span>{escape(art["title"])}</span>'
                    f'<img alt="" src="{_local_images(escape(art.get("thumb_url", "")))}"></a>')
    card.append("</div>")
    pages = []
    for n, art in enumerate(arts, start=1):
        author = f"{escape(art.get('author') or '')} " if art.get("author") else ""
        source = (f'<p class="source">阅读原文：{escape(art["content_source_url"])}</p>'
                  if art.get("content_source_url") else "")
        pages.append(f'<article class="article" id="m{record["msg_id"]}-{n}">'
                     f'<h2>{escape(art["title"])}</h2>'
                     f'<p class="by">{author}{at:%Y年%m月%d日}</p>'
                     f'<div class="body">{_local_images(art.get("content", ""))}</div>{source}</article>')
    return (f'<div class="phone"><div class="chat"><time>{at:%m月%d日 %H:%M}</time>{"".join(card)}</div>'
            f'<details class="pages"{" open" if open_pages else ""}><summary>文章页面（{len(arts)} 篇）</summary>'
            f'{"".join(pages)}</details></div>')


@bp.get("/sandbox/previews.html")
def previews_page() -> Response:
    """Each preview, newest first, as the recipient's phone shows it: the message card in the chat,
    then every article's page."""
    st = state()
    rows = list(reversed(_selected(st)))
    blocks = []
    for n, record in enumerate(rows):
        who = record["recipient"]
        nick = f"（{escape(who['nickname'])}）" if who.get("nickname") not in ("", who.get("wxname")) else ""
        name = f"微信号 {escape(who['wxname'])}{nick}" if who.get("wxname") else f"openid {escape(who['openid'])}"
        at = datetime.fromisoformat(record["time_shanghai"])
        blocks.append(f'<section class="sent" id="msg-{record["msg_id"]}"><p class="meta">发给 {name} · '
                      f'{at:%Y-%m-%d %H:%M:%S}（北京时间，沙箱时钟）· msg_id {record["msg_id"]} · '
                      f'{len(record["articles"])} 篇</p>{_phone(record, n == 0)}</section>')
    if not blocks:
        blocks.append('<p class="empty">还没有发出过预览。</p>')
    wanted = request.args.get("wxname")
    scope = f"发给微信号 {escape(wanted)} 的" if wanted else "全部"
    html = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>沙箱 · 手机预览记录</title><style>{_STYLE}</style></head><body>'
            f'<header><h1>微信沙箱 · 手机预览记录</h1><p>{scope}预览（{len(rows)} 条），最新的在前。'
            f'这是沙箱模拟收件人手机上看到的内容；真实微信中由收件人在手机上查看。</p></header>'
            f'<main>{"".join(blocks)}</main></body></html>')
    return Response(html, content_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"})
