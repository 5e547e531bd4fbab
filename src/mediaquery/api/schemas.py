"""API shapes, kept apart from the index rows they are built from."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mediaquery.index.repo import MediaRow


class SeedItem(BaseModel):
    """An item as the serverless media-query sample returns it."""

    name: str
    type: str
    labels: list[str]


class LabelPublic(BaseModel):
    name: str
    confidence: float = Field(description="0-100")
    parents: list[str]
    aliases: list[str]
    category: str
    analyzer: str
    analyzer_version: str


class AnalysisPublic(BaseModel):
    analyzer: str
    version: str
    ran_at: float
    duration_ms: float


class MediaPublic(BaseModel):
    name: str
    type: str
    status: str = Field(description="pending | processing | done | failed")
    error: str | None
    size: int
    content_type: str
    etag: str
    width: int | None
    height: int | None
    created_at: float
    updated_at: float
    analyzed_at: float | None
    labels: list[LabelPublic]
    analyses: list[AnalysisPublic]

    @classmethod
    def of(cls, row: MediaRow) -> MediaPublic:
        """Build from an index row (labels and analyses attached)."""
        data: dict[str, Any] = {k: getattr(row, k) for k in cls.model_fields}
        return cls.model_validate(data)


class MediaPage(BaseModel):
    items: list[MediaPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end")


class LabelFacet(BaseModel):
    name: str
    count: int = Field(description="Media carrying this label")
    max_confidence: float


class LabelFacets(BaseModel):
    labels: list[LabelFacet]


class UploadResult(BaseModel):
    items: list[MediaPublic]


class JobCounts(BaseModel):
    jobs: dict[str, int]
    media: dict[str, int]
    workers_alive: int


class ReconcileResult(BaseModel):
    counts: dict[str, int]
