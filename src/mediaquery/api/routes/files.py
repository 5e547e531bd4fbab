"""The stored bytes: the original object (with Range support) and a small JPEG thumbnail."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from PIL import Image

import mediaquery.api.convertors  # noqa: F401 - registers the {name:name} convertor
from mediaquery.api.deps import CtxDep
from mediaquery.api.items import load_public
from mediaquery.context import Context
from mediaquery.errors import AnalysisError, Conflict, NotFound
from mediaquery.index import repo
from mediaquery.index.repo import MediaRow

router = APIRouter(prefix="/v1/media", tags=["files"])

THUMBNAIL_SIDE = 320
# Thumbnails are addressed by name; a `v` matching the etag makes the URL content-addressed.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
VersionQ = Annotated[
    str | None, Query(description="The item's etag (or a prefix of it) for long caching")
]


def _find(ctx: Context, name: str, suffix: str) -> MediaRow | JSONResponse:
    """The media row; an item literally named `name/suffix` wins over the route."""
    with ctx.engine.connect() as conn:
        row = repo.get_media(conn, name)
        if row is not None:
            return row
        literal = f"{name}/{suffix}"
        if repo.get_media(conn, literal) is not None:
            item = load_public(conn, literal, ctx.settings.labels.default_min_confidence)
            return JSONResponse(item.model_dump(mode="json"))
    raise NotFound(f"NotFoundError: Media file ({name}) not found")


def _source(ctx: Context, row: MediaRow) -> Path:
    path = ctx.storage.local_path(row.name)
    if path is None or not path.is_file():
        raise Conflict(f"{row.name} is indexed but its file is gone")
    return path


def _cache_control(row: MediaRow, v: str | None) -> str:
    return IMMUTABLE if v and len(v) >= 8 and row.etag.startswith(v) else REVALIDATE


@router.get("/{name:name}/file", response_class=FileResponse, response_model=None)
async def original(ctx: CtxDep, name: str, v: VersionQ = None) -> FileResponse | JSONResponse:
    """The original object as uploaded, with its content type; Range requests are answered."""
    found = await run_in_threadpool(_find, ctx, name, "file")
    if isinstance(found, JSONResponse):
        return found
    path = await run_in_threadpool(_source, ctx, found)
    return FileResponse(
        path,
        media_type=found.content_type,
        headers={"Cache-Control": _cache_control(found, v)},
        content_disposition_type="inline",
        filename=Path(found.name).name,
    )


@router.get("/{name:name}/thumbnail", response_class=FileResponse, response_model=None)
async def thumbnail(ctx: CtxDep, name: str, v: VersionQ = None) -> FileResponse | JSONResponse:
    """A JPEG thumbnail (longer side 320): the upright image, or a video's poster frame."""
    found = await run_in_threadpool(_find, ctx, name, "thumbnail")
    if isinstance(found, JSONResponse):
        return found
    path = await run_in_threadpool(_thumbnail, ctx, found)
    return FileResponse(
        path, media_type="image/jpeg", headers={"Cache-Control": _cache_control(found, v)}
    )


def _thumbnail(ctx: Context, row: MediaRow) -> Path:
    """Make the thumbnail once per content (keyed by etag) and return its cached file."""
    if row.type not in ("image", "video"):
        raise Conflict(f"{row.name} is not an image or a video; it has no thumbnail")
    cached = ctx.settings.thumbnail_dir / f"{row.etag}.jpg"
    if cached.is_file():
        return cached
    source = _source(ctx, row)
    try:
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
