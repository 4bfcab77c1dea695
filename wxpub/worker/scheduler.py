"""A scheduler process (``wxpub scheduler``; the Procfile's ``scheduler:`` role). Run one, or several
on PostgreSQL to share the load: they claim work from the database, never from each other.

APScheduler triggers; the database decides. Publishing runs in the process's engine
(``wxpub.publishing.engine``), which claims due work in batches and never waits for WeChat's verdict
in a thread. APScheduler wakes the engine at each planned time: every few seconds the ``sync-wakes``
job reads the distinct planned times of the next minute (an indexed query, however many releases are
planned further ahead) and keeps one date job per instant, so a release fires at its second and an
approval, a new plan or a move made by another process is picked up without a restart. Its memory
job store is never shared between schedulers, as APScheduler requires. Periodic jobs (declared
below as data) deliver the outbox, run pre-flight checks, watch for silence and pull statistics and
comments.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta, timezone

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import select

from wxpub.core.release_states import State
from wxpub.infra.runtime import Runtime
from wxpub.models import Release
from wxpub.publishing.engine import Engine
from wxpub.worker.jobs import Jobs, worker_id

log = logging.getLogger("wxpub.worker.scheduler")
SYNC_SECONDS = 2
HORIZON_SECONDS = 60        # how far ahead sync-wakes looks for planned times
OUTBOX_SECONDS = 2
PREFLIGHT_SECONDS = 300
LIVENESS_SECONDS = 3600
WAKE_PREFIX = "wake-"


def periodic_jobs(rt: Runtime, jobs: Jobs, sync) -> list[tuple]:
    """The periodic jobs as data: (callable, trigger arguments, stable id)."""
    return [
        (sync, {"trigger": "interval", "seconds": SYNC_SECONDS,
                "next_run_time": datetime.now(timezone.utc)}, "sync-wakes"),
        (jobs.deliver_outbox, {"trigger": "interval", "seconds": OUTBOX_SECONDS}, "deliver-outbox"),
        (jobs.preflight, {"trigger": "interval", "seconds": PREFLIGHT_SECONDS}, "preflight"),
        (jobs.check_liveness, {"trigger": "interval", "seconds": LIVENESS_SECONDS}, "account-liveness"),
        (jobs.pull_statistics, {"trigger": CronTrigger(hour="8-12", minute=30, timezone=rt.settings.timezone)},
         "pull-statistics"),
        (jobs.pull_comments, {"trigger": "interval", "minutes": rt.settings.comment_pull_minutes},
         "pull-comments"),
    ]


PERIODIC_IDS = frozenset({"sync-wakes", "deliver-outbox", "preflight", "pull-statistics",
                          "account-liveness", "pull-comments"})


class _QuietOverlaps(logging.Filter):
    """Drop APScheduler's "skipped: maximum number of running instances reached" for our periodic
    jobs. A periodic run that outlasts its interval (the resume job waiting on a slow WeChat, say)
    simply means the next tick is not needed: the running one does the work. Logged as a warning,
    that line came every few seconds while WeChat was down and buried the real alerts. A skipped
    release job is still reported."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "maximum number of running instances" not in str(record.msg):
            return True
        job = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return getattr(job, "id", None) not in PERIODIC_IDS


def _quiet_overlaps() -> None:
    logger = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _QuietOverlaps) for f in logger.filters):
        logger.addFilter(_QuietOverlaps())


class PublishingScheduler(BlockingScheduler):
    """APScheduler's blocking scheduler with the process's publishing engine.

    APScheduler's ``shutdown`` holds its job-store lock while it waits for running jobs, and
    ``sync-wakes`` takes that lock to add and remove wake jobs: a sync starting at that moment would
    wait for the lock while shutdown waits for it, for ever. So shutdown first closes the sync gate
    (waiting for a sync in progress, which can still finish) and stops the engine claiming; a sync
    that comes later sees the gate closed and touches nothing.
    """

    def __init__(self, engine: Engine, **options):
        super().__init__(**options)
        self.engine = engine
        self.sync_gate = threading.Lock()
        self.closing = False

    def shutdown(self, wait: bool = True) -> None:
        with self.sync_gate:
            if self.closing:
                return  # a second signal while stopping
            self.closing = True
        self.engine.stop(wait=False)
        super().shutdown(wait)
        if wait:
            self.engine.stop(wait=True)  # let running publishing tasks finish and give leases back


def build(rt: Runtime, *, sync_seconds: float = SYNC_SECONDS) -> PublishingScheduler:
    """A configured scheduler (not started) whose jobs are bound to ``rt``; its publishing engine
    is ``scheduler.engine``, started and stopped with it."""
    _quiet_overlaps()
    engine = Engine(rt, worker_id=worker_id)
    scheduler = PublishingScheduler(
        engine,
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone="UTC")
    jobs = Jobs(rt)

    def sync() -> dict:
        with scheduler.sync_gate:
            if scheduler.closing:
                return {"wakes": 0}
            return sync_wakes(scheduler, rt, engine)

    for func, trigger, job_id in periodic_jobs(rt, jobs, sync):
        if job_id == "sync-wakes":
            trigger = {**trigger, "seconds": sync_seconds}
        scheduler.add_job(func, id=job_id, replace_existing=True, **trigger)

    def on_start(event) -> None:
        if engine.thread is None:
            engine.start()

    scheduler.add_listener(on_start, EVENT_SCHEDULER_STARTED)
    return scheduler


def sync_wakes(scheduler, rt: Runtime, engine: Engine) -> dict:
    """One date job per distinct planned time of the next ``HORIZON_SECONDS`` that wakes the engine."""
    now = rt.clock.now()
    with rt.db.session() as session:
        due = set(session.scalars(select(Release.scheduled_at).where(
            Release.state == State.APPROVED.value, Release.scheduled_at > now,
            Release.scheduled_at <= now + timedelta(seconds=HORIZON_SECONDS)).distinct()))
    wanted = {f"{WAKE_PREFIX}{at.timestamp():.3f}": at for at in due}
    existing = {job.id for job in scheduler.get_jobs() if job.id.startswith(WAKE_PREFIX)}
    for job_id in wanted.keys() - existing:
        scheduler.add_job(engine.wake, DateTrigger(run_date=wanted[job_id]), id=job_id, replace_existing=True)
    for job_id in existing - wanted.keys():
        scheduler.remove_job(job_id)  # moved or canceled meanwhile
    return {"wakes": len(wanted)}


def run(rt: Runtime) -> None:
    """Run the scheduler until SIGTERM/SIGINT (letting running jobs finish)."""
    scheduler = build(rt)

    def stop(signum, _frame):
        # Shut down from a thread: the signal may arrive while this (main) thread holds APScheduler's
        # job-store lock, and shutdown waits for a sync in progress that may want that lock.
        log.info("signal %s: stopping the scheduler", signum)
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": False}, name="shutdown").start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started (database: %s; %d publishing workers, %d per account)",
             rt.db.engine.url.render_as_string(hide_password=True), scheduler.engine.workers,
             scheduler.engine.per_account)
    scheduler.start()  # blocks; the sync job runs first thing (next_run_time=now)
