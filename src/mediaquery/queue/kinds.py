"""Job kinds: the one list of what a job can be, which media type it analyses, which broker
queue carries it and which function runs it.

Ingest picks a kind with `for_media`; the embedded worker and Celery workers run a claimed
batch with `runner`. A runner is named as `module:function` and imported on first use, so
ingest (and the API that calls it) never loads analyzers or video decoders.

To add a kind: write its runner, a function `(ctx, batch)` that ends each job with
`index.jobs.finish` or `queue.tasks.record_failure`, and add a `JobKind` to `KINDS`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Literal, cast

from mediaquery.domain import MediaType
from mediaquery.index.jobs import Job

if TYPE_CHECKING:
    from mediaquery.config import Settings
    from mediaquery.context import Context

Runner = Callable[["Context", Sequence[Job]], None]

ANALYZE = "analyze"
VIDEO = "video"
VIDEO_CHUNK = "video_chunk"


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    runner: str  # "module:function" of its Runner
    queue: Literal["image", "video"]  # broker queue: settings.celery.image_queue / video_queue
    media_type: MediaType | None = None  # new or changed media of this type get this kind
    batch: bool = False  # a worker runs several due jobs of this kind together


KINDS: dict[str, JobKind] = {
    k.name: k
    for k in (
        JobKind(ANALYZE, "mediaquery.queue.tasks:run_jobs", "image", MediaType.IMAGE, batch=True),
        JobKind(VIDEO, "mediaquery.queue.video_tasks:run_plans", "video", MediaType.VIDEO),
        JobKind(VIDEO_CHUNK, "mediaquery.queue.video_tasks:run_chunks", "video"),
    )
}
NAMES = tuple(KINDS)


def for_media(media_type: str) -> str:
    """The kind of job that analyses new or changed media of this type."""
    for kind in KINDS.values():
        if kind.media_type == media_type:
            return kind.name
    raise ValueError(f"No job kind analyses media of type '{media_type}'")


def batched(kind: str) -> bool:
    """True when due jobs of this kind run together in one batch."""
    spec = KINDS.get(kind)
    return spec is not None and spec.batch


def broker_queue(settings: Settings, kind: str) -> str:
    """The broker queue for a kind: image jobs never wait behind long videos."""
    spec = KINDS.get(kind)
    image = spec is not None and spec.queue == "image"
    return settings.celery.image_queue if image else settings.celery.video_queue


def runner(kind: str) -> Runner | None:
    """The function that runs a batch of this kind, or None for a kind this version lacks."""
    spec = KINDS.get(kind)
    if spec is None:
        return None
    module, _, function = spec.runner.partition(":")
    return cast(Runner, getattr(import_module(module), function))
