"""The embedded worker pool keeps its processes alive and frees a dead worker's job at once."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

from sqlalchemy import update

from mediaquery.config import Settings
from mediaquery.context import open_context
from mediaquery.index import jobs
from mediaquery.index.tables import jobs as jobs_table
from mediaquery.queue import orphans
from mediaquery.queue.kinds import ANALYZE
from mediaquery.queue.local import WorkerPool


def test_a_killed_worker_is_replaced_and_its_job_requeued(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"], workers=1)
    ctx = open_context(settings)
    with ctx.engine.begin() as conn:
        jobs.enqueue(conn, ANALYZE, "a.jpg", "etag", 3)
        # held by nobody yet, with a long lease: no worker may take it before the crash
        conn.execute(update(jobs_table).values(state=jobs.RUNNING, locked_until=time.time() + 3600))
    recovered: list[int] = []
    pool = WorkerPool(settings, lambda: recovered.append(orphans.recover_orphans(ctx.engine)))
    pool.start()
    try:
        first = pool._procs[0]
        host = orphans.worker_id().split(":")[0]
        with ctx.engine.begin() as conn:  # the worker took the job, then crashed mid-way
            conn.execute(update(jobs_table).values(locked_by=f"{host}:{first.pid}:0"))
        assert first.pid is not None
        os.kill(first.pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while not recovered and time.monotonic() < deadline:
            time.sleep(0.1)
        assert recovered == [1]  # requeued now, not when the hour-long lease runs out
        assert pool._procs[0].pid != first.pid
        while pool.alive < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pool.alive == 1
    finally:
        pool.stop()
        ctx.close()
