"""Scheduler job functions: top-level, plain ids only, so APScheduler can store them by reference.

Each job builds (once per process) the runtime from the environment and calls a service; the
database decides what to do, the job only triggers it.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

from wxpub.infra.runtime import Runtime

log = logging.getLogger("wxpub.worker.jobs")
_runtime: Runtime | None = None


def worker_id() -> str:
    """A fresh identity for one run of a job: host, pid and a per-run token.

    Jobs of one scheduler run in parallel threads; each run must hold its own lease, or the periodic
    resume job could claim a release that the release's own job is still working on. The host and
    pid let a restarted scheduler on the same machine see that a lease's owner has died.
    """
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def runtime() -> Runtime:
    """The process-wide runtime (set by the scheduler at start, else read from the environment)."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_env()
    return _runtime


def use_runtime(rt: Runtime) -> None:
    """Make job functions use ``rt`` (the scheduler process and tests call this)."""
    global _runtime
    _runtime = rt


def run_release(release_id: int) -> None:
    """Fire one release: claim it and run (or resume) its publishing pipeline."""
    from wxpub.publishing.pipeline import run_release as run
    run(runtime(), release_id, worker=worker_id())


def resume_and_confirm() -> None:
    """Resume releases whose worker died, confirm submitted ones, retry transient failures."""
    from wxpub.publishing.pipeline import resume_and_confirm as work
    work(runtime(), worker=worker_id)


def preflight() -> None:
    """Pre-flight checks 24 hours and 1 hour before each release."""
    from wxpub.publishing.preflight import run_due_checks
    run_due_checks(runtime())


def pull_statistics() -> None:
    """The daily statistics pull (after 08:00 Beijing time, again while figures are provisional)."""
    from wxpub.stats import pull
    pull(runtime())
