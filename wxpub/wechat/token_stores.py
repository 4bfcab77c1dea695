"""Where the shared access token lives: the database (default) or Redis. Always encrypted.

A store keeps one record per appid (ciphertext, expiry, fetch time, fetch count) and a refresh
lease that at most one process holds at a time:

* database: an atomic conditional ``UPDATE … WHERE refresh_until IS NULL OR refresh_until < now``
  (one statement, so it behaves the same on SQLite and PostgreSQL);
* Redis: ``SET lease NX PX``, released with a compare-and-delete script.

``expires_at = None`` next to a ciphertext marks a token someone saw rejected (40001/42001).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from wxpub.infra.clock import UTC
from wxpub.infra.db import Database
from wxpub.models import AccessToken


@dataclass(frozen=True)
class TokenRecord:
    """The stored state of one appid's token (``ciphertext`` never decrypted here)."""

    ciphertext: str | None
    expires_at: datetime | None
    fetched_at: datetime | None
    fetch_count: int


class TokenStore:
    """Interface of a token store; every method is atomic with respect to other processes."""

    def read(self) -> TokenRecord | None:
        """The current record, or None when no token was ever stored."""
        raise NotImplementedError

    def write(self, ciphertext: str, expires_at: datetime, fetched_at: datetime) -> None:
        """Store a freshly fetched token and count the fetch."""
        raise NotImplementedError

    def try_lease(self, owner: str, now: datetime, seconds: float) -> bool:
        """Take the refresh lease unless another owner holds an unexpired one."""
        raise NotImplementedError

    def release(self, owner: str) -> None:
        """Give the lease back if ``owner`` still holds it."""
        raise NotImplementedError

    def expire_if(self, ciphertext: str) -> bool:
        """Mark the token invalid if the store still holds exactly ``ciphertext``."""
        raise NotImplementedError


class DatabaseTokenStore(TokenStore):
    """The ``access_tokens`` table; one row per appid."""

    def __init__(self, database: Database, appid: str):
        self.database = database
        self.appid = appid
        self._row_ready = False

    def _ensure_row(self) -> None:
        if self._row_ready:
            return
        with self.database.session() as session:
            if session.get(AccessToken, self.appid) is None:
                session.add(AccessToken(appid=self.appid, fetch_count=0))
                try:
                    session.commit()
                except IntegrityError:  # another process created it first
                    session.rollback()
        self._row_ready = True

    def read(self) -> TokenRecord | None:
        with self.database.session() as session:
            row = session.execute(
                select(AccessToken.token_encrypted, AccessToken.expires_at,
                       AccessToken.fetched_at, AccessToken.fetch_count)
                .where(AccessToken.appid == self.appid)).first()
        if row is None:
            return None
        return TokenRecord(row[0], row[1], row[2], row[3] or 0)

    def _update(self, statement) -> int:
        with self.database.session() as session:
            result = session.execute(statement)
            session.commit()
            return result.rowcount

    def write(self, ciphertext: str, expires_at: datetime, fetched_at: datetime) -> None:
        self._ensure_row()
        self._update(update(AccessToken).where(AccessToken.appid == self.appid).values(
            token_encrypted=ciphertext, expires_at=expires_at, fetched_at=fetched_at,
            fetch_count=AccessToken.fetch_count + 1))

    def try_lease(self, owner: str, now: datetime, seconds: float) -> bool:
        self._ensure_row()
        return self._update(
            update(AccessToken)
            .where(AccessToken.appid == self.appid,
                   or_(AccessToken.refresh_until.is_(None), AccessToken.refresh_until < now))
            .values(refresh_owner=owner, refresh_until=now + timedelta(seconds=seconds))) == 1

    def release(self, owner: str) -> None:
        self._update(update(AccessToken).where(AccessToken.appid == self.appid,
                                               AccessToken.refresh_owner == owner)
                     .values(refresh_owner=None, refresh_until=None))

    def expire_if(self, ciphertext: str) -> bool:
        return self._update(update(AccessToken).where(AccessToken.appid == self.appid,
                                                      AccessToken.token_encrypted == ciphertext)
                            .values(expires_at=None)) == 1


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_EXPIRE_IF = """
if redis.call('HGET', KEYS[1], 'ciphertext') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'expires_at') return 1
end
return 0
"""


class RedisTokenStore(TokenStore):
    """A Redis hash ``<prefix>:access_token:<appid>`` and a lease key next to it."""

    def __init__(self, redis_client, appid: str, prefix: str = "wxpub"):
        self.redis = redis_client
        self.key = f"{prefix}:access_token:{appid}"
        self.lease_key = f"{prefix}:access_token_lease:{appid}"

    def read(self) -> TokenRecord | None:
        raw = self.redis.hgetall(self.key)
        if not raw:
            return None
        data = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                for k, v in raw.items()}

        def when(name: str) -> datetime | None:
            return datetime.fromtimestamp(float(data[name]), UTC) if data.get(name) else None

        return TokenRecord(data.get("ciphertext"), when("expires_at"), when("fetched_at"),
                           int(data.get("fetch_count", 0)))

    def write(self, ciphertext: str, expires_at: datetime, fetched_at: datetime) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.key, mapping={"ciphertext": ciphertext,
                                     "expires_at": repr(expires_at.timestamp()),
                                     "fetched_at": repr(fetched_at.timestamp())})
        pipe.hincrby(self.key, "fetch_count", 1)
        pipe.execute()

    def try_lease(self, owner: str, now: datetime, seconds: float) -> bool:
        return bool(self.redis.set(self.lease_key, owner, nx=True, px=max(int(seconds * 1000), 1)))

    def release(self, owner: str) -> None:
        self.redis.eval(_RELEASE, 1, self.lease_key, owner)

    def expire_if(self, ciphertext: str) -> bool:
        return bool(self.redis.eval(_EXPIRE_IF, 1, self.key, ciphertext))
