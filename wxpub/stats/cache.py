"""Process-local cache of the dashboard's figures, valid until the data behind them can have changed.

The dashboard's figures come from two kinds of writes only:

* a statistics pull (``wxpub.stats.ingest.pull``: the article totals, the daily rows, the account
  overview, the msgid → release mapping, and a failed pull's error row) — every pull, good or
  failed, adds ``StatPull`` rows in the transaction that stores its figures;
* a staff action on the library, the chapters, the series or a release (curation, import, rename,
  reorder, manual publication, …) — every one writes an ``AuditEntry`` in its own transaction.

The web reads the newest id of both tables in its one small query a request
(``wxpub.web.page_marks``: primary-key index lookups on SQLite and PostgreSQL). A cached value is
kept under a *generation* — that marker plus the Beijing date (the trend ends yesterday) — and the
first request that sees another generation starts a new one, so a new pull shows on the very next
request. The marker is read before the figures in the same session, so figures are never older
than the generation they are cached under.

Each ``Runtime`` (one database, one clock) has its own named caches (``for_runtime``): nothing
crosses databases, and each gunicorn worker process has its own copy. A cache is bounded (least
recently used entries go first) and thread-safe; a value missing under several threads at once is
computed by one of them while the others wait for it. A key must name everything the value depends
on besides the generation: the dashboard's keys name a page (and its month or article), never a
person — what it caches is what every staff member sees alike; the per-person frame of a page (menu,
counts, logout form) is rendered for each request. The one exception is added here, not by the
callers: the accounts visible in the request (``wxpub.accounts.scope``) are part of every key, so a
member of staff limited to one account never gets figures computed for someone who sees them all.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MAX_ENTRIES = 64  # overview, JSON, chapters, a few months' reports (each well under 100 kB)


class FigureCache:
    """A bounded LRU of computed values for one generation; thread-safe, one computation per key."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.generation: Hashable | None = None
        self.hits = self.misses = 0
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        """Forget every value (the next request of each key computes it again)."""
        with self._lock:
            self._values.clear()
            self.generation = None

    def get(self, generation: Hashable, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value of ``key`` in ``generation``: cached, or ``compute()``d once and kept.

        A request that sees another generation than the cached one starts it (dropping every
        value). A value computed under a generation that was replaced meanwhile is returned but
        not kept. An exception from ``compute`` is raised to its caller and nothing is kept.
        """
        from wxpub.accounts import scope

        key = (key, scope.current())  # figures differ per visible accounts
        while True:
            with self._lock:
                if generation != self.generation:
                    self.generation = generation
                    self._values.clear()
                if key in self._values:
                    self._values.move_to_end(key)
                    self.hits += 1
                    return self._values[key]
                waiting = self._pending.get(key)
                if waiting is None:
                    done = self._pending[key] = threading.Event()
                    self.misses += 1
                    break
            waiting.wait(timeout=30)  # another thread computes it; then look again
            with self._lock:
                if key not in self._values and self._pending.get(key) is waiting:
                    # the computing thread is stuck: compute it here too, without waiting again
                    self.misses += 1
                    done = None
                    break
        try:
            value = compute()
        except BaseException:
            self._finish(key, done)
            raise
        with self._lock:
            if generation == self.generation:
                self._values[key] = value
                self._values.move_to_end(key)
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
        self._finish(key, done)
        return value

    def _finish(self, key: Hashable, done: threading.Event | None) -> None:
        if done is None:
            return
        with self._lock:
            if self._pending.get(key) is done:
                del self._pending[key]
        done.set()


_caches: dict[int, tuple[weakref.ref, dict[str, FigureCache]]] = {}
_caches_lock = threading.Lock()


def for_runtime(runtime, name: str = "figures", max_entries: int = MAX_ENTRIES) -> FigureCache:
    """The ``FigureCache`` called ``name`` of ``runtime`` (created on first use with ``max_entries``,
    dropped with the runtime). Values kept under different markers need different names (a cache
    holds one generation), and large values a cache of their own with a smaller bound."""
    key = id(runtime)
    with _caches_lock:
        found = _caches.get(key)
        if found is None or found[0]() is not runtime:
            found = _caches[key] = (weakref.ref(runtime, lambda ref, key=key: _forget(key, ref)), {})
        caches = found[1]
        if name not in caches:
            caches[name] = FigureCache(max_entries)
        return caches[name]


def _forget(key: int, ref: weakref.ref) -> None:
    with _caches_lock:
        found = _caches.get(key)
        if found is not None and found[0] is ref:
            del _caches[key]
