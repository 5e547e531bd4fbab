"""`mediaquery worker`: a Celery worker that runs analysis jobs (no web app needed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mediaquery.config import Settings, load_settings
from mediaquery.context import open_context
from mediaquery.errors import BadRequest, MediaQueryError
from mediaquery.logs import setup_logging
from mediaquery.models.startup import warn_unavailable

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
        "worker", "--queues", ",".join(queues), "--concurrency", str(concurrency),
        "--pool", "prefork", "--hostname", f"mediaquery-{os.getpid()}@%h",
        "--loglevel", os.environ.get("MEDIAQUERY_LOG_LEVEL", "INFO").upper(),
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    make_celery(settings).worker_main(argv)


def worker(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", "-d", help="Data folder [env MEDIAQUERY_DATA_DIR]")
    ] = None,
    queues: Annotated[
        str, typer.Option(help="Queues to consume: images, videos or images,videos")
    ] = "images,videos",
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes [env MEDIAQUERY_CELERY__CONCURRENCY]"),
    ] = None,
) -> None:
    """Run analysis jobs from the broker (MEDIAQUERY_BROKER_URL) as a Celery worker."""
    settings = load_settings(data_dir=data_dir)
    try:
        names = queue_names(settings, queues)
        run_worker(settings, names, concurrency or settings.celery.concurrency)
    except MediaQueryError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
