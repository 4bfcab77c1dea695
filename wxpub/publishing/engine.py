"""The publishing engine of one scheduler process: claims due work in batches and runs it on a
bounded pool of worker threads, a bounded number per official account.

A dispatcher thread loops: free the leases of dead local processes (every few seconds), then claim
work while the pool has room — releases due now first (``FIRE``), then verdict questions that are
due (``VERDICT``), then preparations of releases due soon (``PREPARE``, every few seconds) — and
sleep until woken (a release falls due, a task finished) or a second has passed. Nothing waits for
WeChat's verdict in a thread: a submitted release rests in ``submitted`` until its next question is
due or WeChat's event settles it (``wxpub.publishing.steps.ask_once``).

Claims are leases in the database (``wxpub.publishing.claims``), so several scheduler processes on
PostgreSQL share a burst batch by batch, and a process that dies leaves nothing lost: its leases are
freed (at once on the same machine, after ``lease_seconds`` elsewhere) and another process takes the
releases up from their last committed step. A process claims only what it can start soon (twice its
pool), so it does not hoard a burst another scheduler could be working on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from wxpub.infra.runtime import Runtime
from wxpub.publishing.claims import Claimed, Work, claim_batch, free_dead_leases
from wxpub.publishing.leases import release_lease

log = logging.getLogger("wxpub.publishing.engine")
IDLE_SECONDS = 1.0          # the longest sleep of the dispatcher between two looks at the database
PREPARE_EVERY = 5.0         # seconds between two claims of preparation work
RECLAIM_EVERY = 5.0         # seconds between two looks for leases of dead local processes, idle
RECLAIM_BUSY = 1.0          # … and while there is work: a scheduler killed mid-burst holds releases
ORDER = (Work.FIRE, Work.VERDICT, Work.PREPARE)
FIRE_GROUP = 8              # prepared releases fired by one task (one transaction before, one after)


class Engine:
    """Claims and runs publishing work for one process; ``start`` it, ``wake`` it, ``stop`` it."""

    def __init__(self, rt: Runtime, *, worker_id, workers: int | None = None,
                 per_account: int | None = None, batch: int | None = None):
        settings = rt.settings
        self.rt, self.worker_id = rt, worker_id
        self.workers = int(workers or settings.publish_workers)
        self.per_account = int(per_account or settings.account_parallel)
        self.batch = int(batch or settings.claim_batch)
        self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="publish")
        # The submits of a fire group run here side by side: a slow answer for one account must
        # not hold up the others' (each group's transactions stay on its pool worker).
        self.callers = ThreadPoolExecutor(self.workers * 2, thread_name_prefix="publish-call")
        self.lock = threading.Lock()
        self.woken = threading.Event()
        self.stopped = threading.Event()
        self.lanes: dict[int, deque[Claimed]] = {}   # account id -> claimed, not started
        self.running: dict[int, int] = {}            # account id -> tasks in flight
        self.held = 0                                # claimed and not finished, all accounts
        self.thread: threading.Thread | None = None
        self._last = {"prepare": 0.0, "reclaim": 0.0}
        self._more_to_prepare = False

    # -- life cycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the dispatcher thread."""
        self.thread = threading.Thread(target=self._loop, name="publish-dispatcher", daemon=True)
        self.thread.start()

    def wake(self) -> None:
        """Look at the database now (a release is due, or work finished)."""
        self.woken.set()

    def stop(self, wait: bool = True) -> None:
        """Stop claiming; with ``wait``, let the running tasks finish (their leases are given back)."""
        self.stopped.set()
        self.woken.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.pool.shutdown(wait=wait, cancel_futures=True)
        if wait:  # not before the groups are done: a group still running needs its callers
            self.callers.shutdown()

    def _loop(self) -> None:
        while not self.stopped.is_set():
            try:
                self.dispatch()
            except Exception:  # the database may be restarting: look again in a moment
                log.exception("publishing dispatcher: claiming failed")
            self.woken.wait(IDLE_SECONDS)
            self.woken.clear()

    # -- claiming ----------------------------------------------------------------------------------
    def room(self, work: Work = Work.PREPARE) -> int:
        """How many more releases this process may claim now for ``work``: a group of fire work a
        worker, two single tasks a worker for the rest (one running, one waiting)."""
        limit = (FIRE_GROUP if work is Work.FIRE else 2) * self.workers
        with self.lock:
            return max(0, limit - self.held)

    def dispatch(self) -> int:
        """Claim what is due, as far as there is room, and start it; returns how many were claimed."""
        now_mono = time.monotonic()
        settings = self.rt.settings
        with self.lock:
            busy = self.held > 0
        if now_mono - self._last["reclaim"] >= (RECLAIM_BUSY if busy else RECLAIM_EVERY):
            self._last["reclaim"] = now_mono
            with self.rt.db.session() as session:
                freed = free_dead_leases(session, self.rt.clock.now())
            if freed:
                log.warning("freed %d release leases of a scheduler process that died", freed)
        # Preparation is looked for every few seconds, and at once again while the last look found
        # more than there was room for (a burst ahead: keep preparing as fast as tasks finish).
        prepare = self._more_to_prepare or now_mono - self._last["prepare"] >= PREPARE_EVERY
        if prepare:
            self._last["prepare"] = now_mono
        claimed = 0
        for work in ORDER:
            if work is Work.PREPARE and not prepare:
                continue
            while (room := self.room(work)) > 0:
                with self.rt.db.session() as session:
                    batch = claim_batch(session, work, owner=self.worker_id(), now=self.rt.clock.now(),
                                        limit=min(self.batch, room),
                                        lease=timedelta(seconds=settings.lease_seconds),
                                        ahead=timedelta(seconds=settings.prepare_ahead))
                claimed += len(batch)
                self._enqueue(batch)
                # A short batch means nothing more is due, except for fire work: there it may only
                # mean that another scheduler claimed some of the rows we looked at in the same
                # instant (they are re-checked once locked), so look again until none is left
                # rather than turn to verdicts in the middle of a burst.
                if not batch or (len(batch) < min(self.batch, room) and work is not Work.FIRE):
                    if work is Work.PREPARE:
                        self._more_to_prepare = False
                    break  # nothing more of this kind is due
            else:
                if work is Work.PREPARE and prepare:
                    self._more_to_prepare = True  # stopped for room, not for want of work
        return claimed

    def _enqueue(self, batch: list[Claimed]) -> None:
        with self.lock:
            self.held += len(batch)
            for item in batch:
                self.lanes.setdefault(item.account_id, deque()).append(item)
        self._start_ready()

    def _start_ready(self) -> None:
        """Start queued work of every account that has a free slot, fire work first."""
        ready: list[Claimed] = []
        with self.lock:
            for account_id, lane in list(self.lanes.items()):
                while lane and self.running.get(account_id, 0) < self.per_account:
                    item = _take_first(lane)
                    self.running[account_id] = self.running.get(account_id, 0) + 1
                    ready.append(item)
                if not lane:
                    del self.lanes[account_id]
        for task in _tasks(ready):
            try:
                self.pool.submit(self._run, task)
            except RuntimeError:  # shutting down: the lease expires or is freed as a dead one's
                self._finished(task)

    # -- running -----------------------------------------------------------------------------------
    def _run(self, task: list[Claimed]) -> None:
        """Run one task: a group of fire work (one owner), or one verdict or preparation."""
        from wxpub.publishing.fire import fire_group
        from wxpub.publishing.pipeline import run_claimed

        first = task[0]
        try:
            rest = [item.release_id for item in task]
            if first.work is Work.FIRE:
                rest = fire_group(self.rt, rest, owner=first.owner, call_map=self.callers.map)
            for release_id in rest:
                run_claimed(self.rt, release_id, worker=first.owner, prepare=first.work is Work.PREPARE)
        except Exception:  # one broken release must not stop the others
            log.exception("releases %s: %s failed", [item.release_id for item in task], first.work.value)
            for item in task:
                self._give_back(item)
        finally:
            self._finished(task)

    def _give_back(self, item: Claimed) -> None:
        """After an unexpected error: free the lease now rather than when it expires."""
        try:
            with self.rt.db.session() as session:
                release_lease(session, item.release_id, item.owner)
        except Exception:  # the database itself is the problem: the lease expires on its own
            log.exception("release %s: lease not given back", item.release_id)

    def _finished(self, task: list[Claimed]) -> None:
        with self.lock:
            for item in task:
                self.held -= 1
                left = self.running.get(item.account_id, 1) - 1
                if left > 0:
                    self.running[item.account_id] = left
                else:
                    self.running.pop(item.account_id, None)
        self._start_ready()
        self.wake()

    def idle(self) -> bool:
        """True when nothing is claimed or running (tests and drains)."""
        with self.lock:
            return self.held == 0


