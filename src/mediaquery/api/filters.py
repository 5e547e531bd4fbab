"""The filter query parameters shared by the media list and the label facets."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import BeforeValidator

from mediaquery.api.deps import CtxDep
from mediaquery.index.query import MediaFilter


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


# Enum-like values match in any case, as labels do: type=Image, status=DONE, order=Newest.
AnyCase = BeforeValidator(_casefold)
MAX_ID = 2**63 - 1  # the largest integer the index stores (64-bit signed)

Confidence = Annotated[
    float | None, Query(ge=0, le=100, description="Only labels at or above this (0-100)")
]


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
    person: Annotated[
        list[str] | None, Query(description="A person's name (any case) or id; repeat for AND")
    ] = None,
) -> MediaFilter:
    """Which media a request asks about (every parameter narrows the result)."""
    return MediaFilter(
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
    )


FilterDep = Annotated[MediaFilter, Depends(media_filter)]
