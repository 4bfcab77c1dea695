"""Helpers for tests, demos and benchmarks: publish through the adapter into a sandbox and record
matching ``Release`` rows, so statistics pulled afterwards can be traced back to chapters.

Nothing here is used by the product at run time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from wxpub.models import (Account, Article, Case, Chapter, Message, MessageVersion, Release, Series)


@dataclass
class Sent:
    """One send: its ``msg_data_id`` and the titles of its articles (idx = position + 1)."""

    msg_data_id: str
    titles: list[str]
    notified: bool

    def msgids(self) -> list[str]:
        """The datacube msgids of its articles."""
        return [f"{self.msg_data_id}_{i}" for i in range(1, len(self.titles) + 1)]


def sandbox_now(sandbox) -> datetime:
    """The sandbox's current time (aware UTC)."""
    return datetime.fromisoformat(sandbox.control("clock")["now"])


def move_sandbox_to(sandbox, hour: int, minute: int = 0, days: int = 0) -> datetime:
    """Advance the sandbox clock to the next hh:mm Beijing time (plus ``days``); returns it."""
    from wxpub.stats.dates import BEIJING
    now = sandbox_now(sandbox).astimezone(BEIJING)
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    target += timedelta(days=days)
    sandbox.control("clock", {"advance_seconds": (target - now).total_seconds()})
    return target


def follow_sandbox(clock, sandbox) -> None:
    """Move a ``FrozenClock`` to the sandbox's time (our "today" must be WeChat's today)."""
    target = sandbox_now(sandbox)
    if target > clock.now():
        clock.advance(seconds=(target - clock.now()).total_seconds())


def publish(wx, sandbox, titles: list[str], *, mass: bool = False, cover: str | None = None,
            key: str = "") -> Sent:
    """Draft ``titles`` as one message, freepublish (or mass send) it and wait for completion."""
    if cover is None:
        from wxpub.sandbox.testing import jpeg_bytes
        cover = wx.material.add_image(jpeg_bytes(90, 50))["media_id"]
    articles = [{"title": t, "author": "新政服", "digest": "案例展示", "thumb_media_id": cover,
                 "content": f"<p>{t}：一是……二是……三是……</p>"} for t in titles]
    media_id = wx.draft.add(articles)["media_id"]
    if mass:
        sent = wx.mass.sendall(media_id, clientmsgid=key or hashlib.sha1(media_id.encode()).hexdigest())
    else:
        sent = wx.freepublish.submit(media_id)
    sandbox.control("clock", {"advance_seconds": sandbox.config.publish_delay + 1})
    return Sent(str(sent["msg_data_id"]), list(titles), mass)


def record_release(session, sent: Sent, *, series: str, chapter: str, scheduled_at: datetime,
                   state: str = "published", case_titles: list[str] | None = None,
                   appid: str = "wxsandbox") -> Release:
    """Create the library rows and a ``Release`` whose sent version holds ``sent``'s articles."""
    account = session.scalar(select(Account).where(Account.appid == appid))
    if account is None:
        account = Account(name=appid, appid=appid)
        session.add(account)
    series_row = session.scalar(select(Series).where(Series.name == series))
    if series_row is None:
        series_row = Series(name=series)
        session.add(series_row)
        session.flush()
    chapter_row = session.scalar(select(Chapter).where(Chapter.series_id == series_row.id,
                                                       Chapter.name == chapter))
    if chapter_row is None:
        chapter_row = Chapter(series_id=series_row.id, name=chapter, position=0)
        session.add(chapter_row)
        session.flush()
    case_ids = []
    for number, title in enumerate(case_titles or [], start=1):
        case = Case(chapter_id=chapter_row.id, key=f"{sent.msg_data_id}-{number}", number=number,
                    title=title, status="selected", position=number)
        session.add(case)
        session.flush()
        case_ids.append(case.id)
    parts = session.scalar(select(Message.part).where(Message.chapter_id == chapter_row.id)
                           .order_by(Message.part.desc()).limit(1)) or 0
    message = Message(series_id=series_row.id, chapter_id=chapter_row.id, part=parts + 1)
    session.add(message)
    session.flush()
    version = MessageVersion(message_id=message.id, version=1,
                             sha256=hashlib.sha256(sent.msg_data_id.encode()).hexdigest())
    session.add(version)
    session.flush()
    for idx, title in enumerate(sent.titles, start=1):
        html = f"<p>{title}</p>"
        session.add(Article(message_version_id=version.id, idx=idx, title=title, html=html,
                            sha256=hashlib.sha256(html.encode()).hexdigest(), chars=len(html),
                            bytes=len(html.encode()), case_ids=case_ids if idx == 1 else []))
    release = Release(plan_key=f"{series}/{chapter}/{sent.msg_data_id}", account_id=account.id,
                      series_id=series_row.id, chapter_id=chapter_row.id, message_id=message.id,
                      mode="mass_send" if sent.notified else "publish", scheduled_at=scheduled_at,
                      state=state, sent_version_id=version.id, approved_version_id=version.id,
                      msg_data_id=sent.msg_data_id, published_at=scheduled_at)
    session.add(release)
    session.flush()
    return release
