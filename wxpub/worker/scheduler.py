"""The one scheduler process (``wxpub scheduler``; the Procfile's ``scheduler:`` role).

APScheduler 3 triggers work; the database decides it. Release jobs (one date job per approved
release, id ``release-<id>``) live in APScheduler's memory job store and are rebuilt from the
``releases`` table at start and every few seconds, so an approval, a new plan or a cancel made by
another process is picked up without a restart — and no job store is ever shared between
schedulers, as APScheduler requires. Periodic jobs (declared below as data) resume and confirm
releases, deliver the outbox, run pre-flight checks and pull statistics after 08:00 Beijing time.
Never start this inside web workers: a second scheduler by mistake still cannot double-publish
(releases are claimed in the database), but it wastes calls.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import select

from wxpub.core.release_states import State
from wxpub.infra.runtime import Runtime
from wxpub.models import Release
from wxpub.worker.jobs import Jobs

log = logging.getLogger("wxpub.worker.scheduler")
SYNC_SECONDS = 2
CONFIRM_SECONDS = 5
OUTBOX_SECONDS = 2
PREFLIGHT_SECONDS = 300
LIVENESS_SECONDS = 3600
JOB_PREFIX = "release-"


def periodic_jobs(rt: Runtime, jobs: Jobs, sync) -> list[tuple]:
    """The periodic jobs as data: (callable, trigger arguments, stable id)."""
    return [
        (sync, {"trigger": "interval", "seconds": SYNC_SECONDS,
                "next_run_time": datetime.now(timezone.utc)}, "sync-releases"),
        (jobs.resume_and_confirm, {"trigger": "interval", "seconds": CONFIRM_SECONDS}, "resume-and-confirm"),
        (jobs.deliver_outbox, {"trigger": "interval", "seconds": OUTBOX_SECONDS}, "deliver-outbox"),
        (jobs.preflight, {"trigger": "interval", "seconds": PREFLIGHT_SECONDS}, "preflight"),
        (jobs.check_liveness, {"trigger": "interval", "seconds": LIVENESS_SECONDS}, "account-liveness"),
        (jobs.pull_statistics, {"trigger": CronTrigger(hour="8-12", minute=30, timezone=rt.settings.timezone)},
         "pull-statistics"),
        (jobs.pull_comments, {"trigger": "interval", "minutes": rt.settings.comment_pull_minutes},
         "pull-comments"),
    ]


PERIODIC_IDS = frozenset({"sync-releases", "resume-and-confirm", "deliver-outbox", "preflight",
                          "pull-statistics", "account-liveness", "pull-comments"})


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


def build(rt: Runtime, *, sync_seconds: float = SYNC_SECONDS) -> BlockingScheduler:
    """A configured scheduler (not started) whose jobs are bound to ``rt``."""
    _quiet_overlaps()
    scheduler = BlockingScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone="UTC")
    jobs = Jobs(rt)

    def sync() -> dict:
        return sync_jobs(scheduler, rt, jobs)

    for func, trigger, job_id in periodic_jobs(rt, jobs, sync):
        if job_id == "sync-releases":
            trigger = {**trigger, "seconds": sync_seconds}
        scheduler.add_job(func, id=job_id, replace_existing=True, **trigger)
    return scheduler


def sync_jobs(scheduler, rt: Runtime, jobs: Jobs) -> dict:
    """Make the release jobs match the database: one date job per approved release at its due time."""
    with rt.db.session() as session:
        wanted = {f"{JOB_PREFIX}{r.id}": (r.id, r.next_try_at or r.scheduled_at)
                  for r in session.scalars(select(Release).where(Release.state == State.APPROVED.value))}
    existing = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(JOB_PREFIX)}
    added = moved = removed = 0
    for job_id, (release_id, due) in wanted.items():
        job = existing.get(job_id)
        if job is None:
            scheduler.add_job(jobs.run_release, DateTrigger(run_date=due), args=[release_id],
                              id=job_id, replace_existing=True)
            added += 1
        elif job.next_run_time is not None and job.next_run_time != due and job.trigger.run_date != due:
            scheduler.reschedule_job(job_id, trigger=DateTrigger(run_date=due))
            moved += 1
    for job_id in set(existing) - set(wanted):
        scheduler.remove_job(job_id)
        removed += 1
    if added or moved or removed:
        log.info("release jobs: %d added, %d moved, %d removed", added, moved, removed)
    return {"added": added, "moved": moved, "removed": removed}


def run(rt: Runtime) -> None:
    """Run the scheduler until SIGTERM/SIGINT (letting running jobs finish)."""
    scheduler = build(rt)

    def stop(signum, _frame):
        log.info("signal %s: stopping the scheduler", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler started (database: %s)", rt.db.engine.url.render_as_string(hide_password=True))
    scheduler.start()  # blocks; the sync job runs first thing (next_run_time=now)
