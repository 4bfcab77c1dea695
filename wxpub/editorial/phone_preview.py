"""手机预览: send the draft of one message version to a colleague's WeChat (``message/mass/preview``
by 微信号), and the 微信号 each person keeps on their profile.

* ``request`` is one use case and one transaction: it checks the message, the version the person
  looked at, the sender and the recipient (an enabled account with a 微信号), then writes a
  ``PhonePreview`` (status ``pending``), an outbox row of kind ``phone_preview`` and the audit row,
  and commits once. Asking again while a preview of that version to that person is pending gives
  the pending one (a double click sends once).
* ``deliver`` runs after that commit — the web request calls it at once, the scheduler's outbox
  job (``wxpub.notify.outbox.deliver_due`` → ``deliver_claimed``) takes whatever is left. It claims
  the outbox row with a conditional UPDATE (as the outbox does), so two deliverers never send the
  same preview and a delivered one is never sent again; it uploads the images through the
  content-hash cache, makes (or reuses) a draft of exactly that version, sends it and records
  ``sent`` (with the ``msg_id``) or ``failed`` with the error in plain Chinese (and WeChat's code
  and rid). A transient failure (WeChat busy, a timeout before the call arrived) is retried with
  backoff; one that may have arrived (the connection dropped after sending) is not retried but
  reported, so nobody gets the same preview twice.
* ``set_wechat_id`` is the use case of the profile page (and of an admin on someone's account).

This module must not import ``wxpub.notify`` nor ``wxpub.editorial.review`` (the outbox imports
this module, and review → releases.transitions → notify.alerts → notify.outbox).
"""

from __future__ import annotations

import logging
import random
import re
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from wxpub.core.errors import Conflict, Forbidden, NotFound, ValidationError, WxpubError
from wxpub.accounts import registry
from wxpub.editorial import chain, sheet
from wxpub.infra.clock import as_utc
from wxpub.infra.db import commit_or_roll_back
from wxpub.models import AuditEntry, Message, MessageVersion, OutboxMessage, PhonePreview, User
from wxpub.publishing.uploads import draft_payload
from wxpub.wechat.errors import PermanentWeChatError, TransientWeChatError, WeChatError

log = logging.getLogger("wxpub.editorial.phone_preview")
KIND = "phone_preview"
CLAIM = timedelta(seconds=60)
MAX_ATTEMPTS = 6
WECHAT_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{5,19}$")
WECHAT_ID_RULE = "6–20 个字符，以字母开头，只能包含字母、数字、下划线（_）和减号（-）"
STATUS_NAMES = {"pending": "发送中", "sent": "已发送", "failed": "发送失败"}


# ----- the 微信号 of a person ------------------------------------------------------------------

def check_wechat_id(value: str | None) -> str:
    """The 微信号 as stored ("" = none), or ``ValidationError`` naming the field and the rule."""
    value = (value or "").strip()
    if value and not WECHAT_ID_RE.match(value):
        raise ValidationError(f"“微信号”格式不对：“{value[:40]}”。微信号为{WECHAT_ID_RULE}；"
                              "请在手机微信“我”页面查看自己的微信号", code="wechat_id")
    return value


def set_wechat_id(session: Session, username: str, wechat_id: str | None, *, actor: str,
                  now: datetime) -> tuple[User, bool]:
    """Set (or clear, with "") the 微信号 of ``username``; a person sets their own, an admin anyone's.
    Returns the account and whether anything changed (no audit row when nothing did)."""
    value = check_wechat_id(wechat_id)
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise NotFound(f"没有用户名为“{username}”的账号")
    if actor != user.username:
        who = session.scalar(select(User).where(User.username == actor))
        if who is None or who.role != "admin":
            raise Forbidden("只能修改自己的微信号（管理员可以修改所有人的）")
    if value == user.wechat_id:
        return user, False

    def work():
        before = user.wechat_id
        user.wechat_id = value
        session.add(AuditEntry(at=now, actor=actor[:100], action="user.wechat_id", object_type="user",
                               object_id=user.username[:100],
                               detail={"before": before, "after": value}))
        return user
    return commit_or_roll_back(session, work), True


def recipients(session: Session) -> list[User]:
    """Enabled colleagues who can receive a phone preview (they have a 微信号)."""
    return list(session.scalars(select(User).where(User.active.is_(True), User.wechat_id != "")
                                .order_by(User.display_name, User.username)))


