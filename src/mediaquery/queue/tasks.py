"""Job functions: plain functions of (context, jobs) that any worker (embedded or Celery) runs.

Jobs run in small batches: one transaction to start them, one model call per analyzer for the
whole batch, one transaction to store every result. A bad file fails alone."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image

from mediaquery.analyzers.base import Analyzer
from mediaquery.context import Context
from mediaquery.decode import decode_image
from mediaquery.domain import Findings, MediaType, Status
from mediaquery.errors import AnalysisError, NotFound
from mediaquery.index import events, jobs, repo
from mediaquery.index.db import write_tx
from mediaquery.index.findings import UNAVAILABLE, save_findings
from mediaquery.index.jobs import Job
from mediaquery.index.metadata import save_metadata
from mediaquery.metadata import Metadata
from mediaquery.metadata.extract import extract
from mediaquery.people.cluster import assign as assign_faces
from mediaquery.thumbnails import save_decoded

log = logging.getLogger(__name__)


@dataclass
class _Work:
    job: Job
    type: str = ""
    image: Image.Image | None = None
    width: int = 0
    height: int = 0
    results: list[tuple[Findings, float]] = field(default_factory=list)
    meta: Metadata | None = None


def run_job(ctx: Context, job: Job) -> None:
    """Run one claimed job, recording success, a retry or a final failure."""
    run_jobs(ctx, [job])


def run_jobs(ctx: Context, batch: Sequence[Job]) -> None:
    """Run claimed image jobs together; each records its own success, retry or failure."""
    work = [_Work(job) for job in batch]
    try:
        work = _start(ctx, work)
        work = [w for w in work if _decode(ctx, w)]
        work = _analyze(ctx, work)
        _store(ctx, work)
    except Exception as exc:  # noqa: BLE001 - any other failure is retried, then recorded
        log.exception("batch of %d jobs failed", len(work))
        for w in work:
            record_failure(ctx, w.job, f"{type(exc).__name__}: {exc}", retry=True)


def _start(ctx: Context, work: list[_Work]) -> list[_Work]:
    """Mark live media `processing`; finish jobs whose media was deleted or replaced."""
    live = []
    with write_tx(ctx.engine) as conn:
        for w in work:
            row = repo.get_media(conn, w.job.media_name)
            if row is None or row.etag != w.job.etag:
                jobs.finish(conn, w.job.id)
                continue
            w.type = row.type  # not an image: fails in _decode with a clear reason
            if row.type == MediaType.IMAGE:
                repo.set_status(conn, w.job.media_name, w.job.etag, Status.PROCESSING)
            live.append(w)
    return live


def _decode(ctx: Context, w: _Work) -> bool:
    name = w.job.media_name
    try:
        if w.type != MediaType.IMAGE:
            raise AnalysisError(f"No image analysis for media type '{w.type}'")
        try:
            with ctx.storage.fetch(name) as path:  # a local file, even for a remote bucket
                # metadata first: a damaged image still says when, where and with what
                w.meta = extract(path, w.type, ctx.settings.metadata.store_location)
                decoded = decode_image(path, ctx.settings.max_image_pixels, _min_side(ctx))
        except NotFound as exc:
            raise AnalysisError(f"Media file ({name}) disappeared before it was analysed") from exc
    except AnalysisError as exc:
        if w.meta is not None:
            with write_tx(ctx.engine) as conn:
                save_metadata(conn, name, w.job.etag, w.meta)
        record_failure(ctx, w.job, exc.message, retry=False)
        return False
    w.image, w.width, w.height = decoded.image, decoded.width, decoded.height
    try:  # the pixels are decoded now: make the thumbnail too, so the API need not
        save_decoded(ctx.settings, w.job.etag, decoded)
    except OSError as exc:
        log.warning("no thumbnail for %s: %s", name, exc)
    return True


def _min_side(ctx: Context) -> int | None:
    sides = [a.min_side for a in ctx.analyzers if MediaType.IMAGE in a.media_types]
    return None if (not sides or None in sides) else max(s for s in sides if s)


def _analyze(ctx: Context, work: list[_Work]) -> list[_Work]:
    """Run each analyzer over the batch; returns the work that every analyzer managed."""
    for analyzer in ctx.analyzers:
        if MediaType.IMAGE not in analyzer.media_types:
            continue
        todo = [w for w in work if w.job.analyzers is None or analyzer.name in w.job.analyzers]
        if not todo:
            continue
        reason = analyzer.unavailable_reason(analyzer.model_dir)
        if reason is not None:  # a model is missing: skip it, and say so in the provenance
            _skip(analyzer, todo, reason)
            continue
        try:
            _analyze_with(analyzer, todo)
        except Exception as exc:  # noqa: BLE001 - find the image that breaks it, spare the others
            if len(todo) == 1:
                _failed(ctx, work, todo[0], analyzer, exc)
                continue
            for w in todo:
                try:
                    _analyze_with(analyzer, [w])
                except Exception as one:  # noqa: BLE001
                    _failed(ctx, work, w, analyzer, one)
    return work


def _failed(ctx: Context, work: list[_Work], w: _Work, analyzer: Analyzer, exc: Exception) -> None:
    """One image failed: an `AnalysisError` ends it at once with its message, others retry."""
    work.remove(w)
    if isinstance(exc, AnalysisError):
        log.warning("%s failed on %s: %s", analyzer.name, w.job.media_name, exc.message)
        record_failure(ctx, w.job, exc.message, retry=False)
    else:
        log.exception("%s failed on %s", analyzer.name, w.job.media_name, exc_info=exc)
        record_failure(ctx, w.job, f"{type(exc).__name__}: {exc}", retry=True)


_warned: set[str] = set()


def _skip(analyzer: Analyzer, todo: list[_Work], reason: str) -> None:
    if analyzer.name not in _warned:  # once per process, not once per batch
        _warned.add(analyzer.name)
        log.warning("analyzer %s is unavailable, skipped: %s", analyzer.name, reason)
    skipped = Findings(analyzer.name, analyzer.version, extra={UNAVAILABLE: reason})
    for w in todo:
        w.results.append((skipped, 0.0))


def _analyze_with(analyzer: Analyzer, todo: list[_Work]) -> None:
    images = [w.image for w in todo if w.image is not None]
    t0 = time.perf_counter()
    found = analyzer.analyze_batch(images)
    ms = (time.perf_counter() - t0) * 1000 / max(1, len(images))
    for w, findings in zip(todo, found, strict=True):
        w.results.append((findings, ms))


def _store(ctx: Context, work: list[_Work]) -> None:
    floor = ctx.settings.labels.floor
    shown = ctx.settings.labels.default_min_confidence
    with write_tx(ctx.engine) as conn:
        for w in work:
            new_faces: list[int] = []
            name, etag = w.job.media_name, w.job.etag
            saved = save_findings(
                conn,
                name,
                etag,
                w.results,
                floor=floor,
                width=w.width,
                height=w.height,
                new_faces=new_faces,
            )
            assign_faces(conn, new_faces)
            jobs.finish(conn, w.job.id)
            if saved and w.meta is not None:
                save_metadata(conn, w.job.media_name, w.job.etag, w.meta)
            if saved:
                labels = sorted(
                    {x.name for f, _ in w.results for x in f.labels if x.confidence >= shown}
                )
                ran = [f.analyzer for f, _ in w.results if UNAVAILABLE not in f.extra]
                done = {"status": "done", "etag": etag, "labels": labels, "analyzers": ran}
                events.emit(conn, events.MEDIA_DONE, name, **done)


def record_failure(ctx: Context, job: Job, reason: str, retry: bool) -> None:
    """Record a failed try: requeue with backoff, or fail the media and announce it."""
    with write_tx(ctx.engine) as conn:
        final = jobs.fail(conn, job, reason, ctx.settings.queue.retry_delay, retry)
        if final:
            if retry:
                reason = f"Analysis failed after {job.attempts} attempts: {reason}"
            if repo.set_status(conn, job.media_name, job.etag, Status.FAILED, reason):
                failed = {"status": "failed", "etag": job.etag, "error": reason}
                events.emit(conn, events.MEDIA_FAILED, job.media_name, **failed)
        else:
            repo.set_status(conn, job.media_name, job.etag, Status.PENDING, reason)
