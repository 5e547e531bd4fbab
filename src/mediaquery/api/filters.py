"""The filter query parameters shared by the media list and the label facets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import BeforeValidator

from mediaquery.api.deps import CtxDep
from mediaquery.index.colors import color_keys
from mediaquery.index.metadata import metadata_fields
from mediaquery.index.query import MediaFilter

MetadataFilter = dict[str, Any]
_NO_METADATA: MetadataFilter = {}


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


# Enum-like values match in any case, as labels do: type=Image, status=DONE, order=Newest.
AnyCase = BeforeValidator(_casefold)
MAX_ID = 2**63 - 1  # the largest integer the index stores (64-bit signed)

Confidence = Annotated[
    float | None, Query(ge=0, le=100, description="Only labels at or above this (0-100)")
]


def metadata_filter(
    taken_after: Annotated[
        str | None, Query(description="Taken at or after: a date (2024-06-01) or date-time")
    ] = None,
    taken_before: Annotated[
        str | None,
        Query(description="Taken before: a date-time, or a date (that whole day included)"),
    ] = None,
    camera: Annotated[
        str | None, Query(description="Camera make, model or lens contains this (any case)")
    ] = None,
    place: Annotated[
        str | None, Query(description="City, region or country name (any case)")
    ] = None,
    country: Annotated[
        str | None, Query(description="ISO 3166-1 alpha-2 country code, e.g. PT")
    ] = None,
    near: Annotated[str | None, Query(description="lat,lon: within radius_km of it")] = None,
    radius_km: Annotated[
        float | None, Query(description="With near: the radius in km (default 10)")
    ] = None,
) -> MetadataFilter:
    """The capture time, camera and place filters."""
    return metadata_fields(taken_after, taken_before, camera, place, country, near, radius_km)


def media_filter(
    ctx: CtxDep,
    prefix: Annotated[str | None, Query(description="Name prefix")] = None,
    type: Annotated[
        Literal["image", "video", "unknown"] | None, AnyCase, Query(description="Media type")
    ] = None,
    label: Annotated[list[str] | None, Query(description="Label or alias; repeat for AND")] = None,
    min_confidence: Confidence = None,
    status: Annotated[
        Literal["pending", "processing", "done", "failed"] | None,
        AnyCase,
        Query(description="Status"),
    ] = None,
    text: Annotated[
        str | None, Query(description="Words that the text found in the media contains (all)")
    ] = None,
    moderation: Annotated[
        str | None,
        Query(description="none, any, or a moderation label (e.g. Explicit Nudity, Suggestive)"),
    ] = None,
    from_ms: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="With label: seen from (video)")
    ] = None,
    to_ms: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="With label: seen before (video)")
    ] = None,
    where: Annotated[MetadataFilter, Depends(metadata_filter)] = _NO_METADATA,
    person: Annotated[
        list[str] | None, Query(description="A person's name (any case) or id; repeat for AND")
    ] = None,
    color: Annotated[
        list[str] | None,
        Query(description="A dominant colour (red, blue, grey ...; any case); repeat for AND"),
    ] = None,
) -> MediaFilter:
    """Which media a request asks about (every parameter narrows the result)."""
    return MediaFilter(
        **where,
        prefix=prefix or None,
        type=type,
        labels=[x for x in label or [] if x],
        min_confidence=ctx.settings.labels.threshold(min_confidence),
        status=status,
        text=text or None,
        moderation=moderation or None,
        from_ms=from_ms,
        to_ms=to_ms,
        people=[x for x in person or [] if x.strip()],
        colors=color_keys([x for x in color or [] if x.strip()]),
    )


FilterDep = Annotated[MediaFilter, Depends(media_filter)]
