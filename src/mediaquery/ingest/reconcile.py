"""Heal missed events: compare the bucket with the index and fix every difference."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from mediaquery.context import Context
from mediaquery.domain import MediaType
from mediaquery.index import jobs, repo, scans
from mediaquery.index.db import write_tx
from mediaquery.ingest.events import log_skipped, object_removed
from mediaquery.ingest.paged_reconcile import heal, reconcile_pages
from mediaquery.queue.kinds import for_media

log = logging.getLogger(__name__)


def reconcile(ctx: Context, progress: Callable[[str], None] | None = None) -> Counter[str]:
    """Index new and changed objects, drop vanished ones, requeue lost work. Returns counts.

    A remote bucket is scanned page by page and resumes an interrupted scan (paged_reconcile);
    the local folder is walked whole."""
    forget_unknown(ctx)
    if ctx.storage.pages() is not None:
        paged = reconcile_pages(ctx, progress)
        paged["requeued"] = requeue_lost(ctx)
        log.info("reconcile of %s: %s", ctx.storage.description, dict(paged))
        return paged
    counts: Counter[str] = Counter()
    with ctx.engine.connect() as conn:
        known = repo.all_media_versions(conn)
    seen: set[str] = set()
    skipped: list[str] = []
    for stored in ctx.storage.list():
        seen.add(stored.name)
        counts[heal(ctx, known, stored, skipped)] += 1
        if progress:
            progress(stored.name)
    log_skipped(ctx.storage.description, skipped)
    for name in sorted(set(known) - seen):
        counts[object_removed(ctx, name).action] += 1
    counts["requeued"] = requeue_lost(ctx)
    log.info("reconcile: %s", dict(counts))
    return counts


def forget_unknown(ctx: Context) -> None:
    """Drop items of no media type that earlier versions indexed as failed; the scan then
    counts their files as skipped, like any file that is no image or video."""
    with ctx.engine.connect() as conn:
        names = scans.names_of_type(conn, MediaType.UNKNOWN)
    for name in names:
        object_removed(ctx, name)


def unfinished(ctx: Context) -> list[str]:
    """The media whose analysis is still to come (pending or processing)."""
    with ctx.engine.connect() as conn:
        return scans.unfinished_names(conn)


def requeue_lost(ctx: Context) -> int:
    """Queue analysis for pending media that have no queued or running job."""
    with write_tx(ctx.engine) as conn:
        lost = jobs.lost_media(conn)
        for name, etag, type_ in lost:
            jobs.enqueue(conn, for_media(type_), name, etag, ctx.settings.queue.max_attempts)
    return len(lost)
