"""A worker: claims jobs from the job table and runs them, until stopped or (burst) drained."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from mediaquery.analyzers.registry import warn_unavailable
from mediaquery.context import Context
from mediaquery.index import jobs
from mediaquery.queue import kinds, orphans
from mediaquery.queue.memory import release_free_memory
from mediaquery.queue.tasks import record_failure

log = logging.getLogger(__name__)


class Worker:
    """Runs jobs one at a time; a background thread keeps the current job's lease alive."""

    def __init__(
        self,
        ctx: Context,
        index: int = 0,
        stop: threading.Event | None = None,
        should_exit: Callable[[], bool] = lambda: False,
    ) -> None:
        self.ctx = ctx
        self.index = index
        self.id = orphans.worker_id(index)
        self.stop = stop or threading.Event()
        self.should_exit = should_exit
        self.processed = 0

    def run(self, burst: bool = False) -> int:
        """Process jobs; with burst=True return once nothing is runnable. Returns jobs run."""
        q = self.ctx.settings.queue
        if self.index == 0:  # one worker of a pool says which analyzers cannot run
            warn_unavailable(self.ctx.analyzers)
        while not self.stop.is_set() and not self.should_exit():
            batch = jobs.claim_many(self.ctx.engine, self.id, q.lease_seconds, kinds.NAMES, 1)
            if not batch:
                if burst:
                    break
                self.stop.wait(q.poll_interval)
                continue
            kind = batch[0].kind
            if kinds.batched(kind) and q.batch_size > 1:
                more, share = q.batch_size - 1, max(1, q.workers)
                engine, lease = self.ctx.engine, q.lease_seconds
                batch += jobs.claim_many(engine, self.id, lease, (kind,), more, share=share)
            run_with_lease(self.ctx, self.id, batch)
            self.processed += len(batch)
        return self.processed


def run_with_lease(ctx: Context, worker: str, batch: list[jobs.Job]) -> None:
    """Run claimed jobs of one kind while a thread renews their lease.

    A job claimed more often than it may be tried never got to record a result: its worker
    died each time (a crash in a decoder, out of memory, kill -9). It fails for good with that
    reason instead of taking down worker after worker (poison media)."""
    for job in [j for j in batch if j.attempts > j.max_attempts]:
        reason = (
            f"Analysis failed after {job.max_attempts} attempts: the worker stopped "
            "(crashed or was killed) while analysing it"
        )
        record_failure(ctx, job, reason, retry=False)
    batch = [j for j in batch if j.attempts <= j.max_attempts]
    if not batch:
        return
    lease = ctx.settings.queue.lease_seconds
    done = threading.Event()
    ids = [j.id for j in batch]

    def keep_alive() -> None:
        while not done.wait(lease / 3):
            try:
                jobs.renew(ctx.engine, ids, worker, lease)
            except Exception:  # noqa: BLE001 - a busy or restarting database: try again
                log.warning("could not renew the lease of jobs %s", ids, exc_info=True)

    renewer = threading.Thread(target=keep_alive, name=f"lease-{ids[0]}", daemon=True)
    renewer.start()
    try:
        run_batch(ctx, batch)
    finally:
        done.set()
        renewer.join()
        release_free_memory()  # the batch's images and model buffers are garbage now


def run_batch(ctx: Context, batch: list[jobs.Job]) -> None:
    """Run claimed jobs of one kind with the runner of that kind (queue/kinds.py)."""
    run = kinds.runner(batch[0].kind)
    if run is None:  # queued by a newer version, or a kind since removed
        for job in batch:
            record_failure(ctx, job, f"Unknown job kind '{job.kind}'", retry=False)
        return
    run(ctx, batch)


def parent_watch() -> Callable[[], bool]:
    """A check that turns true when the process that started us has died (so we exit too)."""
    parent = os.getppid()
    return lambda: os.getppid() != parent
