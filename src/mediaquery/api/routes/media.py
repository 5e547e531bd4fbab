"""The full media API: list with filters and paging, get, upload, delete."""

from __future__ import annotations

import tempfile
from typing import Annotated, BinaryIO, Literal, cast

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

import mediaquery.api.convertors  # noqa: F401 - registers the {name:name} convertor
from mediaquery.api.deps import ConnDep, CtxDep
from mediaquery.api.filters import AnyCase, Confidence, FilterDep
from mediaquery.api.items import load_public, resolve
from mediaquery.api.schemas import (
    MediaPage,
    MediaPublic,
    PersonSegmentPublic,
    SimilarItem,
    SimilarMedia,
    UploadResult,
)
from mediaquery.errors import BadRequest, Conflict, PayloadTooLarge
from mediaquery.index.faces import person_segments
from mediaquery.index.query import list_media
from mediaquery.index.similar import similar_media
from mediaquery.ingest.uploads import SPOOL_BYTES, delete_object, store_upload, store_uploads

router = APIRouter(prefix="/v1/media", tags=["media"])


@router.get("", response_model=MediaPage)
def list_items(
    conn: ConnDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    order: Annotated[
        Literal["name", "newest", "taken"],
        AnyCase,
        Query(description="name (A-Z), newest first, or taken: newest capture time first"),
    ] = "name",
) -> MediaPage:
    """List media by name, newest first or by capture time, filtered (AND), cursor-paged."""
    page = list_media(conn, f, limit=limit, cursor=cursor, order=order)
    items = [MediaPublic.of(r) for r in page.items]
    videos = [r.id for r in page.items if r.type == "video"]
    if f.people and videos:  # videos answer with when those people are seen
        spans = person_segments(conn, videos, f.people)
        for item, row in zip(items, page.items, strict=True):
            if row.id in spans:
                item.person_segments = [PersonSegmentPublic(**s) for s in spans[row.id]]
    return MediaPage(items=items, next_cursor=page.next_cursor)


@router.get("/{name:name}/similar")
def similar_items(
    ctx: CtxDep,
    conn: ConnDep,
    name: str,
    limit: Annotated[int, Query(ge=1, le=100, description="How many")] = 10,
) -> SimilarMedia | MediaPublic:
    """The media that look most alike (cosine similarity of image embeddings), best first."""
    row = resolve(conn, name, "similar", ctx.settings.labels.default_min_confidence)
    if isinstance(row, MediaPublic):
        return row
    found = similar_media(conn, row.id, limit)
    if found is None:
        raise Conflict(f"{name} has no image embedding yet (status: {row.status})")
    return SimilarMedia(items=[SimilarItem(name=n, similarity=s) for n, s in found])


@router.get("/{name:name}", response_model=MediaPublic)
def get_item(
    ctx: CtxDep, conn: ConnDep, name: str, min_confidence: Confidence = None
) -> MediaPublic:
    """One media item with status, labels (confidence, parents, aliases) and provenance."""
    return load_public(conn, name, ctx.settings.labels.threshold(min_confidence))


def _item(ctx: CtxDep, name: str) -> MediaPublic:
    with ctx.engine.connect() as conn:
        return load_public(conn, name, ctx.settings.labels.default_min_confidence)


@router.put("/{name:name}", response_model=MediaPublic, status_code=status.HTTP_201_CREATED)
async def put_item(ctx: CtxDep, request: Request, response: Response, name: str) -> MediaPublic:
    """Upload one object with the raw body as content (like S3 PutObject); queues analysis."""
    limit = ctx.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Upload is larger than the limit of {limit} bytes")
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"Upload is larger than the limit of {limit} bytes")
            spool.write(chunk)
        spool.seek(0)
        result = await run_in_threadpool(store_upload, ctx, name, cast(BinaryIO, spool))
    if result.action != "created":
        response.status_code = status.HTTP_200_OK
    return await run_in_threadpool(_item, ctx, name)


@router.post("", response_model=UploadResult, status_code=status.HTTP_201_CREATED)
async def post_items(
    ctx: CtxDep,
    files: Annotated[list[UploadFile], File(description="One or more files")],
    prefix: Annotated[str, Form(description="Prepended to each file name")] = "",
) -> UploadResult:
    """Upload several files (multipart form field `files`); names are `prefix` + file name.
    All or nothing: every file is checked before any is stored, and a failure undoes the rest."""
    limit = ctx.settings.max_upload_bytes
    uploads: list[tuple[str, BinaryIO]] = []
    for f in files:
        if not f.filename:
            raise BadRequest("Every uploaded file needs a file name")
        if f.size is not None and f.size > limit:
            raise PayloadTooLarge(f"{f.filename} is larger than the limit of {limit} bytes")
        uploads.append((prefix + f.filename, cast(BinaryIO, f.file)))
    results = await run_in_threadpool(store_uploads, ctx, uploads)
    return UploadResult(items=[await run_in_threadpool(_item, ctx, r.name) for r in results])


@router.delete("/{name:name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(ctx: CtxDep, name: str) -> Response:
    """Delete the object from the bucket and everything found in it from the index."""
    delete_object(ctx, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