def _tasks(ready: list[Claimed]) -> list[list[Claimed]]:
    """Pool tasks for the items ready to start, fire work first: fire work in groups of up to
    ``FIRE_GROUP`` of one owner (one transaction before and one after their calls), the rest one
    item a task."""
    fire: dict[str, list[Claimed]] = {}
    for item in ready:
        if item.work is Work.FIRE:
            fire.setdefault(item.owner, []).append(item)
    tasks = [items[i:i + FIRE_GROUP] for items in fire.values() for i in range(0, len(items), FIRE_GROUP)]
    rest = sorted((item for item in ready if item.work is not Work.FIRE), key=lambda item: ORDER.index(item.work))
    return tasks + [[item] for item in rest]


def _take_first(lane: deque[Claimed]) -> Claimed:
    """The lane's most urgent item: fire work before verdicts before preparations."""
    best = min(range(len(lane)), key=lambda i: ORDER.index(lane[i].work))
    item = lane[best]
    del lane[best]
    return item


def drain(rt: Runtime, *, worker_id, timeout: float = 60.0) -> None:
    """Run the engine until nothing due is left to claim and nothing runs (operators, tests)."""
    engine = Engine(rt, worker_id=worker_id)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if engine.dispatch() == 0 and engine.idle():
                return
            while not engine.idle() and time.monotonic() < deadline:
                time.sleep(0.01)
    finally:
        engine.stop()
