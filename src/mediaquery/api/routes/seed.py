"""The serverless media-query sample's API, answered exactly like the sample."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

import mediaquery.api.convertors  # noqa: F401 - registers the {name:name} convertor
from mediaquery.api.deps import ConnDep, CtxDep
from mediaquery.api.filters import AnyCase
from mediaquery.api.items import load_item
from mediaquery.api.schemas import SeedItem
from mediaquery.api.seed_stream import read_page, seed_json_chunks, seed_labels
from mediaquery.index.query import MediaFilter

router = APIRouter(prefix="/api", tags=["seed-compatible"])


@router.get("/", response_model=list[SeedItem])
def list_seed(
    ctx: CtxDep,
    startswith: Annotated[str | None, Query(description="Name prefix")] = None,
    media_type: Annotated[
        Literal["image", "video"] | None,
        AnyCase,
        Query(alias="media-type", description="image or video (any case)"),
    ] = None,
    label: Annotated[str | None, Query(description="Label name or alias, any case")] = None,
) -> StreamingResponse:
    """List media, filtered by name prefix, media type and label (combined with AND)."""
    min_conf = ctx.settings.labels.default_min_confidence
    f = MediaFilter(
        prefix=startswith or None,
        type=media_type,
        labels=[label] if label else [],
        min_confidence=min_conf,
    )
    # The sample has no paging, so the whole list is one answer: streamed a page at a time.
    first = read_page(ctx.engine, f, None)
    return StreamingResponse(seed_json_chunks(ctx.engine, f, first), media_type="application/json")


@router.get("/{name:name}", response_model=SeedItem)
def get_seed(ctx: CtxDep, conn: ConnDep, name: str) -> SeedItem:
    """One media item by name."""
    row = load_item(conn, name, ctx.settings.labels.default_min_confidence)
    return SeedItem(name=row.name, type=row.type, labels=seed_labels(row))
