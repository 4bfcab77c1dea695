"""What a process needs to work: validated settings, the database and the clock.

The web app, the scheduler and every command build one ``Runtime`` at start-up; nothing is created at
import time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from wxpub.infra.clock import Clock, OffsetClock
from wxpub.infra.config import Settings
from wxpub.infra.db import Database


@dataclass
class Runtime:
    """Settings + database + clock, shared by the layers of one process."""

    settings: Settings
    db: Database
    clock: Clock = field(default_factory=Clock)
    _wechat: object = field(default=None, init=False, repr=False, compare=False)
    _wechat_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                         compare=False)
    _accounts: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def wechat(self):
        """The process's one WeChat facade: one HTTP session and token cache for every run.

        Built on first use (nothing connects before); built again only when ``settings`` were
        replaced, so a facade never works with stale credentials.
        """
        with self._wechat_lock:
            current = self._wechat
            if current is None or current.settings is not self.settings:
                from wxpub.wechat import WeChat

                current = self._wechat = WeChat(self.settings, self.db, clock=self.clock)
            return current

    def wechat_for(self, account):
        """The WeChat facade of ``account`` (a ``wxpub.models.Account``; None: the environment's).

        One per account and process, like ``wechat``; rebuilt when the account's stored
        credentials (or ``settings``) changed, so a rotated AppSecret takes effect at once. The
        environment's account shares ``wechat``'s facade."""
        from wxpub.accounts import credentials

        if account is None or (account.credentials_source == "env"
                               and account.appid == self.settings.appid):
            return self.wechat
        key = (credentials.fingerprint(account), id(self.settings))
        with self._wechat_lock:
            cached = self._accounts.get(account.id)
            if cached is not None and cached[0] == key:
                return cached[1]
        from wxpub.wechat import WeChat

        facade = WeChat(self.settings, self.db, clock=self.clock,
                        credentials=credentials.of(account, self.settings))
        with self._wechat_lock:
            self._accounts[account.id] = (key, facade)
        return facade

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> "Runtime":
        """Open the database named by ``settings`` (no connection is made until first use)."""
        if clock is None:
            clock = OffsetClock(timedelta(seconds=settings.clock_offset)) if settings.clock_offset else Clock()
        return cls(settings=settings, db=Database(settings.database_url), clock=clock)

    @classmethod
    def from_env(cls) -> "Runtime":
        """Read ``WXPUB_*`` from the environment; raises ``ConfigError`` naming a bad setting."""
        return cls.from_settings(Settings.from_env())
