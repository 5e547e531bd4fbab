"""Video jobs: plan a video into time chunks (fan-out), analyse each chunk, merge (fan-in).

A chunk's result is stored as soon as it is done, so a crash costs at most one chunk, and
several workers can analyse chunks of one long video at once. Whoever finishes the last chunk
merges the parts and stores the findings."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from mediaquery.analyzers.faces import FacesAnalyzer
from mediaquery.analyzers.registry import ready
from mediaquery.context import Context
from mediaquery.domain import MediaType, Status
from mediaquery.errors import AnalysisError, NotFound
from mediaquery.index import chunks, events, jobs, repo
from mediaquery.index.db import write_tx
from mediaquery.index.faces import replace_faces
from mediaquery.index.jobs import Job
from mediaquery.index.metadata import save_metadata
from mediaquery.index.video import save_video
from mediaquery.metadata.extract import extract
from mediaquery.people.cluster import assign as assign_faces
from mediaquery.queue import stored_video
from mediaquery.queue.kinds import VIDEO_CHUNK
from mediaquery.queue.tasks import record_failure
from mediaquery.video.analyze import analyze_video, merge_results
from mediaquery.video.checkpoint import result_from_json, result_to_json
from mediaquery.video.decode import probe

log = logging.getLogger(__name__)


def run_plans(ctx: Context, batch: Sequence[Job]) -> None:
    """Runner of `video` jobs: plan each video into chunk jobs."""
    for job in batch:
        _run(ctx, job, plan)


def run_chunks(ctx: Context, batch: Sequence[Job]) -> None:
    """Runner of `video_chunk` jobs: analyse each chunk, merging the video after its last."""
    for job in batch:
        _run(ctx, job, analyze_chunk)


def _run(ctx: Context, job: Job, step: Callable[[Context, Job], None]) -> None:
    """Run one video job, recording a retry or a final failure."""
    try:
        step(ctx, job)
    except AnalysisError as exc:
        record_failure(ctx, job, exc.message, retry=False)
    except Exception as exc:  # noqa: BLE001 - anything else is retried, then recorded
        log.exception("video job %s for %s failed", job.id, job.media_name)
        record_failure(ctx, job, f"{type(exc).__name__}: {exc}", retry=True)


@contextmanager
def _fetched(ctx: Context, name: str) -> Iterator[Path]:
    """The video as a local file (a temporary copy for a remote bucket)."""
    try:
        with ctx.storage.fetch(name) as path:
            yield path
    except NotFound as exc:
        raise AnalysisError(f"Media file ({name}) disappeared before it was analysed") from exc


def plan(ctx: Context, job: Job) -> None:
    """Probe the video, record its stream facts and queue one job per time chunk."""
    with ctx.engine.connect() as conn:
        if not _current(conn, job):
            return _finish(ctx, job)
    with _fetched(ctx, job.media_name) as path:
        info = probe(path)
        meta = extract(path, MediaType.VIDEO, ctx.settings.metadata.store_location)
    chunk_ms = int(ctx.settings.video.chunk_seconds * 1000)
    duration = info.duration_ms or 0
    bounds = [(s, min(s + chunk_ms, duration)) for s in range(0, duration, chunk_ms)] or [(0, 0)]
    with write_tx(ctx.engine) as conn:
        row = _current(conn, job)
        if row is None or row.status == str(Status.DONE):
            jobs.finish(conn, job.id)
            return None
        chunks.keep_version(conn, row.id, job.etag)
        known = chunks.finished(conn, row.id)
        busy = _active_chunks(conn, job)
        for i, (start, end) in enumerate(bounds):
            if i not in known:
                chunks.add(conn, row.id, job.etag, i, start, end)
            if not known.get(i) and i not in busy:  # resumed: finished chunks are kept
                tries, params = ctx.settings.queue.max_attempts, {"chunk": i}
                jobs.enqueue(conn, VIDEO_CHUNK, job.media_name, job.etag, tries, params=params)
        finished = sum(known.values())
        video = {**dataclasses.asdict(info), "chunks": len(bounds)}
        progress = _progress(finished, len(bounds))
        chunks.start_video(conn, row.id, video, info.width, info.height, progress)
        save_metadata(conn, job.media_name, job.etag, meta)
        jobs.finish(conn, job.id)
        if finished == len(bounds):
            _fan_in(ctx, conn, job)  # every chunk was done before a crash: only merge
    return None


def _active_chunks(conn: Connection, job: Job) -> set[int]:
    params = jobs.active_params(conn, VIDEO_CHUNK, job.media_name, job.etag)
    return {int(p["chunk"]) for p in params}


def analyze_chunk(ctx: Context, job: Job) -> None:
    """Analyse one time chunk; the last chunk to finish merges and stores the whole video."""
    index = int((job.params or {})["chunk"])
    with ctx.engine.connect() as conn:
        row = _current(conn, job)
        chunk = chunks.get(conn, row.id, job.etag, index) if row else None
    if row is None or chunk is None:
        return _finish(ctx, job)
    if chunk.result is None:
        v = ctx.settings.video
        where = stored_video.location(ctx, job.media_name)
        in_place = stored_video.labelers(ready(ctx.analyzers), where)  # not sent frames
        frames = [a for a in ready(ctx.analyzers) if a not in in_place]  # a missing model: skip
        cheap = [a for a in frames if not a.per_shot]
        expensive = [a for a in frames if a.per_shot]
        report = _Progress(ctx, row.id, chunk.start_ms, row.video or {})
        with _fetched(ctx, job.media_name) as path:
            result = analyze_video(
                path,
                cheap,
                expensive,
                interval_ms=v.sample_interval_ms,
                start_ms=chunk.start_ms,
                end_ms=chunk.end_ms or None,
                budget_s=v.budget_seconds,
                progress=report,
                min_confidence=ctx.settings.labels.default_min_confidence,
            )
        if in_place and where and index == 0:  # the whole video, once
            result = stored_video.with_stored_labels(ctx, result, in_place, where, row.etag)
        with write_tx(ctx.engine) as conn:
            chunks.save_result(conn, row.id, job.etag, index, result_to_json(result))
    with write_tx(ctx.engine) as conn:
        jobs.finish(conn, job.id)
        _fan_in(ctx, conn, job)
    return None


def _fan_in(ctx: Context, conn: Connection, job: Job) -> None:
    row = _current(conn, job)
    if row is None or row.status == str(Status.DONE):
        return
    parts = chunks.results(conn, row.id, job.etag)
    done = [p for p in parts if p is not None]
    if len(done) < len(parts):
        chunks.set_progress(conn, row.id, _progress(len(done), len(parts)))
        return
    merged = merge_results(
        [result_from_json(p) for p in done], ctx.settings.video.sample_interval_ms
    )
    provenance = [(a.name, a.version) for a in ready(ctx.analyzers)]
    labels = save_video(conn, row, merged, provenance, floor=ctx.settings.labels.floor)
    if any(name == FacesAnalyzer.name for name, _ in provenance):  # a shot's faces join people
        assign_faces(conn, replace_faces(conn, row.id, FacesAnalyzer.name, merged.faces))
    analyzers = [n for n, _ in provenance]
    done_event = {"status": "done", "etag": row.etag, "labels": labels, "analyzers": analyzers}
    events.emit(conn, events.MEDIA_DONE, row.name, **done_event)


class _Progress:
    """Writes a chunk's progress to the index at most every two seconds."""

    def __init__(self, ctx: Context, media_id: int, start_ms: int, video: dict[str, Any]) -> None:
        self.ctx, self.media_id, self.start_ms = ctx, media_id, start_ms
        self.duration = int(video.get("duration_ms") or 0)
        self.chunks = int(video.get("chunks") or 1)
        self.last = 0.0

    def __call__(self, percent: float) -> None:
        now = time.monotonic()
        if now - self.last < 2.0 or self.chunks != 1:
            return  # with several chunks, progress counts finished chunks
        self.last = now
        with write_tx(self.ctx.engine) as conn:
            chunks.set_progress(conn, self.media_id, round(min(99.0, percent), 1))


def _progress(done: int, total: int) -> float:
    return round(100.0 * done / max(1, total), 1)


def _current(conn: Connection, job: Job) -> repo.MediaRow | None:
    row = repo.get_media(conn, job.media_name)
    return row if row is not None and row.etag == job.etag else None


def _finish(ctx: Context, job: Job) -> None:
    with write_tx(ctx.engine) as conn:
        jobs.finish(conn, job.id)