def previews_of(session: Session, version_id: int) -> list[PhonePreview]:
    """The previews of one version, newest first."""
    return list(session.scalars(select(PhonePreview).where(PhonePreview.message_version_id == version_id)
                                .order_by(PhonePreview.id.desc())))


# ----- request ---------------------------------------------------------------------------------

def _version(session: Session, message_id: int, version_hash: str | None) -> tuple[Message, MessageVersion]:
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"没有编号为 {message_id} 的消息")
    return message, chain.current_version(session, message, version_hash, purpose="预览")


def _account(session: Session, username: str, what: str) -> User:
    name = (username or "").strip()
    user = session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        raise NotFound(f"没有用户名为“{name}”的账号" if name else f"没有指定{what}")
    if not user.active:
        raise Conflict(f"账号“{user.display_name or name}”已停用，不能{'发送' if what == '发送人' else '接收'}预览")
    return user


def request(session: Session, message_id: int, *, version_hash: str, to_username: str, by: str,
            now: datetime) -> PhonePreview:
    """Ask for the current version of a message to be sent to ``to_username``'s WeChat (delivered
    after the commit by ``deliver``)."""
    message, version = _version(session, message_id, version_hash)
    _account(session, by, "发送人")
    to = _account(session, to_username, "收件人")
    if not to.wechat_id:
        raise ValidationError(f"{to.display_name or to.username} 还没有填写微信号，不能接收手机预览："
                              "请本人在“个人设置”（/profile）中填写，或请管理员在账号管理中填写",
                              code="no_wechat_id")
    pending = session.scalar(select(PhonePreview).where(
        PhonePreview.message_version_id == version.id, PhonePreview.to_username == to.username,
        PhonePreview.status == "pending"))
    if pending is not None:
        return pending

    def work():
        row = PhonePreview(message_version_id=version.id, sha256=version.sha256, requested_by=by,
                           to_username=to.username, to_wxname=to.wechat_id, requested_at=now,
                           status="pending")
        session.add(row)
        session.flush()
        session.add(OutboxMessage(kind=KIND, target=f"{KIND}:{row.id}", payload={"preview_id": row.id},
                                  created_at=now, next_try_at=now))
        session.add(AuditEntry(at=now, actor=by[:100], action="phone_preview.request", object_type="message",
                               object_id=str(message.id), after_sha256=version.sha256,
                               detail={"version": version.version, "to": to.username,
                                       "preview_id": row.id}))
        return row
    return commit_or_roll_back(session, work)


# ----- delivery --------------------------------------------------------------------------------

