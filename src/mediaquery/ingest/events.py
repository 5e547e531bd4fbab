"""Turn bucket events (created, replaced, removed) into index rows and jobs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mediaquery.context import Context
from mediaquery.digest import sha256_stream
from mediaquery.domain import MediaType, Status
from mediaquery.errors import NotFound
from mediaquery.index import jobs, repo
from mediaquery.index.db import write_tx
from mediaquery.mediatypes import SNIFF_BYTES, Sniffed, sniff
from mediaquery.queue.kinds import for_media

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestResult:
    name: str
    action: str  # created | replaced | unchanged | removed | missing | skipped
    row: repo.MediaRow | None
    reason: str | None = None  # why it was skipped


def _sniff_and_hash(ctx: Context, name: str) -> tuple[Sniffed, str | None]:
    """What the content is, and its sha256 (None for content that is no media: not read)."""
    with ctx.storage.open(name) as fh:
        head = fh.read(SNIFF_BYTES)
        sniffed = sniff(head)
        if sniffed.type == MediaType.UNKNOWN:
            return sniffed, None
        return sniffed, sha256_stream(fh, head)


def object_changed(ctx: Context, name: str) -> IngestResult:
    """An object was created or replaced (or might have been): index it and queue analysis.

    Content that is no image or video (a text file, an empty file) is skipped, not indexed;
    if it replaced media, that media leaves the index."""
    stored = ctx.storage.stat(name)
    if stored is None:
        return object_removed(ctx, name)
    with ctx.engine.connect() as conn:
        before = repo.get_media(conn, name)
    if before is not None and before.version == stored.version:
        return IngestResult(name, "unchanged", before)
    try:
        sniffed, etag = _sniff_and_hash(ctx, name)
    except NotFound:
        return object_removed(ctx, name)
    if etag is None:
        reason = "empty file" if stored.size == 0 else "not an image or video"
        log.debug("skipped %s: %s", name, reason)
        if before is not None:
            object_removed(ctx, name)
        return IngestResult(name, "skipped", None, reason)
    with write_tx(ctx.engine) as conn:
        row, changed = repo.upsert_media(
            conn,
            name=name,
            type=sniffed.type,
            content_type=sniffed.content_type,
            size=stored.size,
            etag=etag,
            version=stored.version,
            status=Status.PENDING,
            error=None,
        )
        if changed:
            jobs.cancel_for_media(conn, name)
            kind = for_media(sniffed.type)
            jobs.enqueue(conn, kind, name, etag, ctx.settings.queue.max_attempts)
    if changed:
        log.info("indexed %s (%s)", name, sniffed.content_type)
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


def log_skipped(where: str, names: list[str]) -> None:
    """One log line for the files a scan skipped as no images or videos."""
    if names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        log.info(
            "skipped %d files in %s that are no images or videos (not indexed): %s",
            len(names),
            where,
            shown,
        )


def drop_thumbnails(ctx: Context, etag: str) -> None:
    """Forget cached thumbnails of content that is gone (another copy makes them again)."""
    for path in ctx.settings.thumbnail_dir.glob(f"{etag}*.jpg"):
        path.unlink(missing_ok=True)
