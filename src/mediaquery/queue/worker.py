"""A worker: claims jobs from the job table and runs them, until stopped or (burst) drained."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from mediaquery.context import Context
from mediaquery.queue import jobs
from mediaquery.queue.tasks import ANALYZE, run_jobs
from mediaquery.queue.video_tasks import VIDEO, VIDEO_CHUNK, run_video_job

KINDS = (ANALYZE, VIDEO, VIDEO_CHUNK)

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
        self.id = jobs.worker_id(index)
        self.stop = stop or threading.Event()
        self.should_exit = should_exit
        self.processed = 0

    def run(self, burst: bool = False) -> int:
        """Process jobs; with burst=True return once nothing is runnable. Returns jobs run."""
        q = self.ctx.settings.queue
        while not self.stop.is_set() and not self.should_exit():
            batch = jobs.claim_many(self.ctx.engine, self.id, q.lease_seconds, KINDS, 1)
            if not batch:
                if burst:
                    break
                self.stop.wait(q.poll_interval)
                continue
            if batch[0].kind == ANALYZE and q.batch_size > 1:
                batch += jobs.claim_many(self.ctx.engine, self.id, q.lease_seconds, (ANALYZE,),
                                         q.batch_size - 1, share=max(1, q.workers))  # fmt: skip
            self._run_with_lease(batch)
            self.processed += len(batch)
        return self.processed

    def _run_with_lease(self, batch: list[jobs.Job]) -> None:
        lease = self.ctx.settings.queue.lease_seconds
        done = threading.Event()
        ids = [j.id for j in batch]

        def keep_alive() -> None:
            while not done.wait(lease / 3):
                jobs.renew(self.ctx.engine, ids, self.id, lease)

        renewer = threading.Thread(target=keep_alive, name=f"lease-{ids[0]}", daemon=True)
        renewer.start()
        try:
            if batch[0].kind == ANALYZE:
                run_jobs(self.ctx, batch)
            else:
                run_video_job(self.ctx, batch[0])
        finally:
            done.set()
            renewer.join()


def parent_watch() -> Callable[[], bool]:
    """A check that turns true when the process that started us has died (so we exit too)."""
    parent = os.getppid()
    return lambda: os.getppid() != parent
