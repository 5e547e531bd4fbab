"""Job functions: plain functions of (context, job) that any worker (embedded or Celery) runs."""

from __future__ import annotations

import logging
import time

from mediaquery.context import Context
from mediaquery.decode import decode_image
from mediaquery.domain import Findings, MediaType, Status
from mediaquery.errors import AnalysisError, NotFound
from mediaquery.index import repo
from mediaquery.index.db import write_tx
from mediaquery.index.findings import save_findings
from mediaquery.queue import jobs
from mediaquery.queue.jobs import Job

log = logging.getLogger(__name__)

ANALYZE = "analyze"


def analyze(ctx: Context, job: Job) -> None:
    """Analyse one media item and store the findings; no-op if it was deleted or replaced."""
    with write_tx(ctx.engine) as conn:
        row = repo.get_media(conn, job.media_name)
        if row is None or row.etag != job.etag:
            jobs.finish(conn, job.id)
            return
        repo.set_status(conn, job.media_name, job.etag, Status.PROCESSING)
    if row.type != MediaType.IMAGE:
        raise AnalysisError(f"No analysis for media type '{row.type}' yet")
    results, width, height = _run_analyzers(ctx, job.media_name, job.analyzers)
    with write_tx(ctx.engine) as conn:
        save_findings(
            conn, job.media_name, job.etag, results,
            floor=ctx.settings.labels.floor, width=width, height=height,
        )  # fmt: skip
        jobs.finish(conn, job.id)


def _run_analyzers(
    ctx: Context, name: str, only: tuple[str, ...] | None
) -> tuple[list[tuple[Findings, float]], int, int]:
    analyzers = [
        a
        for a in ctx.analyzers
        if MediaType.IMAGE in a.media_types and (only is None or a.name in only)
    ]
    sides = [a.min_side for a in analyzers]
    min_side = None if (not sides or None in sides) else max(s for s in sides if s)
    try:
        with ctx.storage.open(name) as fh:
            decoded = decode_image(fh, ctx.settings.max_image_pixels, min_side)
    except NotFound as exc:
        raise AnalysisError(f"Media file ({name}) disappeared before it was analysed") from exc
    results = []
    for analyzer in analyzers:
        t0 = time.perf_counter()
        findings = analyzer.analyze(decoded.image)
        results.append((findings, (time.perf_counter() - t0) * 1000))
    return results, decoded.width, decoded.height


def run_job(ctx: Context, job: Job) -> None:
    """Run a claimed job, recording success, a retry or a final failure."""
    retry_delay = ctx.settings.queue.retry_delay
    try:
        if job.kind != ANALYZE:
            raise AnalysisError(f"Unknown job kind '{job.kind}'")
        analyze(ctx, job)
    except AnalysisError as exc:
        _record_failure(ctx, job, exc.message, retry_delay, retry=False)
    except Exception as exc:  # noqa: BLE001 - any other failure is retried, then recorded
        log.exception("job %s for %s failed (attempt %s)", job.id, job.media_name, job.attempts)
        reason = f"{type(exc).__name__}: {exc}"
        _record_failure(ctx, job, reason, retry_delay, retry=True)


def _record_failure(ctx: Context, job: Job, reason: str, delay: float, retry: bool) -> None:
    with write_tx(ctx.engine) as conn:
        final = jobs.fail(conn, job, reason, delay, retry)
        if final:
            if retry:
                reason = f"Analysis failed after {job.attempts} attempts: {reason}"
            repo.set_status(conn, job.media_name, job.etag, Status.FAILED, reason)
        else:
            repo.set_status(conn, job.media_name, job.etag, Status.PENDING, reason)
