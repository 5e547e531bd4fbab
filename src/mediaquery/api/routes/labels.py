"""Label facets: which labels the matching media carry, and how many of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from mediaquery.api.deps import ConnDep, CtxDep
from mediaquery.api.routes.media import Confidence, MediaTypeQ, ModerationQ, StatusQ, TextQ
from mediaquery.api.schemas import LabelFacet, LabelFacets
from mediaquery.index.query import MediaFilter, label_facets

router = APIRouter(prefix="/v1/labels", tags=["labels"])


@router.get("", response_model=LabelFacets)
def facets(
    ctx: CtxDep,
    conn: ConnDep,
    prefix: Annotated[str | None, Query(description="Name prefix")] = None,
    type: MediaTypeQ = None,
    label: Annotated[list[str] | None, Query(description="Only media with these labels")] = None,
    min_confidence: Confidence = None,
    status: StatusQ = None,
    text: TextQ = None,
    moderation: ModerationQ = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most labels to return")] = 100,
) -> LabelFacets:
    """Label names with the number of matching media carrying each, most common first."""
    min_conf = (
        ctx.settings.labels.default_min_confidence if min_confidence is None else min_confidence
    )
    f = MediaFilter(prefix=prefix or None, type=type, labels=[x for x in label or [] if x],
                    min_confidence=min_conf, status=status, text=text or None,
                    moderation=moderation or None)  # fmt: skip
    return LabelFacets(labels=[LabelFacet(**x) for x in label_facets(conn, f, limit)])