def deliver(rt, preview_id: int, *, worker: str = "web") -> str:
    """Send one requested preview now if nobody else is sending it; returns its status."""
    now = rt.clock.now()
    with rt.db.session() as session:
        row_id = session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.kind == KIND, OutboxMessage.target == f"{KIND}:{preview_id}"))
        won = row_id is not None and session.execute(update(OutboxMessage).where(
            OutboxMessage.id == row_id, OutboxMessage.delivered_at.is_(None),
            OutboxMessage.gave_up_at.is_(None),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
            .values(claimed_by=worker, claimed_until=now + CLAIM)
            .execution_options(synchronize_session=False)).rowcount == 1
        session.commit()
    if won:
        deliver_claimed(rt, row_id, worker)
    with rt.db.session() as session:
        preview = session.get(PhonePreview, preview_id)
        return preview.status if preview is not None else "failed"


def deliver_claimed(rt, row_id: int, worker: str) -> int:
    """Deliver the preview of outbox row ``row_id`` claimed by ``worker``; 1 when it is settled
    (sent or failed for good), 0 when it will be tried again (or was not this worker's)."""
    with rt.db.session() as session:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.claimed_by != worker:
            return 0
        preview = session.get(PhonePreview, int((row.payload or {}).get("preview_id") or 0))
        if preview is None or preview.status != "pending":
            _settle(row, rt.clock.now(), delivered=True)
            session.commit()
            return 1
        try:
            msg_id = _send(rt, session, preview)
        except TransientWeChatError as error:
            if error.maybe_applied:
                return _fail(rt, session, row, preview, error.errcode,
                             "与微信的连接在发送途中中断，预览可能已经发出：请先看看手机微信是否收到，"
                             "没有收到再点“发送”。")
            return _retry(rt, session, row, preview, error.message)
        except WeChatError as error:
            return _fail(rt, session, row, preview, error.errcode, error.message)
        except WxpubError as error:
            return _fail(rt, session, row, preview, None, error.message)
        except Exception as error:  # a bug or the database: keep the request, try again later
            log.exception("phone preview %s failed unexpectedly", preview.id)
            session.rollback()
            return _retry(rt, session, row, preview, f"系统内部错误（{type(error).__name__}）")
        now = rt.clock.now()
        session.refresh(row)
        if row.claimed_by != worker:
            return 0  # our claim ran out and another deliverer took the row
        preview.status, preview.msg_id, preview.finished_at = "sent", msg_id, now
        preview.error_code = preview.error_message = None
        _settle(row, now, delivered=True)
        session.commit()
        return 1


def _settle(row: OutboxMessage, now: datetime, *, delivered: bool, error: str | None = None) -> None:
    row.attempts += 1
    row.claimed_by = row.claimed_until = None
    if delivered:
        row.delivered_at = now
    else:
        row.gave_up_at = now
        row.last_error = (error or "")[:500]


def _fail(rt, session: Session, row: OutboxMessage, preview: PhonePreview, code: int | None,
          message: str) -> int:
    now = rt.clock.now()
    preview.status, preview.finished_at = "failed", now
    preview.error_code, preview.error_message = code, message
    _settle(row, now, delivered=False, error=message)
    session.commit()
    log.warning("phone preview %s to %s failed: %s", preview.id, preview.to_username, message)
    return 1


def _retry(rt, session: Session, row: OutboxMessage, preview: PhonePreview, message: str) -> int:
    if row.attempts + 1 >= MAX_ATTEMPTS:
        return _fail(rt, session, row, preview, None, f"多次重试仍未发出：{message}")
    now = rt.clock.now()
    row.attempts += 1
    row.claimed_by = row.claimed_until = None
    row.last_error = message[:500]
    delay = random.uniform(0.5, 1.0) * min(3600, 5 * 2 ** row.attempts)
    row.next_try_at = now + timedelta(seconds=delay)
    preview.error_message = (f"第 {row.attempts} 次发送没有成功，系统会在约 {max(1, round(delay / 60))} 分钟后"
                             f"自动重试。原因：{message}")
    session.commit()
    return 0


def _cached_draft(session: Session, preview: PhonePreview) -> str | None:
    """The draft of an earlier preview of the same content (a version's draft gains the reviewers'
    credits when its chain completes, so only drafts made after that count then)."""
    query = select(PhonePreview.media_id).where(
        PhonePreview.sha256 == preview.sha256, PhonePreview.media_id.is_not(None),
        PhonePreview.status == "sent", PhonePreview.id != preview.id)
    archived = sheet.frozen(session, preview.message_version_id)
    if archived is not None:
        query = query.where(PhonePreview.requested_at >= as_utc(archived.created_at))
    return session.scalar(query.order_by(PhonePreview.id.desc()).limit(1))


def _new_draft(rt, session: Session, preview: PhonePreview) -> str:
    version = session.get(MessageVersion, preview.message_version_id)
    wx = rt.wechat
    payload = draft_payload(session, wx, registry.default_account(session, rt.settings).id, version,
                            now=rt.clock.now(), commit=session.commit)
    preview.media_id = wx.draft.add(payload)["media_id"]
    session.commit()  # a retry reuses this draft instead of making another
    return preview.media_id


def _send(rt, session: Session, preview: PhonePreview) -> str:
    """Make sure a draft of the version exists and send it; returns WeChat's msg_id."""
    media_id = preview.media_id or _cached_draft(session, preview)
    fresh = media_id is None
    if fresh:
        media_id = _new_draft(rt, session, preview)
    elif preview.media_id != media_id:
        preview.media_id = media_id
        session.commit()
    try:
        reply = rt.wechat.mass.preview(media_id, towxname=preview.to_wxname)
    except PermanentWeChatError as error:
        if error.errcode != 40007 or fresh:
            raise
        # The reused draft left the box (published, mass-sent or deleted in the MP web UI).
        reply = rt.wechat.mass.preview(_new_draft(rt, session, preview), towxname=preview.to_wxname)
    return str(reply.get("msg_id") or "")
