"""Time, place and camera facets: how many matching media were taken in each year and month,
in each country and city, and with each camera."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from mediaquery.api.deps import ConnDep
from mediaquery.api.filters import FilterDep
from mediaquery.index.metadata import camera_facets, place_facets, time_facets
from mediaquery.index.query import _conditions

router = APIRouter(prefix="/v1/facets", tags=["facets"])


@router.get("/time")
def time(conn: ConnDep, f: FilterDep) -> dict[str, Any]:
    """Matching media per year and month of their local capture time, newest first."""
    return {"years": time_facets(conn, _conditions(f, conn.dialect.name, f.labels))}


@router.get("/places")
def places(
    conn: ConnDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most countries and cities")] = 100,
) -> dict[str, Any]:
    """Matching media per country and per city, most first. With more than 5,000 matches,
    counts of the first 5,000 the index reaches (`sampled` true, `counted_media` 5000)."""
    return place_facets(conn, _conditions(f, conn.dialect.name, f.labels), limit)


@router.get("/cameras")
def cameras(
    conn: ConnDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most cameras")] = 100,
) -> dict[str, Any]:
    """Matching media per camera make and model, most first; sampled as the places."""
    return camera_facets(conn, _conditions(f, conn.dialect.name, f.labels), limit)
