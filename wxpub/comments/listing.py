"""Reading one article's comments from WeChat (``comment/list``, paged) and wording its failures.

Shared by the pull and by delivery's read-back (which must not import the pull: the outbox imports
delivery, and the pull raises alerts through ``wxpub.notify``)."""

from __future__ import annotations

from wxpub.wechat.api.comment import PAGE_SIZE
from wxpub.wechat.errors import WeChatError

MAX_PAGES = 400  # 19,600 comments under one article: far beyond any government account


def error_text(error: WeChatError) -> str:
    """The Chinese reason of a failed WeChat call, with its rid (what WeChat's support asks for)."""
    text = error.message
    if error.rid and error.rid not in text:
        text += f"（rid：{error.rid}）"
    return text


def fetch_all(wx, msg_data_id: str, index: int) -> list[dict]:
    """Every comment of one article as WeChat lists them, page by page (raises ``WeChatError``)."""
    out, begin = [], 0
    for _ in range(MAX_PAGES):
        page = wx.comment.list(msg_data_id, index, begin=begin, count=PAGE_SIZE, type=0)
        items = list(page.get("comment") or [])
        out.extend(items)
        begin += len(items)
        if not items or begin >= int(page.get("total") or 0):
            break
    return out


def find(listed: list[dict], user_comment_id: str) -> dict | None:
    """The listed comment with that id, or None."""
    for item in listed:
        if str(item.get("user_comment_id")) == str(user_comment_id):
            return item
    return None
