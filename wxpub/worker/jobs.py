"""What the scheduler process runs: one object holding the runtime, one method per job.

APScheduler only triggers; every job asks the database what to do. Jobs live in APScheduler's
memory job store and receive the runtime through this object (no module globals), so several
runtimes — two schedulers in one test, say — never share state.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

from wxpub.infra.runtime import Runtime

log = logging.getLogger("wxpub.worker.jobs")


def worker_id() -> str:
    """A fresh identity for one run of a job: host, pid and a per-run token.

    Jobs of one scheduler run in parallel threads; each run must hold its own lease, or the periodic
    resume job could claim a release that the release's own job is still working on. The host and
    pid let a restarted scheduler on the same machine see that a lease's owner has died.
    """
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Jobs:
    """The scheduler's jobs, bound to one runtime."""

    def __init__(self, rt: Runtime):
        self.rt = rt

    def preflight(self) -> None:
        """Pre-flight checks 24 hours and 1 hour before each release."""
        from wxpub.publishing.preflight import run_due_checks
        run_due_checks(self.rt)

    def check_liveness(self) -> None:
        """The two-week silence rule: an alert when the account goes too long without publishing."""
        from wxpub.releases.liveness import check
        check(self.rt)

    def pull_statistics(self) -> None:
        """The daily statistics pull (after 08:00 Beijing time, again while figures are provisional).

        No back-fill, so no quota read: a handful of calls. A refusal (48001, 47009, 45009 …) stops
        the pull without retry; the failed call is already in the call log for the dashboard, so
        it is logged here as a warning (with its explanation and rid), not as a crash.
        """
        from wxpub.stats import pull_every_account
        from wxpub.stats.failures import StatsPullError
        for code, outcome in pull_every_account(self.rt).items():
            if isinstance(outcome, StatsPullError):
                log.warning("statistics pull of account %s stopped: %s", code, outcome.message)

    def pull_comments(self) -> None:
        """Readers' comments (留言) of every followed article, then the unanswered-too-long check."""
        from wxpub.comments.pull import pull
        pull(self.rt)

    def deliver_outbox(self) -> None:
        """Send committed alerts (webhooks) — never inside a lease or a transaction."""
        from wxpub.notify.outbox import deliver_due
        deliver_due(self.rt, worker=worker_id())
