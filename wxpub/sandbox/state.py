"""In-memory state of the WeChat emulator, guarded by one re-entrant lock.

Nothing is persisted: a restart forgets tokens, material, drafts and sends, as a fresh test
account would. Endpoint modules mutate these records only while holding `state.lock`.
`PublishedArticle`, `SandboxState.seed`, `.now()` and `.published_articles()` are the interface
the datacube module relies on; keep their names.
"""
from __future__ import annotations

import heapq
import random
import secrets
import threading
from contextlib import contextmanager
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


#: SandboxState attributes that belong to one account; on SandboxState they read and write the
#: current account's (see ``SandboxState.account``).
ACCOUNT_FIELDS = ("tokens", "stable_current", "stable_forced", "materials", "drafts", "jobs",
                  "articles_by_id", "clientmsgids", "published", "events", "followers", "previews",
                  "comments", "verify_expired_at", "quota_limits", "quota_used", "minute_limits",
                  "minute_used", "rids", "foreign_rids", "callback_url")


@dataclass
class AccountState:
    """What one emulated official account owns: its tokens, material, drafts, sends, followers,
    comments, quota counters (daily and per minute), rid records, verification and callback URL."""

    name: str
    config: SandboxConfig  # the sandbox config with this account's appid, secret, type, keys
    callback_url: str = ""
    tokens: dict[str, Token] = field(default_factory=dict)
    stable_current: Token | None = None
    stable_forced: list[datetime] = field(default_factory=list)
    materials: dict[str, Material] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    jobs: dict[tuple[str, str], Job] = field(default_factory=dict)
    articles_by_id: dict[str, Job] = field(default_factory=dict)
    clientmsgids: dict[str, Job] = field(default_factory=dict)
    published: list[PublishedArticle] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    followers: dict[str, Follower] = field(default_factory=dict)
    previews: list[dict] = field(default_factory=list)  # message/mass/preview deliveries, oldest first
    comments: dict[tuple[str, int], Any] = field(default_factory=dict)  # (msg_data_id, index) -> section
    verify_expired_at: datetime | None = None  # verify_expired pushed; None = verified
    quota_limits: dict[str, int] = field(default_factory=dict)  # cgi_path -> enforced daily limit
    quota_used: dict[tuple[str, str], int] = field(default_factory=dict)  # (Beijing date, path) -> calls
    minute_limits: dict[str, int] = field(default_factory=dict)  # cgi_path -> minute limit set at run time
    minute_used: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (minute number, calls)
    rids: dict[str, dict] = field(default_factory=dict)  # rid -> the request and answer it was sent with
    foreign_rids: set[str] = field(default_factory=set)  # rids marked "another account's" (76002)


class SandboxState:
    """All mutable sandbox data plus the sandbox clock (real time + an adjustable offset).

    Per-account data lives in ``accounts`` (appid -> AccountState). Which account a thread works
    on is thread-local: a request starts on the first account, the access-token check (or the
    token fetch's appid, or a control call's ``appid``) switches it; ``using(appid)`` switches for
    a block. ``state.drafts``, ``state.config`` … are the current account's, so endpoint modules
    read and write them as when the sandbox had one account. The clock, RNGs, faults, forced
    errors and outcomes and the call log are shared.
    """

    def __init__(self, config: SandboxConfig):
        self.base_config = config
        self.seed = config.seed
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._local = threading.local()
        self.reset()

    def reset(self) -> None:
        """Forget everything (tokens, material, drafts, sends, logs, forced errors, clock offset)."""
        with self.lock:
            self.offset = timedelta(0)
            self.rng = random.Random(self.seed)
            self.fault_rng = random.Random(self.seed * 7 + 1)
            self.fault_rate = self.base_config.fault_rate
            self.fault_kinds = ["busy", "http502", "slow", "reset"]
            self.calls: list[dict] = []
            self.forced_errors: list[dict] = []
            self.forced_faults: list[dict] = []
            self.outcomes: dict[str, list[dict]] = {"freepublish": [], "mass": []}
            self.accounts: dict[str, AccountState] = {}
            # Unfinished jobs of every account, soonest first: (due_at, number, appid, job). Finishing
            # due jobs pops them from here instead of scanning every account's jobs on each call.
            self.pending_jobs: list[tuple] = []
            for name, config in self.base_config.account_configs():
                self.accounts[config.appid] = AccountState(name=name, config=config,
                                                           callback_url=config.callback_url)
                with self.using(config.appid):
                    for wxname in config.followers:
                        self.add_follower(wxname)
            self._counter = 1000 + self.rng.randrange(1000)
            self.changed.notify_all()

    # ----- accounts -----
    @property
    def account(self) -> AccountState:
        """The account the current thread works on (the first one unless switched)."""
        found = self.accounts.get(getattr(self._local, "appid", None) or "")
        return found or next(iter(self.accounts.values()))

    @property
    def config(self) -> SandboxConfig:
        """The current account's config (sandbox-wide settings plus its appid, secret, type, keys)."""
        return self.account.config

    def select(self, appid: str | None) -> None:
        """Make ``appid`` (None: the first account) the current thread's account."""
        self._local.appid = appid

    @contextmanager
    def using(self, appid: str):
        """Work on account ``appid`` for the duration of the block."""
        previous = getattr(self._local, "appid", None)
        self._local.appid = appid
        try:
            yield self.accounts[appid]
        finally:
            self._local.appid = previous

    def add_job(self, key: tuple[str, str], job) -> None:
        """Keep ``job`` among the current account's jobs and in the queue of unfinished jobs."""
        with self.lock:
            self.jobs[key] = job
            heapq.heappush(self.pending_jobs, (job.due_at, int(job.job_id), self.config.appid, job))

    def find_token(self, value: str) -> tuple[str | None, Token | None]:
        """(appid, Token) of the account that issued access token ``value``, or (None, None)."""
        with self.lock:
            for appid, account in self.accounts.items():
                if value in account.tokens:
                    return appid, account.tokens[value]
            return None, None

    def rid_of_other_account(self, rid: str) -> bool:
        """True when ``rid`` was kept by an account other than the current one (76002)."""
        with self.lock:
            current = self.account
            return any(rid in a.rids for a in self.accounts.values() if a is not current)

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


def _account_field(name: str) -> property:
    return property(lambda self: getattr(self.account, name),
                    lambda self, value: setattr(self.account, name, value),
                    doc=f"The current account's ``{name}``.")


for _name in ACCOUNT_FIELDS:
    setattr(SandboxState, _name, _account_field(_name))
