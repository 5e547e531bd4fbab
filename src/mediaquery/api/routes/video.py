"""Video views: what is on screen when, and a poster frame."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sqlalchemy import Connection

import mediaquery.api.convertors  # noqa: F401 - registers the {name:name} convertor
from mediaquery.api.deps import ConnDep, CtxDep
from mediaquery.api.schemas import LabelsAt
from mediaquery.context import Context
from mediaquery.errors import BadRequest, Conflict, NotFound
from mediaquery.index import repo
from mediaquery.index.repo import MediaRow
from mediaquery.index.video import labels_at, segments_of, timestamps_of

router = APIRouter(prefix="/v1/media", tags=["video"])


def find(conn: Connection, name: str) -> MediaRow:
    """The media row or the sample's 404."""
    row = repo.get_media(conn, name)
    if row is None:
        raise NotFound(f"NotFoundError: Media file ({name}) not found")
    return row


@router.get("/{name:name}/labels", response_model=LabelsAt)
def video_labels(
    conn: ConnDep,
    name: str,
    at_ms: Annotated[
        int | None, Query(ge=0, description="What is on screen at this moment")
    ] = None,
    aggregate: Annotated[
        Literal["segments", "timestamps"], Query(description="Like Rekognition's AggregateBy")
    ] = "segments",
) -> LabelsAt:
    """Labels of a video over time: at one moment (`at_ms`), as segments, or per timestamp."""
    row = find(conn, name)
    if row.type != "video":
        raise BadRequest(f"{name} is an {row.type}, not a video")
    if at_ms is not None:
        found = labels_at(conn, row.id, at_ms)
    elif aggregate == "timestamps":
        found = timestamps_of(conn, row.id)
    else:
        found = [{"name": n, **s} for n, segs in segments_of(conn, row.id).items() for s in segs]
    return LabelsAt(name=name, at_ms=at_ms, aggregate=aggregate, labels=found)


@router.get("/{name:name}/poster", response_class=FileResponse)
async def poster(ctx: CtxDep, name: str) -> FileResponse:
    """A poster frame of a video (JPEG, longer side 320), made once and cached."""
    path = await run_in_threadpool(_poster, ctx, name)
    return FileResponse(path, media_type="image/jpeg")


def _poster(ctx: Context, name: str) -> Path:
    from mediaquery.video.decode import poster_jpeg

    with ctx.engine.connect() as conn:
        row = find(conn, name)
    if row.type != "video":
        raise BadRequest(f"{name} is an {row.type}, not a video")
    cached = ctx.settings.thumbnail_dir / f"{row.etag}.poster.jpg"
    if not cached.exists():
        source = ctx.storage.local_path(name)
        if source is None or not source.exists():
            raise Conflict(f"{name} is indexed but its file is gone")
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(poster_jpeg(source))
        tmp.replace(cached)
    return cached
