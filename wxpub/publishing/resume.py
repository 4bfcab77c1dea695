"""The periodic publishing job: resume, confirm and prepare whatever the database says is due."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from wxpub.core.release_states import ACTIVE, State, Step
from wxpub.infra.runtime import Runtime
from wxpub.models import Release
from wxpub.publishing.pipeline import prepare_not_before, run_release

log = logging.getLogger("wxpub.publishing.resume")


def resume_and_confirm(rt: Runtime, *, worker) -> list[int]:
    """Resume releases whose worker died or whose retry is due, confirm submitted ones, and prepare
    (images, draft) those due within ``prepare_ahead``. ``worker()`` makes a fresh lease identity."""
    now = rt.clock.now()
    with rt.db.session() as session:
        # Leased rows are included: ``claim`` takes over leases of dead local workers (kill -9)
        # at once and skips live ones, so a restart does not wait for the lease to expire.
        ids = list(session.scalars(select(Release.id).where(
            Release.state.in_([s.value for s in ACTIVE]), Release.scheduled_at <= now,
            (Release.next_try_at.is_(None)) | (Release.next_try_at <= now))
            .order_by(Release.scheduled_at)))
        ahead = now + timedelta(seconds=rt.settings.prepare_ahead)
        prepare = list(session.scalars(select(Release.id).where(
            Release.state == State.APPROVED.value, Release.scheduled_at > now,
            Release.scheduled_at <= ahead, Release.step != Step.DRAFTED.value)
            .order_by(Release.scheduled_at)))
        # A preparation that just failed transiently waits out its backoff (WeChat may be down).
        prepare = [i for i in prepare if (prepare_not_before(session, i) or now) <= now]
    for release_id in ids:
        try:
            run_release(rt, release_id, worker=worker())
        except Exception:  # one broken release must not stop the others
            log.exception("release %s: pipeline error", release_id)
    for release_id in prepare:
        try:
            run_release(rt, release_id, worker=worker(), prepare=True)
        except Exception:
            log.exception("release %s: preparation error", release_id)
    return ids
