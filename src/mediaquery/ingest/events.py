"""Turn bucket events (created, replaced, removed) into index rows and jobs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mediaquery.context import Context
from mediaquery.digest import sha256_stream
from mediaquery.domain import MediaType, Status
from mediaquery.errors import NotFound
from mediaquery.index import repo
from mediaquery.index.db import write_tx
from mediaquery.mediatypes import SNIFF_BYTES, sniff
from mediaquery.queue import jobs
from mediaquery.queue.tasks import ANALYZE
from mediaquery.queue.video_tasks import VIDEO

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestResult:
    name: str
    action: str  # created | replaced | unchanged | removed | missing
    row: repo.MediaRow | None


def _hash_and_sniff(ctx: Context, name: str) -> tuple[str, bytes]:
    with ctx.storage.open(name) as fh:
        head = fh.read(SNIFF_BYTES)
        return sha256_stream(fh, head), head


def object_changed(ctx: Context, name: str) -> IngestResult:
    """An object was created or replaced (or might have been): index it and queue analysis."""
    stored = ctx.storage.stat(name)
    if stored is None:
        return object_removed(ctx, name)
    with ctx.engine.connect() as conn:
        before = repo.get_media(conn, name)
    if before is not None and before.version == stored.version:
        return IngestResult(name, "unchanged", before)
    try:
        etag, head = _hash_and_sniff(ctx, name)
    except NotFound:
        return object_removed(ctx, name)
    sniffed = sniff(head)
    status, error = Status.PENDING, None
    if sniffed.type == MediaType.UNKNOWN:
        status = Status.FAILED
        error = "Unsupported media type: the content is not a known image or video format"
        if not head:
            error = "Empty file: there is nothing to analyse"
    with write_tx(ctx.engine) as conn:
        row, changed = repo.upsert_media(
            conn, name=name, type=sniffed.type, content_type=sniffed.content_type,
            size=stored.size, etag=etag, version=stored.version, status=status, error=error,
        )  # fmt: skip
        if changed:
            jobs.cancel_for_media(conn, name)
            kind = {MediaType.IMAGE: ANALYZE, MediaType.VIDEO: VIDEO}.get(sniffed.type)
            if kind:
                jobs.enqueue(conn, kind, name, etag, ctx.settings.queue.max_attempts)
    if changed:
        log.info("indexed %s (%s, %s)", name, sniffed.content_type, status)
        if before is not None:
            drop_thumbnails(ctx, before.etag)
    action = "unchanged" if not changed else ("replaced" if before else "created")
    return IngestResult(name, action, row)


def object_removed(ctx: Context, name: str) -> IngestResult:
    """An object is gone: drop it, its findings and its queued jobs from the index."""
    with write_tx(ctx.engine) as conn:
        row = repo.get_media(conn, name)
        removed = repo.delete_media(conn, name)
        jobs.cancel_for_media(conn, name)
    if row is not None:
        log.info("removed %s", name)
        drop_thumbnails(ctx, row.etag)
    return IngestResult(name, "removed" if removed else "missing", None)


def drop_thumbnails(ctx: Context, etag: str) -> None:
    """Forget cached thumbnails of content that is gone (another copy makes them again)."""
    for path in ctx.settings.thumbnail_dir.glob(f"{etag}*.jpg"):
        path.unlink(missing_ok=True)
