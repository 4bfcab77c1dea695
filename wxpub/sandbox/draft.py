"""Draft box (reference §3): add, get, update, delete, batchget, count.

Codes (sandbox choices where the reference names none are marked *):
44003 articles missing/empty, or an article without title/content*; 45008 more than 8 articles;
45003 title longer than `title_limit` characters; 45110 author longer than 16 characters (the
code WeChat is observed to return; the reference only gives the limit); 45004 digest > 128;
45002 content of 20 000+ characters or 1 MB+ ("content size out of limit"); 41039
content_source_url over 1 KB or not http(s); 40007 cover not a permanent image/thumb; 53402 bad
pic_crop_*; 40114 update index out of range; 47001 malformed article objects*; 40002 other
invalid arguments*.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint

from wxpub.sandbox.material import find_permanent
from wxpub.sandbox.sanitize import plain_text, sanitize_content
from wxpub.sandbox.state import Draft, SandboxState
from wxpub.sandbox.wire import WeChatError, as_int, json_body, wechat_endpoint

bp = Blueprint("sandbox_draft", __name__)

MAX_ARTICLES = 8
AUTHOR_LIMIT = 16
DIGEST_LIMIT = 128
AUTO_DIGEST = 54
CONTENT_CHAR_LIMIT = 20_000
CONTENT_BYTE_LIMIT = 1024 * 1024
SOURCE_URL_LIMIT = 1024
MAX_NEWSPIC_IMAGES = 20
_CROP = re.compile(r"^(\d(?:\.\d{1,6})?)_(\d(?:\.\d{1,6})?)_(\d(?:\.\d{1,6})?)_(\d(?:\.\d{1,6})?)$")


def _text(article: dict, name: str, where: str) -> str:
    value = article.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise WeChatError(47001, f"data format error hint: [{where}.{name} must be a string]")
    return value


def _check_crop(value: str, name: str, where: str) -> None:
    match = _CROP.match(value)
    if not match:
        raise WeChatError(53402, f"cover crop failed hint: [{where}.{name}]")
    x1, y1, x2, y2 = (float(v) for v in match.groups())
    if not (0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1):
        raise WeChatError(53402, f"cover crop failed hint: [{where}.{name} out of range]")


def validate_article(state: SandboxState, article: Any, where: str, single: bool) -> dict:
    """Check one ARTICLE object against the §3.1 rules and return what WeChat stores."""
    if not isinstance(article, dict):
        raise WeChatError(47001, f"data format error hint: [{where} must be an object]")
    article_type = article.get("article_type") or "news"
    if article_type not in ("news", "newspic"):
        raise WeChatError(40002, f"invalid args hint: [{where}.article_type]")
    title = _text(article, "title", where)
    if not title.strip():
        raise WeChatError(44003, f"empty news data hint: [{where}.title missing]")
    if len(title) > state.config.title_limit:
        raise WeChatError(45003, f"title size out of limit hint: [{where}: {len(title)} chars]")
    author = _text(article, "author", where)
    if len(author) > AUTHOR_LIMIT:
        raise WeChatError(45110, f"author size out of limit hint: [{where}: {len(author)} chars]")
    digest = _text(article, "digest", where)
    if len(digest) > DIGEST_LIMIT:
        raise WeChatError(45004, f"description size out of limit hint: [{where}: {len(digest)} chars]")
    content = _text(article, "content", where)
    if not content.strip():
        raise WeChatError(44003, f"empty news data hint: [{where}.content missing]")
    if len(content) >= CONTENT_CHAR_LIMIT or len(content.encode("utf-8")) >= CONTENT_BYTE_LIMIT:
        raise WeChatError(45002, f"content size out of limit hint: [{where}: {len(content)} chars]")
    source_url = _text(article, "content_source_url", where)
    if source_url and (len(source_url.encode("utf-8")) > SOURCE_URL_LIMIT
                       or not re.match(r"^https?://\S+$", source_url)):
        raise WeChatError(41039, f"invalid content_source_url hint: [{where}]")
    stored = {
        "article_type": article_type, "title": title, "author": author, "digest": digest,
        "content": sanitize_content(content), "content_source_url": source_url,
        "thumb_media_id": "", "thumb_url": "",
        "need_open_comment": 1 if article.get("need_open_comment") in (1, "1", True) else 0,
        "only_fans_can_comment": 1 if article.get("only_fans_can_comment") in (1, "1", True) else 0,
        "show_cover_pic": 0,
    }
    if not digest and single and article_type == "news":
        stored["digest"] = plain_text(stored["content"])[:AUTO_DIGEST]
    if article_type == "news":
        thumb = find_permanent(state, article.get("thumb_media_id"), ("image", "thumb"))
        if thumb is None:
            raise WeChatError(40007, f"invalid media_id hint: [{where}.thumb_media_id]")
        stored["thumb_media_id"], stored["thumb_url"] = thumb.media_id, thumb.url
    else:
        images = (article.get("image_info") or {}).get("image_list") if isinstance(
            article.get("image_info"), dict) else None
        if not images:
            raise WeChatError(44003, f"empty news data hint: [{where}.image_info.image_list]")
        if len(images) > MAX_NEWSPIC_IMAGES:
            raise WeChatError(40002, f"invalid args hint: [{where}: at most 20 images]")
        for n, entry in enumerate(images):
            media_id = entry.get("image_media_id") if isinstance(entry, dict) else None
            if find_permanent(state, media_id, ("image",)) is None:
                raise WeChatError(40007, f"invalid media_id hint: [{where}.image_list[{n}]]")
        stored["image_info"] = {"image_list": [{"image_media_id": e["image_media_id"]} for e in images]}
    for name in ("pic_crop_235_1", "pic_crop_1_1"):
        value = _text(article, name, where)
        if value:
            _check_crop(value, name, where)
            stored[name] = value
    for name in ("cover_info", "product_info"):
        if isinstance(article.get(name), dict):
            stored[name] = article[name]
    return stored


def _articles_list(body: dict) -> list:
    articles = body.get("articles")
    if articles is None or articles == [] or articles == {}:
        raise WeChatError(44003)
    if not isinstance(articles, list):
        raise WeChatError(47001, "data format error hint: [articles must be an array]")
    if len(articles) > MAX_ARTICLES:
        raise WeChatError(45008, f"article size out of limit hint: [{len(articles)} articles, max 8]")
    return articles


def find_draft(state: SandboxState, media_id: Any) -> Draft:
    """The draft with this media_id or WeChatError 40007."""
    with state.lock:
        draft = state.drafts.get(media_id) if isinstance(media_id, str) else None
    if draft is None:
        raise WeChatError(40007, "invalid media_id hint: [no such draft]")
    return draft


def news_items(state: SandboxState, draft: Draft, with_content: bool = True) -> list[dict]:
    """The draft's articles as draft/get answers them (with a temporary preview url)."""
    items = []
    for idx, article in enumerate(draft.articles, start=1):
        item = dict(article)
        if not with_content:
            item.pop("content", None)
        item["url"] = (f"http://mp.weixin.qq.com/s?__biz=MzSandbox{state.config.appid[-6:]}=="
                       f"&tempkey={draft.media_id[:24]}{idx}&chksm=sandbox")
        items.append(item)
    return items


