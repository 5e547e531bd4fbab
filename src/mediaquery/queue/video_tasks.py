"""Video jobs: plan a video into time chunks (fan-out), analyse each chunk, merge (fan-in).

A chunk's result is stored as soon as it is done, so a crash costs at most one chunk, and
several workers can analyse chunks of one long video at once. Whoever finishes the last chunk
merges the parts and stores the findings."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from mediaquery.analyzers.faces import FacesAnalyzer
from mediaquery.analyzers.registry import ready
from mediaquery.context import Context
from mediaquery.domain import MediaType, Status
from mediaquery.errors import AnalysisError, NotFound
from mediaquery.index import repo
from mediaquery.index.db import write_tx
from mediaquery.index.faces import replace_faces
from mediaquery.index.metadata import save_metadata
from mediaquery.index.tables import jobs as jobs_table
from mediaquery.index.tables import media, video_chunks
from mediaquery.index.video import save_video
from mediaquery.metadata.extract import extract
from mediaquery.notify import events
from mediaquery.people.cluster import assign as assign_faces
from mediaquery.queue import jobs, stored_video
from mediaquery.queue.jobs import Job
from mediaquery.queue.tasks import record_failure

log = logging.getLogger(__name__)

VIDEO = "video"
VIDEO_CHUNK = "video_chunk"


def run_video_job(ctx: Context, job: Job) -> None:
    """Run a video plan or chunk job, recording a retry or a final failure."""
    try:
        if job.kind == VIDEO:
            plan(ctx, job)
        else:
            analyze_chunk(ctx, job)
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
    from mediaquery.video.decode import probe

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
        conn.execute(delete(video_chunks).where(video_chunks.c.media_id == row.id,
                                                video_chunks.c.etag != job.etag))  # fmt: skip
        finished_q = select(video_chunks.c.chunk, video_chunks.c.result.is_not(None)).where(
            video_chunks.c.media_id == row.id
        )
        known: dict[int, bool] = {int(c): bool(done) for c, done in conn.execute(finished_q)}
        busy = _active_chunks(conn, job)
        for i, (start, end) in enumerate(bounds):
            if i not in known:
                conn.execute(insert(video_chunks).values(media_id=row.id, etag=job.etag, chunk=i,
                                                         start_ms=start, end_ms=end))  # fmt: skip
            if not known.get(i) and i not in busy:  # resumed: finished chunks are kept
                jobs.enqueue(conn, VIDEO_CHUNK, job.media_name, job.etag,
                             ctx.settings.queue.max_attempts, params={"chunk": i})  # fmt: skip
        finished = sum(bool(v) for v in known.values())
        video = {**dataclasses.asdict(info), "chunks": len(bounds)}
        conn.execute(update(media).where(media.c.id == row.id).values(
            status=str(Status.PROCESSING), progress=_progress(finished, len(bounds)),
            video=video, width=info.width, height=info.height))  # fmt: skip
        save_metadata(conn, job.media_name, job.etag, meta)
        jobs.finish(conn, job.id)
        if finished == len(bounds):
            _fan_in(ctx, conn, job)  # every chunk was done before a crash: only merge
    return None


def _active_chunks(conn: Connection, job: Job) -> set[int]:
    rows = conn.execute(
        select(jobs_table.c.params).where(
            jobs_table.c.media_name == job.media_name,
            jobs_table.c.etag == job.etag,
            jobs_table.c.kind == VIDEO_CHUNK,
            jobs_table.c.state.in_((jobs.QUEUED, jobs.RUNNING)),
        )
    )
    return {int(p["chunk"]) for (p,) in rows if p}  # fmt: skip


def analyze_chunk(ctx: Context, job: Job) -> None:
    """Analyse one time chunk; the last chunk to finish merges and stores the whole video."""
    from mediaquery.video.analyze import analyze_video

    index = int((job.params or {})["chunk"])
    with ctx.engine.connect() as conn:
        row = _current(conn, job)
        chunk = conn.execute(select(video_chunks).where(
            video_chunks.c.media_id == row.id, video_chunks.c.chunk == index,
            video_chunks.c.etag == job.etag)).first() if row else None  # fmt: skip
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
                path, cheap, expensive, interval_ms=v.sample_interval_ms,
                start_ms=chunk.start_ms, end_ms=chunk.end_ms or None, budget_s=v.budget_seconds,
                progress=report, min_confidence=ctx.settings.labels.default_min_confidence,
            )  # fmt: skip
        if in_place and where and index == 0:  # the whole video, once
            result = stored_video.with_stored_labels(ctx, result, in_place, where, row.etag)
        with write_tx(ctx.engine) as conn:
            conn.execute(update(video_chunks).where(
                video_chunks.c.media_id == row.id, video_chunks.c.chunk == index,
                video_chunks.c.etag == job.etag).values(
                result=result_to_json(result), finished_at=time.time()))  # fmt: skip
    with write_tx(ctx.engine) as conn:
        jobs.finish(conn, job.id)
        _fan_in(ctx, conn, job)
    return None


def _fan_in(ctx: Context, conn: Connection, job: Job) -> None:
    from mediaquery.video.analyze import merge_results

    row = _current(conn, job)
    if row is None or row.status == str(Status.DONE):
        return
    parts = conn.execute(select(video_chunks.c.result).where(
        video_chunks.c.media_id == row.id, video_chunks.c.etag == job.etag)
        .order_by(video_chunks.c.chunk)).scalars().all()  # fmt: skip
    done = [p for p in parts if p is not None]
    if len(done) < len(parts):
        conn.execute(update(media).where(media.c.id == row.id).values(
            progress=_progress(len(done), len(parts))))  # fmt: skip
        return
    merged = merge_results(
        [result_from_json(p) for p in done], ctx.settings.video.sample_interval_ms
    )
    provenance = [(a.name, a.version) for a in ready(ctx.analyzers)]
    labels = save_video(conn, row, merged, provenance, floor=ctx.settings.labels.floor)
    if any(name == FacesAnalyzer.name for name, _ in provenance):  # a shot's faces join people
        assign_faces(conn, replace_faces(conn, row.id, FacesAnalyzer.name, merged.faces))
    events.emit(conn, events.MEDIA_DONE, row.name, status="done", etag=row.etag,
                labels=labels, analyzers=[n for n, _ in provenance])  # fmt: skip


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
            conn.execute(update(media).where(media.c.id == self.media_id).values(
                progress=round(min(99.0, percent), 1)))  # fmt: skip


def _progress(done: int, total: int) -> float:
    return round(100.0 * done / max(1, total), 1)


def _current(conn: Connection, job: Job) -> repo.MediaRow | None:
    row = repo.get_media(conn, job.media_name)
    return row if row is not None and row.etag == job.etag else None


def _finish(ctx: Context, job: Job) -> None:
    with write_tx(ctx.engine) as conn:
        jobs.finish(conn, job.id)


def result_to_json(result: Any) -> dict[str, Any]:
    """A chunk's VideoResult as JSON for its checkpoint row."""
    data: dict[str, Any] = dataclasses.asdict(result)
    return data


def result_from_json(data: dict[str, Any]) -> Any:
    """Rebuild a VideoResult from its checkpoint row."""
    from mediaquery.video.analyze import VideoResult, VideoStats
    from mediaquery.video.decode import VideoInfo
    from mediaquery.video.segments import LabelSegment

    segments = [
        LabelSegment(**{**s, "parents": tuple(s["parents"]), "aliases": tuple(s["aliases"])})
        for s in data["segments"]
    ]
    edges = data.get("edges")
    return VideoResult(
        info=VideoInfo(**data["info"]), segments=segments, timestamps=data["timestamps"],
        text=data["text"], shots=data["shots"], frames_analyzed=data["frames_analyzed"],
        stats=VideoStats(**data["stats"]), edges=(edges[0], edges[1]) if edges else None,
        embeddings=data.get("embeddings") or {},  # checkpoints older than video embeddings
        faces=data.get("faces") or [],  # and than faces in videos
    )  # fmt: skip
