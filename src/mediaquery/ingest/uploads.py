"""Uploads and deletes that arrive through the API or the CLI."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
from typing import BinaryIO, cast

from mediaquery.context import Context
from mediaquery.domain import MediaType
from mediaquery.errors import BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from mediaquery.ingest.events import IngestResult, object_changed, object_removed
from mediaquery.mediatypes import SNIFF_BYTES, sniff
from mediaquery.names import validate_name

log = logging.getLogger(__name__)

SPOOL_BYTES = 8 * 1024 * 1024


def check_upload(ctx: Context, name: str, src: BinaryIO) -> None:
    """Reject a bad name, a name the bucket cannot hold, an empty or too large body, or
    unsupported content, before anything is stored."""
    validate_name(name)
    ctx.storage.check_put(name)
    limit = ctx.settings.max_upload_bytes
    if src.seekable() and src.seek(0, 2) > limit:
        raise PayloadTooLarge(f"{name} is larger than the limit of {limit} bytes")
    src.seek(0)
    head = src.read(SNIFF_BYTES)
    src.seek(0)
    if not head:
        raise BadRequest(f"Upload of {name} is empty")
    if sniff(head).type == MediaType.UNKNOWN:
        raise UnsupportedMediaType(
            f"Unsupported media type for {name}: images (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, "
            "AVIF, camera RAW such as DNG) and videos (MP4, MOV, MKV, WebM, AVI) are accepted, "
            "recognised by content"
        )


def store_upload(ctx: Context, name: str, src: BinaryIO) -> IngestResult:
    """Check, store in the bucket and index one upload (analysis is queued, not run here).

    The action says what the uploader did: `created` when nothing had that name before."""
    check_upload(ctx, name, src)
    existed = ctx.storage.stat(name) is not None
    ctx.storage.put(name, src, ctx.settings.max_upload_bytes)
    return _as_uploaded(object_changed(ctx, name), existed)


def store_uploads(ctx: Context, uploads: list[tuple[str, BinaryIO]]) -> list[IngestResult]:
    """Store several uploads, all or nothing: every one is checked before any is stored, and
    if storing one still fails, those stored before it are undone (new names removed,
    replaced content put back) and the error is raised."""
    _check_batch(ctx, uploads)
    done: list[tuple[str, BinaryIO | None]] = []
    try:
        results = []
        for name, src in uploads:
            backup = _backup(ctx, name)
            ctx.storage.put(name, src, ctx.settings.max_upload_bytes)
            done.append((name, backup))
            results.append(_as_uploaded(object_changed(ctx, name), backup is not None))
        return results
    except BaseException:
        _roll_back(ctx, done)
        raise
    finally:
        for _name, backup in done:
            if backup is not None:
                backup.close()


def _check_batch(ctx: Context, uploads: list[tuple[str, BinaryIO]]) -> None:
    names = [name for name, _src in uploads]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise BadRequest(f"Media name ({name}) appears more than once in this upload")
        below = next((n for n in names if n.startswith(name + "/")), None)
        if below is not None:
            raise BadRequest(f"A parent of media name ({below}) is a file in this upload")
    for name, src in uploads:
        check_upload(ctx, name, src)


def _backup(ctx: Context, name: str) -> BinaryIO | None:
    """A copy of what the name holds now, or None when it holds nothing."""
    if ctx.storage.stat(name) is None:
        return None
    copy = cast(BinaryIO, tempfile.SpooledTemporaryFile(SPOOL_BYTES))
    try:
        with ctx.storage.open(name) as fh:
            shutil.copyfileobj(fh, copy)
    except NotFound:
        copy.close()
        return None
    return copy


def _roll_back(ctx: Context, done: list[tuple[str, BinaryIO | None]]) -> None:
    for name, backup in reversed(done):
        try:
            if backup is None:
                ctx.storage.delete(name)
                object_removed(ctx, name)
            else:
                backup.seek(0)
                ctx.storage.put(name, backup, 1 << 62)  # it was stored before: no limit
                object_changed(ctx, name)
        except Exception:  # noqa: BLE001 - undo as much as possible, then raise the first error
            log.exception("could not undo the upload of %s", name)


def _as_uploaded(result: IngestResult, existed: bool) -> IngestResult:
    """The index may have seen the file first (the watcher): say what the uploader did."""
    if result.action not in ("created", "replaced", "unchanged"):
        return result
    if not existed:
        return dataclasses.replace(result, action="created")
    if result.action == "created":
        return dataclasses.replace(result, action="replaced")
    return result


def delete_object(ctx: Context, name: str) -> None:
    """Delete from the bucket and the index; NotFound if neither had it."""
    validate_name(name)
    in_bucket = ctx.storage.delete(name)
    result = object_removed(ctx, name)
    if not in_bucket and result.action == "missing":
        raise NotFound(f"NotFoundError: Media file ({name}) not found")
