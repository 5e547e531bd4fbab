"""Video views: what is on screen when, and a poster frame."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

import mediaquery.api.convertors  # noqa: F401 - registers the {name:name} convertor
from mediaquery.api.deps import ConnDep, CtxDep
from mediaquery.api.filters import MAX_ID, AnyCase
from mediaquery.api.items import resolve
from mediaquery.api.schemas import LabelsAt, MediaPublic
from mediaquery.context import Context
from mediaquery.errors import BadRequest
from mediaquery.index.video import labels_at, segments_of, timestamps_of
from mediaquery.thumbnails import thumbnail_path

router = APIRouter(prefix="/v1/media", tags=["video"])


@router.get("/{name:name}/labels")
def video_labels(
    ctx: CtxDep,
    conn: ConnDep,
    name: str,
    at_ms: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="What is on screen at this moment")
    ] = None,
    aggregate: Annotated[
        Literal["segments", "timestamps"],
        AnyCase,
        Query(description="Like Rekognition's AggregateBy"),
    ] = "segments",
) -> LabelsAt | MediaPublic:
    """Labels of a video over time: at one moment (`at_ms`), as segments, or per timestamp."""
    row = resolve(conn, name, "labels", ctx.settings.labels.default_min_confidence)
    if isinstance(row, MediaPublic):
        return row
    if row.type != "video":
        raise BadRequest(f"{name} is an {row.type}, not a video")
    if at_ms is not None:
        found = labels_at(conn, row.id, at_ms)
    elif aggregate == "timestamps":
        found = timestamps_of(conn, row.id)
    else:
        found = [{"name": n, **s} for n, segs in segments_of(conn, row.id).items() for s in segs]
    return LabelsAt(name=name, at_ms=at_ms, aggregate=aggregate, labels=found)


@router.get("/{name:name}/poster", response_class=FileResponse, response_model=None)
async def poster(ctx: CtxDep, name: str) -> FileResponse | JSONResponse:
    """A poster frame of a video (JPEG, longer side 320), made once and cached."""
    found = await run_in_threadpool(_poster, ctx, name)
    if isinstance(found, MediaPublic):
        return JSONResponse(found.model_dump(mode="json"))
    return FileResponse(found, media_type="image/jpeg")


def _poster(ctx: Context, name: str) -> Path | MediaPublic:
    with ctx.engine.connect() as conn:
        row = resolve(conn, name, "poster", ctx.settings.labels.default_min_confidence)
    if isinstance(row, MediaPublic):
        return row
    if row.type != "video":
        raise BadRequest(f"{name} is an {row.type}, not a video")
    return thumbnail_path(ctx, row)  # a video's thumbnail is its poster frame