@wechat_endpoint(bp, "/cgi-bin/draft/add")
def add(state: SandboxState) -> dict:
    """Create a draft of 1..8 articles."""
    articles = _articles_list(json_body())
    single = len(articles) == 1
    stored = [validate_article(state, a, f"articles[{n}]", single) for n, a in enumerate(articles)]
    with state.lock:
        now = state.now()
        media_id = state.random_id(64)
        state.drafts[media_id] = Draft(media_id=media_id, articles=stored, created_at=now,
                                       updated_at=now)
    return {"media_id": media_id}


@wechat_endpoint(bp, "/cgi-bin/draft/get")
def get(state: SandboxState) -> dict:
    """All articles of a draft (40007 once it was published, mass-sent or deleted)."""
    draft = find_draft(state, json_body().get("media_id"))
    return {"news_item": news_items(state, draft),
            "create_time": int(draft.created_at.timestamp()),
            "update_time": int(draft.updated_at.timestamp())}


@wechat_endpoint(bp, "/cgi-bin/draft/update")
def update(state: SandboxState) -> dict:
    """Replace the article at 0-based `index`; `articles` is ONE object."""
    body = json_body()
    draft = find_draft(state, body.get("media_id"))
    index = body.get("index")
    if isinstance(index, bool) or not isinstance(index, (int, str)) or not str(index).isdigit() \
            or int(index) >= len(draft.articles):
        raise WeChatError(40114, f"invalid index value hint: [{index!r}, draft has "
                                 f"{len(draft.articles)} articles]")
    article = body.get("articles")
    if article is None:
        raise WeChatError(44003)
    stored = validate_article(state, article, "articles", len(draft.articles) == 1)
    with state.lock:
        if state.drafts.get(draft.media_id) is not draft:
            raise WeChatError(40007)
        draft.articles[int(index)] = stored
        draft.updated_at = state.now()
    return {"errcode": 0, "errmsg": "ok"}


@wechat_endpoint(bp, "/cgi-bin/draft/delete")
def delete(state: SandboxState) -> dict:
    """Delete a draft for good."""
    draft = find_draft(state, json_body().get("media_id"))
    with state.lock:
        state.drafts.pop(draft.media_id, None)
    return {"errcode": 0, "errmsg": "ok"}


@wechat_endpoint(bp, "/cgi-bin/draft/batchget")
def batchget(state: SandboxState) -> dict:
    """Page through drafts, most recently updated first."""
    body = json_body()
    offset = as_int(body.get("offset", 0), name="offset")
    count = as_int(body.get("count", 20), name="count")
    if offset < 0 or not 1 <= count <= 20:
        raise WeChatError(40002, "invalid args hint: [offset >= 0, count 1..20]")
    with_content = as_int(body.get("no_content", 0), name="no_content") != 1
    with state.lock:
        drafts = sorted(state.drafts.values(), key=lambda d: d.updated_at, reverse=True)
    page = drafts[offset:offset + count]
    return {"total_count": len(drafts), "item_count": len(page),
            "item": [{"media_id": d.media_id,
                      "content": {"news_item": news_items(state, d, with_content),
                                  "create_time": int(d.created_at.timestamp()),
                                  "update_time": int(d.updated_at.timestamp())},
                      "update_time": int(d.updated_at.timestamp())} for d in page]}


@wechat_endpoint(bp, "/cgi-bin/draft/count", methods=("GET",))
def count(state: SandboxState) -> dict:
    """Number of drafts in the box."""
    with state.lock:
        return {"total_count": len(state.drafts)}
