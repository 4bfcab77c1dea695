"""Completion of asynchronous jobs (freepublish tasks, mass sends) on the sandbox clock.

A job submitted at sandbox time T finishes at T + publish_delay. `finish_due_jobs` is called by
the background worker, by /sandbox/clock after advancing, and by the polling endpoints, so the
answer never depends on which of them ran first.
"""
from __future__ import annotations

import heapq
import threading

from wxpub.sandbox import comment_store, events
from wxpub.sandbox.state import Job, PublishedArticle, SandboxState

ARTICLE_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


def article_url(state: SandboxState) -> str:
    """A permanent article URL like https://mp.weixin.qq.com/s/<22 chars>."""
    return "https://mp.weixin.qq.com/s/" + state.random_id(22, ARTICLE_ALPHABET)


def _publish_articles(state: SandboxState, job: Job, notified: bool) -> None:
    job.article_urls = [article_url(state) for _ in job.draft.articles]
    for idx, (article, url) in enumerate(zip(job.draft.articles, job.article_urls), start=1):
        state.published.append(PublishedArticle(
            msg_data_id=job.msg_data_id, idx=idx, title=article["title"], url=url,
            published_at=job.due_at, notified=notified))
        comment_store.register(state, job.msg_data_id, idx - 1, article, job.due_at)


def _finish(state: SandboxState, job: Job) -> None:
    job.finished = True
    job.finished_at = job.due_at
    if job.kind == "freepublish":
        if job.outcome.get("publish_status", 0) == 0:
            job.article_id = state.random_id(30, ARTICLE_ALPHABET)
            state.articles_by_id[job.article_id] = job
            _publish_articles(state, job, notified=False)
        else:
            state.drafts.setdefault(job.draft.media_id, job.draft)  # a failed job gives it back
        events.record_and_send(state, "PUBLISHJOBFINISH", job, events.publish_event_xml(state, job))
    else:
        job.status_text = job.outcome.get("status_text", "send success")
        if job.status_text == "send success":
            _publish_articles(state, job, notified=True)
        else:
            state.drafts.setdefault(job.draft.media_id, job.draft)
        events.record_and_send(state, "MASSSENDJOBFINISH", job, events.mass_event_xml(state, job))


def finish_due_jobs(state: SandboxState) -> int:
    """Finish every job whose time has come, in due order; return how many."""
    with state.lock:
        now = state.now()
        due = []
        while state.pending_jobs and state.pending_jobs[0][0] <= now:
            due.append(heapq.heappop(state.pending_jobs))
        for _due_at, _number, appid, job in due:  # each job is queued once, when submitted
            with state.using(appid):  # events go to this account's callback URL, with its keys
                _finish(state, job)
        return len(due)


class Worker:
    """Background thread finishing due jobs about every 50 ms of real time."""

    def __init__(self, state: SandboxState):
        self.state = state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="sandbox-jobs")

    def start(self) -> "Worker":
        """Start the thread (idempotent)."""
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to end and wait briefly for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            finish_due_jobs(self.state)
