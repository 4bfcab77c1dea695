"""Recording a manual publication: staff published a release by hand in the MP web UI (from its
fallback pack, or ahead of its time) and give its article links here. The release becomes 人工发布
(``State.MANUAL``: over, the scheduler never sends it), keeps the links, and — through the ``mid`` of a
long link, which is WeChat's ``msg_data_id`` — its statistics link up like a sent release's
(``wxpub.stats.store.map_releases`` matches by msg_data_id and the article's ``idx``).

One use case: validate, write (state through ``wxpub.releases.transitions``), an audit row, one commit.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, ValidationError
from wxpub.core.release_states import State, Step, allowed, state_name
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import AuditEntry, MessageVersion, Release
from wxpub.releases import transitions
from wxpub.releases.queries import get

MAX_URLS = 8  # a WeChat message holds at most 8 articles
HOST = "mp.weixin.qq.com"
SHORT_PATH = re.compile(r"/s/([A-Za-z0-9_-]{10,100})/?")
DIGITS = re.compile(r"\d{1,20}")
EXAMPLE = "https://mp.weixin.qq.com/s?__biz=…&mid=…&idx=1&sn=… 或 https://mp.weixin.qq.com/s/…"


def parse_link(url: str) -> dict:
    """One article link: ``{"url", "mid", "idx"}`` (``mid``/``idx`` None for a short link), or a
    ``ValidationError`` naming the link and what is wrong with it."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme != "https" or parts.hostname != HOST or parts.port is not None:
        raise ValidationError(f"“{text}”不是公众号文章链接：应以 https://{HOST}/s 开头（如 {EXAMPLE}）")
    if SHORT_PATH.fullmatch(parts.path) and not parts.query:
        return {"url": text, "mid": None, "idx": None}
    if parts.path.rstrip("/") != "/s":
        raise ValidationError(f"“{text}”不是公众号文章链接：路径应为 /s?… 或 /s/…（如 {EXAMPLE}）")
    query = parse_qs(parts.query)
    missing = [name for name in ("__biz", "mid", "idx", "sn") if not (query.get(name) or [""])[0]]
    if missing:
        raise ValidationError(f"“{text}”缺少参数 {'、'.join(missing)}：请从文章页面复制完整链接"
                              f"（如 {EXAMPLE}）")
    mid, idx = query["mid"][0], query["idx"][0]
    if not DIGITS.fullmatch(mid) or not DIGITS.fullmatch(idx) or not 1 <= int(idx) <= MAX_URLS:
        raise ValidationError(f"“{text}”的 mid 或 idx 不是有效数字：请从文章页面复制完整链接")
    return {"url": text, "mid": mid, "idx": int(idx)}


def parse_links(urls: list[str]) -> tuple[list[str], str | None]:
    """The links in article order and the send's ``msg_data_id`` (the long links' shared ``mid``)."""
    urls = [u for u in (urls or []) if (u or "").strip()]
    if not 1 <= len(urls) <= MAX_URLS:
        raise ValidationError(f"请给出 1–{MAX_URLS} 个文章链接（现在是 {len(urls)} 个）", code="urls")
    links = [parse_link(u) for u in urls]
    if len({link["url"] for link in links}) != len(links):
        raise ValidationError("文章链接有重复：每篇文章给一个链接", code="urls")
    mids = {link["mid"] for link in links if link["mid"]}
    if len(mids) > 1:
        raise ValidationError(f"这些链接来自不同的群发/发表（mid 为 {'、'.join(sorted(mids))}）："
                              "一次只记录同一次发布的文章", code="urls")
    indexed = [link["idx"] for link in links if link["idx"] is not None]
    if len(set(indexed)) != len(indexed):
        raise ValidationError("有两个链接的 idx（文章序号）相同：每篇文章给一个链接", code="urls")
    if len(indexed) == len(links):
        links.sort(key=lambda link: link["idx"])  # article order, as WeChat numbers them
    return [link["url"] for link in links], (next(iter(mids)) if mids else None)


def _refuse(session: Session, release: Release, now: datetime, urls: list[str], msg_data_id) -> None:
    state = release.state
    if state == State.MANUAL:
        raise Conflict(f"发布 {release.id} 已记录为人工发布", code="bad_transition")
    if state == State.PUBLISHED:
        raise Conflict(f"发布 {release.id} 已由本系统发布，不能再记录为人工发布", code="bad_transition")
    if state == State.PUBLISHING and release.step == Step.SUBMITTED:
        raise Conflict(f"发布 {release.id} 已提交微信，请等待微信的结果，不要手工再发", code="bad_transition")
    if state == State.CANCELED:
        raise Conflict(f"发布 {release.id} 已取消：如确已手工发布，请先重新排期并完成审批", code="bad_transition")
    if not allowed(state, State.MANUAL):
        raise Conflict(f"发布 {release.id} 为“{state_name(state)}”，不能记录为人工发布"
                       "（只有已审批待发、已暂停或失败的发布可以）", code="bad_transition")
    if release.lease_until is not None and release.lease_until > now:
        raise Conflict(f"发布 {release.id} 正在发布中，请稍后再试（或先暂停）", code="busy")
    version_id = release.sent_version_id or release.approved_version_id
    version = session.get(MessageVersion, version_id) if version_id else None
    if version is not None and len(urls) > len(version.articles):
        raise ValidationError(f"发布 {release.id} 只有 {len(version.articles)} 篇文章，却给了 {len(urls)} 个链接",
                              code="urls")
    if msg_data_id:
        other = session.scalar(select(Release.id).where(Release.msg_data_id == msg_data_id,
                                                        Release.id != release.id))
        if other is not None:
            raise Conflict(f"链接的 mid={msg_data_id} 已属于发布 {other}：请核对链接是否复制错了",
                           code="urls")


def record_manual(session: Session, release_id: int, *, urls: list[str], by: str,
                  now: datetime) -> Release:
    """Record that ``release_id`` was published by hand at ``now`` with these article links."""
    links, msg_data_id = parse_links(urls)
    release = get(session, release_id)
    _refuse(session, release, now, links, msg_data_id)
    was = release.state

    def work():
        transitions.manual(session, release, urls=links, msg_data_id=msg_data_id, actor=by, now=now)
        session.add(AuditEntry(at=now, actor=by, action="release.manual", object_type="release",
                               object_id=str(release.id),
                               detail={"from": state_name(was), "article_urls": links,
                                       "msg_data_id": msg_data_id}))
        return release

    return commit_or_roll_back(session, work)
