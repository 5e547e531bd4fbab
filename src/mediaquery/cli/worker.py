"""`mediaquery worker`: run analysis jobs from the broker as a Celery worker."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaquery.cli.options import DataDir
from mediaquery.config import load_settings
from mediaquery.queue.celery_worker import queue_names, run_worker


def worker(
    data_dir: DataDir = None,
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
    names = queue_names(settings, queues)
    run_worker(settings, names, concurrency or settings.celery.concurrency)
