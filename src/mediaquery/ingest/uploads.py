"""Uploads and deletes that arrive through the API or the CLI."""

from __future__ import annotations

from typing import BinaryIO

from mediaquery.context import Context
from mediaquery.domain import MediaType
from mediaquery.errors import BadRequest, NotFound, UnsupportedMediaType
from mediaquery.ingest.events import IngestResult, object_changed, object_removed
from mediaquery.mediatypes import SNIFF_BYTES, sniff
from mediaquery.names import validate_name


def check_upload(name: str, src: BinaryIO) -> None:
    """Reject a bad name, an empty body or unsupported content before anything is stored."""
    validate_name(name)
    head = src.read(SNIFF_BYTES)
    src.seek(0)
    if not head:
        raise BadRequest(f"Upload of {name} is empty")
    if sniff(head).type == MediaType.UNKNOWN:
        raise UnsupportedMediaType(
            f"Unsupported media type for {name}: images (JPEG, PNG, WebP, GIF, BMP, TIFF) and "
            "videos (MP4, MOV, MKV, WebM, AVI) are accepted, recognised by content"
        )


def store_upload(ctx: Context, name: str, src: BinaryIO) -> IngestResult:
    """Check, store in the bucket and index one upload (analysis is queued, not run here)."""
    check_upload(name, src)
    ctx.storage.put(name, src, ctx.settings.max_upload_bytes)
    return object_changed(ctx, name)


def delete_object(ctx: Context, name: str) -> None:
    """Delete from the bucket and the index; NotFound if neither had it."""
    validate_name(name)
    in_bucket = ctx.storage.delete(name)
    result = object_removed(ctx, name)
    if not in_bucket and result.action == "missing":
        raise NotFound(f"NotFoundError: Media file ({name}) not found")
