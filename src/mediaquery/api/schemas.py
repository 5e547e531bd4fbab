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


class BoxPublic(BaseModel):
    """Relative coordinates (0-1) of the upright image, like Rekognition's BoundingBox."""

    left: float
    top: float
    width: float
    height: float


class SegmentPublic(BaseModel):
    """Where a label is seen in a video (Rekognition's AggregateBy=SEGMENTS)."""

    start_ms: int
    end_ms: int
    max_confidence: float
    mean_confidence: float


class LabelPublic(BaseModel):
    name: str
    confidence: float = Field(description="0-100")
    parents: list[str]
    aliases: list[str]
    category: str
    analyzer: str
    analyzer_version: str
    boxes: list[BoxPublic] = Field(default_factory=list, description="One per instance found")
    segments: list[SegmentPublic] | None = Field(None, description="Videos: when it is seen")


class TextLinePublic(BaseModel):
    text: str
    confidence: float
    box: BoxPublic | None
    analyzer: str
    start_ms: int | None = None
    end_ms: int | None = None


class ModerationPublic(BaseModel):
    name: str
    confidence: float
    parents: list[str]
    boxes: list[BoxPublic]
    analyzer: str
    analyzer_version: str


class AnalysisPublic(BaseModel):
    analyzer: str
    version: str
    ran_at: float
    duration_ms: float
    status: str = Field("done", description="done, or unavailable: skipped, a model is missing")
    reason: str | None = Field(None, description="Why an unavailable analyzer did not run")


class CameraPublic(BaseModel):
    make: str | None
    model: str | None
    lens: str | None


class LocationPublic(BaseModel):
    lat: float
    lon: float
    alt: float | None = Field(description="Metres above sea level")


class PlacePublic(BaseModel):
    """The nearest city or town (GeoNames), found offline from the location."""

    city: str | None
    region: str | None
    country: str | None
    country_code: str | None = Field(description="ISO 3166-1 alpha-2")


class FacePersonPublic(BaseModel):
    id: int
    name: str | None


class FacePublic(BaseModel):
    box: dict[str, float] = Field(description="left, top, width, height (0-1)")
    confidence: float
    person: FacePersonPublic | None = Field(description="Who it is; null until grouped")
    start_ms: int | None = Field(None, description="Videos: the shot the face was seen in")
    end_ms: int | None = None


class PersonSegmentPublic(BaseModel):
    """When a person is seen in a video (touching shots joined)."""

    person: FacePersonPublic
    start_ms: int
    end_ms: int


class ColorPublic(BaseModel):
    name: str = Field(description="Palette name: red, orange, yellow, green, teal, blue, ...")
    hex: str = Field(description="The average colour of its pixels, #rrggbb")
    share: float = Field(description="Per cent of the image")


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
    progress: float | None = Field(None, description="Videos: 0-100 while being analysed")
    video: dict[str, Any] | None = Field(
        None, description="Videos: duration_ms, fps, codec, rotation, shots, frames analysed"
    )
    taken_at: str | None = Field(
        None, description="Capture time, ISO 8601; with its UTC offset when the file has one"
    )
    camera: CameraPublic | None = None
    location: LocationPublic | None = Field(None, description="Where it was taken (GPS)")
    place: PlacePublic | None = None
    labels: list[LabelPublic]
    analyses: list[AnalysisPublic]
    text: list[TextLinePublic] | None = Field(
        None, description="Lines of text found, in reading order (single-item reads only)"
    )
    moderation: list[ModerationPublic] | None = Field(
        None, description="Moderation labels, kept apart from labels (single-item reads only)"
    )
    faces: list[FacePublic] | None = Field(
        None, description="Faces with their person, left to right (single-item reads only)"
    )
    person_segments: list[PersonSegmentPublic] | None = Field(
        None, description="Videos listed with `person=`: when those people are seen"
    )
    colors: list[ColorPublic] | None = Field(
        None, description="Dominant colours, largest share first (single-item reads only)"
    )

    @classmethod
    def of(cls, row: MediaRow, details: dict[str, Any] | None = None) -> MediaPublic:
        """Build from an index row (labels and analyses attached) and optional details."""
        data: dict[str, Any] = {
            k: getattr(row, k) for k in MediaRow.__slots__ if k in cls.model_fields
        }
        data.update(row.metadata or {})
        data.update(details or {})
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
    sampled: bool = Field(
        False, description="More media match than were counted: counts are of `counted_media`"
    )
    counted_media: int | None = Field(
        None, description="When sampled: how many matching media the counts are of"
    )


class LabelWords(BaseModel):
    word: str
    labels: list[str] = Field(description="Label names the word finds as `label=`, best first")


class UploadResult(BaseModel):
    items: list[MediaPublic]


class JobCounts(BaseModel):
    jobs: dict[str, int]
    media: dict[str, int]
    workers_alive: int


class ReconcileResult(BaseModel):
    counts: dict[str, int]


class SimilarItem(BaseModel):
    name: str
    similarity: float = Field(description="Cosine similarity of image embeddings, -1..1")


class SimilarMedia(BaseModel):
    items: list[SimilarItem]


class ReindexRequest(BaseModel):
    analyzers: list[str] | None = Field(None, description="Only these; default: every enabled one")
    force: bool = Field(False, description="Redo even media whose analyzer versions are current")
    prefix: str | None = None
    label: list[str] = Field(default_factory=list)
    status: str | None = None


class ReindexResult(BaseModel):
    queued: int = Field(description="Media queued for re-analysis")
    considered: int = Field(description="Media that matched the filters")


class LabelsAt(BaseModel):
    """What a video shows: at one moment, per segment, or per sampled timestamp."""

    name: str
    at_ms: int | None
    aggregate: str
    labels: list[dict[str, Any]]


class SearchItem(MediaPublic):
    score: float = Field(description="Cosine similarity of the text and image embeddings, -1..1")


class SearchResults(BaseModel):
    query: str
    items: list[SearchItem] = Field(description="Best match first")
