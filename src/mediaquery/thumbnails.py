"""Thumbnails and video posters: made once per content (etag), cached in the data folder."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from mediaquery.context import Context
from mediaquery.errors import AnalysisError, Conflict, NotFound
from mediaquery.index.repo import MediaRow

THUMBNAIL_SIDE = 320


@contextmanager
def source_file(ctx: Context, row: MediaRow) -> Iterator[Path]:
    """The object as a local file; Conflict when the index still has it but the bucket does not."""
    try:
        with ctx.storage.fetch(row.name) as path:
            yield path
    except NotFound as exc:
        raise Conflict(f"{row.name} is indexed but its file is gone") from exc


def thumbnail_path(ctx: Context, row: MediaRow) -> Path:
    """Make the thumbnail once per content (keyed by etag) and return its cached file."""
    if row.type not in ("image", "video"):
        raise Conflict(f"{row.name} is not an image or a video; it has no thumbnail")
    cached = ctx.settings.thumbnail_dir / f"{row.etag}.jpg"
    if cached.is_file():
        return cached
    try:
        with source_file(ctx, row) as source:
            data = _video_poster(source) if row.type == "video" else _image_thumbnail(ctx, source)
    except AnalysisError as exc:
        raise Conflict(f"{row.name} has no thumbnail: {exc.message}") from exc
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=cached.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, cached)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return cached


def _image_thumbnail(ctx: Context, source: Path) -> bytes:
    from mediaquery.decode import decode_image

    decoded = decode_image(source, ctx.settings.max_image_pixels, min_side=THUMBNAIL_SIDE)
    image = decoded.image
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=82, optimize=True)
    return buf.getvalue()


def _video_poster(source: Path) -> bytes:
    from mediaquery.video.decode import poster_jpeg

    return poster_jpeg(source)
