"""Celery scale-out: a message names one job of the job table; a worker runs it if still due.

The job table stays the source of truth (state, attempts, leases, retries). A message only says
"job 42 may be runnable": the task claims exactly that job with a guarded update and runs it
with the functions the embedded worker uses, renewing its lease while it runs. A message for a
job that is done, deleted, not yet due or held by a live worker claims nothing, so duplicate
or late messages are harmless and the broker may deliver at least once."""

from __future__ import annotations

import logging
import os

from celery import Celery
from kombu import Exchange, Queue
from sqlalchemy.exc import SQLAlchemyError

from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.index import jobs
from mediaquery.queue import kinds, orphans
from mediaquery.queue.worker import run_with_lease

log = logging.getLogger(__name__)

TASK = "mediaquery.run_job"

_contexts: dict[int, Context] = {}


def make_celery(settings: Settings) -> Celery:
    """A Celery app for this configuration, with the one task that runs a job by id."""
    c = settings.celery
    queues = dict.fromkeys((c.image_queue, c.video_queue))  # one queue if both are named alike
    app = Celery("mediaquery", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        # a message is acknowledged when its job has ended, and given back if the worker dies
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # long ML jobs: a worker holds one message per process
        broker_transport_options={"visibility_timeout": c.visibility_timeout},
        broker_connection_retry_on_startup=True,
        # the lease, not the connection, decides who runs a job: keep running through a blip
        worker_cancel_long_running_tasks_on_connection_loss=False,
        # a direct exchange per queue: routing never depends on Celery's defaults
        task_queues=[Queue(q, Exchange(q, "direct"), routing_key=q) for q in queues],
        task_default_queue=c.image_queue,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
    )

    # A database that is briefly unreachable is retried by Celery with backoff; failures of
    # the analysis itself are retried by the job table (attempts, max_attempts, retry_delay).
    def run_job(job_id: int, kind: str) -> bool:
        """Run job `job_id` if it is still runnable (`kind` chose the queue)."""
        return run_message(_context(settings), job_id)

    retries = {"retry_backoff": True, "retry_backoff_max": 60, "max_retries": 10}
    app.task(name=TASK, autoretry_for=(SQLAlchemyError,), **retries)(run_job)
    return app


def run_message(ctx: Context, job_id: int) -> bool:
    """Claim the job a message names and run it; False when it was not runnable (no-op).

    A first try of a job of a batched kind (image analysis) takes up to
    `queue.batch_size - 1` other untried jobs of its kind along, as the embedded worker
    batches: one model call for several images costs much less on a CPU than one per image.
    Their own messages then find them taken. A retry runs alone, so media that crash their
    worker cannot take others down with them twice."""
    q = ctx.settings.queue
    worker = orphans.worker_id()
    taken = jobs.claim_ids(ctx.engine, worker, q.lease_seconds, [job_id])
    if not taken:
        log.debug("job %s is not runnable now: message ignored", job_id)
        return False
    kind = taken[0].kind
    if kinds.batched(kind) and taken[0].attempts == 1 and q.batch_size > 1:
        with ctx.engine.connect() as conn:
            more = jobs.untried_ids(conn, kind, q.batch_size - 1)
        taken += jobs.claim_ids(ctx.engine, worker, q.lease_seconds, more)
    run_with_lease(ctx, worker, taken)
    return True


def _context(settings: Settings) -> Context:
    """One context per worker process, opened after the fork (connections are not shared)."""
    pid = os.getpid()
    ctx = _contexts.get(pid)
    if ctx is None:
        _contexts.clear()
        ctx = _contexts[pid] = open_context(settings, run_migrations=False)
    return ctx


class Publisher:
    """Sends job messages to the broker, each to its kind's queue."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = make_celery(settings)

    def __call__(self, job_id: int, kind: str) -> None:
        """Publish one job message."""
        self.app.send_task(TASK, args=(job_id, kind), queue=kinds.broker_queue(self.settings, kind))

    def close(self) -> None:
        """Release the broker connections."""
        self.app.close()
