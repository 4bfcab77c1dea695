"""Leases: one run of one worker per release, even among the threads of one scheduler."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from wxpub.worker import jobs

from wxpub.publishing import leases, pipeline as publish
from publishing_helpers import apply_and_approve, import_samples, make_due, plan_file


def test_each_job_run_gets_its_own_lease_identity():
    first, second = jobs.worker_id(), jobs.worker_id()
    assert first != second
    host, pid, _token = first.split(":")
    assert host == socket.gethostname() and int(pid) == os.getpid()


def test_a_second_run_in_the_same_process_cannot_claim_a_running_release(runtime, tmp_path):
    import_samples(runtime)
    [release_id] = apply_and_approve(runtime, plan_file(tmp_path, chapters=("市场环境",),
                                                        start=runtime.clock.now() + timedelta(hours=2)))
    make_due(runtime, [release_id])
    with runtime.db.session() as a, runtime.db.session() as b:
        assert leases.claim(a, release_id, jobs.worker_id(), runtime.clock.now()) is True
        # The periodic resume job, in another thread of the same scheduler, must not join in.
        assert leases.claim(b, release_id, jobs.worker_id(), runtime.clock.now()) is False


def test_a_dead_local_owner_is_taken_over_at_once(runtime, tmp_path):
    import_samples(runtime)
    [release_id] = apply_and_approve(runtime, plan_file(tmp_path, chapters=("市场环境",),
                                                        start=runtime.clock.now() + timedelta(hours=2)))
    make_due(runtime, [release_id])
    dead = f"{socket.gethostname()}:999999:deadbeef"  # no such pid
    with runtime.db.session() as s:
        assert leases.claim(s, release_id, dead, runtime.clock.now()) is True
    with runtime.db.session() as s:
        assert leases.claim(s, release_id, jobs.worker_id(), runtime.clock.now()) is True
