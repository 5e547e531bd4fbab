"""Label facets: which labels the matching media carry, and how many of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from mediaquery.api.deps import ConnDep
from mediaquery.api.filters import FilterDep
from mediaquery.api.schemas import LabelFacet, LabelFacets
from mediaquery.index.query import label_facets

router = APIRouter(prefix="/v1/labels", tags=["labels"])


@router.get("", response_model=LabelFacets)
def facets(
    conn: ConnDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most labels to return")] = 100,
) -> LabelFacets:
    """Label names with the number of matching media carrying each, most common first."""
    return LabelFacets(labels=[LabelFacet(**x) for x in label_facets(conn, f, limit)])
