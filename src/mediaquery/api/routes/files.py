"""The stored bytes: the original object (with Range support) and a small JPEG thumbnail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

import mediaquery.api.convertors  # noqa: F401 - registers the {name:name} convertor
from mediaquery.api.admission import release_slot
from mediaquery.api.deps import CtxDep
from mediaquery.api.items import resolve
from mediaquery.api.object_stream import stream_object
from mediaquery.api.schemas import MediaPublic
from mediaquery.context import Context
from mediaquery.errors import Conflict
from mediaquery.index.repo import MediaRow
from mediaquery.thumbnails import thumbnail_file

router = APIRouter(prefix="/v1/media", tags=["files"])

# Thumbnails are addressed by name; a `v` matching the etag makes the URL content-addressed.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
VersionQ = Annotated[
    str | None, Query(description="The item's etag (or a prefix of it) for long caching")
]


def _find(ctx: Context, name: str, suffix: str) -> MediaRow | JSONResponse:
    with ctx.engine.connect() as conn:
        found = resolve(conn, name, suffix, ctx.settings.labels.default_min_confidence)
    if isinstance(found, MediaPublic):
        return JSONResponse(found.model_dump(mode="json"))
    return found


def _cache_control(row: MediaRow, v: str | None) -> str:
    return IMMUTABLE if v and len(v) >= 8 and row.etag.startswith(v) else REVALIDATE


def _local_file(path: Path, row: MediaRow) -> Path:
    if not path.is_file():
        raise Conflict(f"{row.name} is indexed but its file is gone")
    return path


@router.get("/{name:name}/file", response_class=FileResponse, response_model=None)
async def original(ctx: CtxDep, request: Request, name: str, v: VersionQ = None) -> Response:
    """The original object as uploaded, with its content type; Range requests are answered."""
    found = await run_in_threadpool(_find, ctx, name, "file")
    release_slot(request)  # the bytes need no connection
    if isinstance(found, JSONResponse):
        return found
    local = ctx.storage.local_path(found.name)
    if local is None:  # a remote bucket: stream it through
        headers = {"Cache-Control": _cache_control(found, v)}
        wanted = request.headers.get("range")
        return await run_in_threadpool(
            stream_object, ctx.storage, found.name, found.content_type, wanted, headers
        )
    path = await run_in_threadpool(_local_file, local, found)
    return FileResponse(
        path,
        media_type=found.content_type,
        headers={"Cache-Control": _cache_control(found, v)},
        content_disposition_type="inline",
        filename=Path(found.name).name,
    )


@router.get("/{name:name}/thumbnail", response_class=FileResponse, response_model=None)
async def thumbnail(
    ctx: CtxDep, request: Request, name: str, v: VersionQ = None
) -> FileResponse | JSONResponse:
    """A JPEG thumbnail (longer side 320): the upright image, or a video's poster frame."""
    found = await run_in_threadpool(_find, ctx, name, "thumbnail")
    release_slot(request)  # making a thumbnail needs no connection
    if isinstance(found, JSONResponse):
        return found
    path = await thumbnail_file(ctx, found)
    return FileResponse(
        path, media_type="image/jpeg", headers={"Cache-Control": _cache_control(found, v)}
    )
