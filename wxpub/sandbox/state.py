"""In-memory state of the WeChat emulator, guarded by one re-entrant lock.

Nothing is persisted: a restart forgets tokens, material, drafts and sends, as a fresh test
account would. Endpoint modules mutate these records only while holding `state.lock`.
`PublishedArticle`, `SandboxState.seed`, `.now()` and `.published_articles()` are the interface
the datacube module relies on; keep their names.
"""
from __future__ import annotations

import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from wxpub.sandbox.config import SandboxConfig

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class PublishedArticle:
    """One article that became public, by freepublish (notified=False) or mass send (True)."""

    msg_data_id: str      # digits, as string
    idx: int              # 1-based index within the send
    title: str
    url: str
    published_at: datetime  # timezone-aware UTC, sandbox clock
    notified: bool        # True = mass send (publish_type 0), False = freepublish (1)


@dataclass
class Token:
    """An access token; `revoked_at` is when a newer token or a forced refresh ends it early."""

    value: str
    kind: str  # "token" (/cgi-bin/token) or "stable" (/cgi-bin/stable_token)
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass
class Material:
    """Permanent material or temporary media (uploadimg images are `kind="uploadimg"`)."""

    media_id: str
    kind: str  # image | thumb | voice | video | uploadimg
    data: bytes
    filename: str
    fmt: str  # jpeg | png | gif | bmp | mp3 | ...
    url: str
    created_at: datetime
    permanent: bool
    description: dict = field(default_factory=dict)


@dataclass
class Draft:
    """A draft-box entry: the stored (sanitised) articles."""

    media_id: str
    articles: list[dict]
    created_at: datetime
    updated_at: datetime


@dataclass
class Job:
    """A freepublish task or a mass send: pending until `due_at`, then finished once."""

    kind: str  # "freepublish" | "mass"
    job_id: str  # publish_id or msg_id (digits)
    msg_data_id: str
    draft: Draft
    submitted_at: datetime
    due_at: datetime
    finished: bool = False
    outcome: dict = field(default_factory=dict)  # forced failure, see control.py
    article_id: str = ""
    article_urls: list[str] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)  # 1-based indexes
    finished_at: datetime | None = None
    # mass-only
    to_all: bool = False
    tag_id: Any = None
    clientmsgid: str = ""
    status_text: str = ""  # MASSSENDJOBFINISH Status


@dataclass
class Follower:
    """A follower the sandbox knows by 微信号 (and the openid it has for this account)."""

    wxname: str
    openid: str
    nickname: str
    subscribed: bool = True


