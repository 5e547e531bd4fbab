"""Label facets: which labels the matching media carry, and how many of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from mediaquery.api.deps import ConnDep
from mediaquery.api.filters import FilterDep
from mediaquery.api.schemas import LabelFacet, LabelFacets, LabelWords
from mediaquery.errors import BadRequest
from mediaquery.index.facets import facets as count_facets
from mediaquery.index.words import labels_for

router = APIRouter(prefix="/v1/labels", tags=["labels"])


@router.get("", response_model=LabelFacets)
def facets(
    conn: ConnDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most labels to return")] = 100,
) -> LabelFacets:
    """Label names with the number of matching media carrying each, most common first.

    With a filter that more than 5,000 media match, the counts are those of the first 5,000
    the index reaches (`sampled` true, `counted_media` 5000): counting every match took
    seconds at a million media. Without a filter (at a whole-number min_confidence) they are
    always exact: kept counts."""
    found = count_facets(conn, f, limit)
    return LabelFacets(
        labels=[LabelFacet(**x) for x in found.labels],
        sampled=found.sampled,
        counted_media=found.counted_media,
    )


@router.get("/words", response_model=LabelWords)
def words(
    conn: ConnDep,
    q: Annotated[str, Query(max_length=200, description="A word as typed: flowers, lady bird")],
) -> LabelWords:
    """The label names a typed word finds, as `label=` matches it (any case, plurals, spacing,
    aliases): what the web page's label box completes a word to."""
    if "\x00" in q:
        raise BadRequest("q must not contain NUL")
    return LabelWords(word=q, labels=labels_for(conn, q) if q.strip() else [])
