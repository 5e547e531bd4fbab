"""Time, place and camera facets: how many matching media were taken in each year and month,
in each country and city, and with each camera."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from mediaquery.api.deps import ConnDep
from mediaquery.api.filters import FilterDep
from mediaquery.index.meta_facets import camera_facets, place_facets, time_facets

router = APIRouter(prefix="/v1/facets", tags=["facets"])


@router.get("/time")
def time(conn: ConnDep, f: FilterDep) -> dict[str, Any]:
    """Matching media per year and month of their local capture time, newest first.

    Exact (kept counts) without a filter, with only a country, place or camera, or with one
    label at the default min_confidence, each with at most a time range at month boundaries;
    otherwise counts of the first 5,000 matches when more match (`sampled` true,
    `counted_media` 5000)."""
    return time_facets(conn, f)


@router.get("/places")
def places(
    conn: ConnDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most countries and cities")] = 100,
) -> dict[str, Any]:
    """Matching media per country and per city, most first. Exact (kept counts) without a
    filter or with only a country, place and a time range at month boundaries; otherwise
    counts of the first 5,000 matches when more match (`sampled` true, `counted_media` 5000)."""
    return place_facets(conn, f, limit)


@router.get("/cameras")
def cameras(
    conn: ConnDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most cameras")] = 100,
) -> dict[str, Any]:
    """Matching media per camera make and model, most first. Exact (kept counts) without a
    filter or with only a camera and a time range at month boundaries; else sampled as the
    places."""
    return camera_facets(conn, f, limit)