class SandboxState:
    """All mutable sandbox data plus the sandbox clock (real time + an adjustable offset)."""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self.seed = config.seed
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.reset()

    def reset(self) -> None:
        """Forget everything (tokens, material, drafts, sends, logs, forced errors, clock offset)."""
        with self.lock:
            self.offset = timedelta(0)
            self.rng = random.Random(self.seed)
            self.fault_rng = random.Random(self.seed * 7 + 1)
            self.fault_rate = self.config.fault_rate
            self.fault_kinds = ["busy", "http502", "slow", "reset"]
            self.callback_url = self.config.callback_url
            self.tokens: dict[str, Token] = {}
            self.stable_current: Token | None = None
            self.stable_forced: list[datetime] = []
            self.materials: dict[str, Material] = {}
            self.drafts: dict[str, Draft] = {}
            self.jobs: dict[tuple[str, str], Job] = {}
            self.articles_by_id: dict[str, Job] = {}
            self.clientmsgids: dict[str, Job] = {}
            self.published: list[PublishedArticle] = []
            self.calls: list[dict] = []
            self.events: list[dict] = []
            self.forced_errors: list[dict] = []
            self.forced_faults: list[dict] = []
            self.outcomes: dict[str, list[dict]] = {"freepublish": [], "mass": []}
            self.followers: dict[str, Follower] = {}
            for name in self.config.followers:
                self.add_follower(name)
            self.previews: list[dict] = []  # message/mass/preview deliveries, oldest first
            self.comments: dict[tuple[str, int], Any] = {}  # (msg_data_id, 0-based index) -> comment_store
            self.verify_expired_at: datetime | None = None  # verify_expired pushed; None = verified
            self.quota_limits: dict[str, int] = {}  # cgi_path -> enforced daily limit (/sandbox/quota)
            self.quota_used: dict[tuple[str, str], int] = {}  # (Beijing date, cgi_path) -> calls
            self.rids: dict[str, dict] = {}  # rid -> the request and answer it was sent with
            self.foreign_rids: set[str] = set()  # rids that "belong to another account" (76002)
            self._counter = 1000 + self.rng.randrange(1000)
            self.changed.notify_all()

    # ----- clock -----
    def now(self) -> datetime:
        """Sandbox time: timezone-aware UTC, real time plus the offset set by /sandbox/clock."""
        with self.lock:
            return datetime.now(timezone.utc) + self.offset

    def advance(self, seconds: float) -> datetime:
        """Move the sandbox clock forward (never backward) and return the new time."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self.lock:
            self.offset += timedelta(seconds=seconds)
            self.changed.notify_all()
            return self.now()

    def local_now(self) -> datetime:
        """Sandbox time in Asia/Shanghai (quota days and months follow Beijing time)."""
        return self.now().astimezone(SHANGHAI)

    def verified(self) -> bool:
        """False once a pushed verify_expired event's ExpiredTime has passed (until renewed)."""
        with self.lock:
            return self.verify_expired_at is None or self.now() < self.verify_expired_at

    # ----- identifiers -----
    def next_number(self) -> int:
        """A fresh, increasing number (publish_id, msg_id and msg_data_id share one series)."""
        with self.lock:
            self._counter += 1 + self.rng.randrange(7)
            return self._counter

    def new_msg_data_id(self) -> str:
        """A msg_data_id like the 10-digit numbers WeChat returns (datacube msgid prefix)."""
        return str(2247480000 + self.next_number())

    def random_id(self, length: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") -> str:
        """A seeded random identifier (media_id, article_id, token bodies)."""
        with self.lock:
            return "".join(self.rng.choice(alphabet) for _ in range(length))

    @staticmethod
    def rid() -> str:
        """A request id in the shape WeChat appends to errmsg."""
        return "-".join(secrets.token_hex(4) for _ in range(3))

    # ----- followers (message/mass/preview) -----
    def openid_of(self, wxname: str) -> str:
        """The openid this account has for ``wxname``: 28 characters, stable for appid + name."""
        import base64
        import hashlib

        digest = hashlib.sha256(f"{self.config.appid}:{wxname.lower()}".encode()).digest()
        return "o" + base64.urlsafe_b64encode(digest).decode()[:27]

    def add_follower(self, wxname: str, nickname: str = "", subscribed: bool = True) -> Follower:
        """Add (or update) a follower known by 微信号; names match case-insensitively."""
        with self.lock:
            follower = Follower(wxname=wxname, openid=self.openid_of(wxname),
                                nickname=nickname or wxname, subscribed=subscribed)
            self.followers[wxname.lower()] = follower
            return follower

    def follower(self, wxname: str | None = None, openid: str | None = None) -> Follower | None:
        """The known follower with this 微信号 (or openid), or None."""
        with self.lock:
            if wxname is not None:
                return self.followers.get(wxname.lower())
            return next((f for f in self.followers.values() if f.openid == openid), None)

    # ----- shared with datacube -----
    def published_articles(self) -> list[PublishedArticle]:
        """Every article made public so far (deleted ones included: their history stays)."""
        with self.lock:
            return list(self.published)

    def gh_id(self) -> str:
        """The account's original id (ToUserName of pushed events), derived from the appid."""
        import hashlib

        return "gh_" + hashlib.sha1(self.config.appid.encode()).hexdigest()[:12]
