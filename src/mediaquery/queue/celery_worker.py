"""A Celery worker that runs analysis jobs (no web app needed); `mediaquery worker` starts it."""

from __future__ import annotations

import os

from mediaquery.analyzers.registry import warn_unavailable
from mediaquery.config import Settings
from mediaquery.context import open_context
from mediaquery.errors import BadRequest
from mediaquery.logs import setup_logging

QUEUES = ("images", "videos")


def queue_names(settings: Settings, wanted: str) -> list[str]:
    """Broker queue names for a comma-separated choice of `images` and `videos`."""
    chosen = [q.strip() for q in wanted.split(",") if q.strip()]
    unknown = sorted(set(chosen) - set(QUEUES))
    if unknown or not chosen:
        raise BadRequest(f"--queues takes images and/or videos, not {','.join(unknown) or '-'}")
    names = {"images": settings.celery.image_queue, "videos": settings.celery.video_queue}
    return [names[q] for q in dict.fromkeys(chosen)]


def run_worker(settings: Settings, queues: list[str], concurrency: int) -> None:
    """Bring the index schema up to date, then consume `queues` with `concurrency` processes."""
    if not settings.broker_url:
        raise BadRequest("mediaquery worker needs a broker: set MEDIAQUERY_BROKER_URL")
    from mediaquery.queue.celery_app import make_celery

    setup_logging()
    ctx = open_context(settings)  # migrate once here; the forked processes connect anew
    try:
        warn_unavailable(ctx.analyzers)  # a missing model is said at start-up, not per job
    finally:
        ctx.close()
    argv = [
        "worker",
        "--queues",
        ",".join(queues),
        "--concurrency",
        str(concurrency),
        "--pool",
        "prefork",
        "--hostname",
        f"mediaquery-{os.getpid()}@%h",
        "--loglevel",
        os.environ.get("MEDIAQUERY_LOG_LEVEL", "INFO").upper(),
        "--without-gossip",
        "--without-mingle",
    ]
    make_celery(settings).worker_main(argv)
