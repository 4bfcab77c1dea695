"""Accounts, composed messages and their versions, releases, approvals and the publish log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wxpub.models.base import Base, utcnow


def _code_from_appid(context) -> str:
    """An account registered without a code is known by its AppID."""
    return context.get_current_parameters()["appid"]


class Account(Base):
    """A WeChat official account the office publishes to, with its credentials.

    ``code`` is the short ASCII name used in URLs (``/wechat/callback/<code>``), plans and commands.
    The AppSecret, Token and EncodingAESKey are stored only encrypted (``wxpub.accounts.credentials``,
    keyed by ``WXPUB_SECRET_KEY``); an account imported from the environment (``credentials_source``
    ``env``) keeps reading them from ``WXPUB_APPSECRET`` / ``WXPUB_TOKEN`` / ``WXPUB_ENCODING_AES_KEY``
    until an admin rotates its secret here. A disabled account publishes nothing.
    """

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    appid: Mapped[str] = mapped_column(String(32), unique=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, default=_code_from_appid)
    account_type: Mapped[str] = mapped_column(String(20), default="subscription")
    credentials_source: Mapped[str] = mapped_column(String(10), default="db")  # db | env
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    token_encrypted: Mapped[str | None] = mapped_column(Text)
    aes_key_encrypted: Mapped[str | None] = mapped_column(Text)
    secret_rotated_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    disabled_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def enabled(self) -> bool:
        """Whether releases may still go out on this account."""
        return self.disabled_at is None


class UserAccount(Base):
    """A staff member limited to an account: a user with no rows here sees every account."""

    __tablename__ = "user_accounts"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            primary_key=True)


class Message(Base):
    """A WeChat message (up to 8 articles) composed from one chapter, or one installment of it."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("chapter_id", "part"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id", ondelete="CASCADE"))
    part: Mapped[int] = mapped_column(default=1)  # installment number (上 = 1, 下 = 2 …)
    theme: Mapped[str] = mapped_column(String(50), default="政务红")
    options: Mapped[dict] = mapped_column(default=dict)  # compose options, to re-render identically
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("message_versions.id", use_alter=True, name="fk_messages_current_version"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    versions: Mapped[list["MessageVersion"]] = relationship(
        back_populates="message", foreign_keys="MessageVersion.message_id")
    current_version: Mapped["MessageVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True)


class MessageVersion(Base):
    """One rendered, immutable state of a message; ``sha256`` is what an approval binds to."""

    __tablename__ = "message_versions"
    __table_args__ = (UniqueConstraint("message_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    case_version_ids: Mapped[list] = mapped_column(default=list)
    cover_sha256: Mapped[str | None] = mapped_column(String(64))
    findings: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    message: Mapped[Message] = relationship(back_populates="versions", foreign_keys=[message_id])
    articles: Mapped[list["Article"]] = relationship(back_populates="message_version",
                                                     order_by="Article.idx")


class Article(Base):
    """One article of a message version, exactly as it will be sent (images as placeholders)."""

    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("message_version_id", "idx"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_version_id: Mapped[int] = mapped_column(
        ForeignKey("message_versions.id", ondelete="CASCADE"))
    idx: Mapped[int]  # 1-based, as in datacube msgids
    title: Mapped[str] = mapped_column(String(100))
    author: Mapped[str] = mapped_column(String(50), default="")
    digest: Mapped[str] = mapped_column(String(300), default="")
    content_source_url: Mapped[str] = mapped_column(String(1024), default="")
    html: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    chars: Mapped[int]
    bytes: Mapped[int]
    image_sha256s: Mapped[list] = mapped_column(default=list)
    cover_sha256: Mapped[str | None] = mapped_column(String(64))
    case_ids: Mapped[list] = mapped_column(default=list)
    message_version: Mapped[MessageVersion] = relationship(back_populates="articles")


class Release(Base):
    """A scheduled publication of one message: the database decides, APScheduler only triggers.

    States: planned → approved → publishing → published | failed | held | canceled. The publishing
    steps store their results here (media_id, publish_id, msg_id …) before the next step starts, so a
    crash resumes instead of repeating. ``lease_owner``/``lease_until`` is the claim that keeps a
    second scheduler from running the same release.
    """

    __tablename__ = "releases"
    # The same series may be planned for several accounts: a chapter's key is unique per account.
    # Schedulers claim due work by state and planned time (``wxpub.publishing.claims``).
    __table_args__ = (UniqueConstraint("account_id", "plan_key"),
                      Index("ix_releases_state_scheduled_at", "state", "scheduled_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(300))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapters.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    mode: Mapped[str] = mapped_column(String(20))  # publish | mass_send
    scheduled_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="planned")
    step: Mapped[str] = mapped_column(String(30), default="")  # last committed pipeline step
    approved_version_id: Mapped[int | None] = mapped_column(ForeignKey("message_versions.id"))
    sent_version_id: Mapped[int | None] = mapped_column(ForeignKey("message_versions.id"))
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None]
    # A preparation that failed transiently is not tried again before this (WeChat may be down).
    prepare_after: Mapped[datetime | None]
    media_id: Mapped[str | None] = mapped_column(String(128))
    publish_id: Mapped[str | None] = mapped_column(String(64))
    msg_id: Mapped[str | None] = mapped_column(String(64))
    msg_data_id: Mapped[str | None] = mapped_column(String(64), index=True)
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    article_urls: Mapped[list] = mapped_column(default=list)
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    fallback_path: Mapped[str | None] = mapped_column(String(500))
    # Who moved it to its time by hand (the release page, `release reschedule`); None while the
    # plan sets its time. Re-applying the plan keeps a time set by hand.
    time_set_by: Mapped[str | None] = mapped_column(String(100))
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    message: Mapped[Message | None] = relationship()
    account: Mapped[Account] = relationship()


class PublishAttempt(Base):
    """The persisted log of every pipeline step: what was tried, by whom, and what came back."""

    __tablename__ = "publish_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(30))
    worker: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="running")  # ok|transient|permanent|running
    errcode: Mapped[int | None]
    detail: Mapped[dict] = mapped_column(default=dict)


class ReleaseTransition(Base):
    """One move of a release's state: from, to, at which step, who or what moved it, why, when.

    Written only by ``wxpub.releases.transitions.move``; the release page's timeline reads it.
    """

    __tablename__ = "release_transitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    step: Mapped[str] = mapped_column(String(30), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CallbackEvent(Base):
    """A WeChat push already handled: WeChat retries deliveries, so events are deduplicated by key."""

    __tablename__ = "callback_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(50))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id", ondelete="SET NULL"))
    payload: Mapped[dict] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class UploadedMedia(Base):
    """Upload cache by content hash: an image is uploaded to WeChat once per account and kind."""

    __tablename__ = "uploaded_media"
    __table_args__ = (UniqueConstraint("account_id", "sha256", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # uploadimg | image | thumb
    url: Mapped[str] = mapped_column(String(1024), default="")
    media_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessToken(Base):
    """The shared access token (encrypted with the secret key) and the refresh lease.

    Every process reads the token here; only the process holding ``refresh_until`` fetches a new one.
    """

    __tablename__ = "access_tokens"
    appid: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_encrypted: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime | None]
    fetch_count: Mapped[int] = mapped_column(default=0)
    refresh_owner: Mapped[str | None] = mapped_column(String(100))
    refresh_until: Mapped[datetime | None]


Index("ix_releases_state_scheduled", Release.state, Release.scheduled_at)


class ApiCallWindow(Base):
    """Calls made to one WeChat endpoint for one account in one window, shared by every process.

    Per-minute windows count the calls of endpoints with a per-minute rate (``wxpub.wechat.limits``):
    a call is made only when it fits. A day window with ``full`` set records that WeChat answered
    45009 (daily quota used up) so that no process calls that endpoint again before the quota resets.
    """

    __tablename__ = "api_call_windows"
    appid: Mapped[str] = mapped_column(String(32), primary_key=True)
    path: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    window_seconds: Mapped[int] = mapped_column(default=60)
    count: Mapped[int] = mapped_column(default=0)
    full: Mapped[bool] = mapped_column(default=False)
