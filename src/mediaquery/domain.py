"""Plain data passed between the layers: analyzers produce findings, the index stores them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class MediaType(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    UNKNOWN = "unknown"


class Status(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Box:
    """A bounding box in relative coordinates (0-1), like Rekognition's BoundingBox."""

    left: float
    top: float
    width: float
    height: float

    def pixels(self, w: int, h: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in whole pixels of a w x h image."""
        return (
            round(self.left * w),
            round(self.top * h),
            round((self.left + self.width) * w),
            round((self.top + self.height) * h),
        )


@dataclass(frozen=True, slots=True)
class LabelFinding:
    """One label an analyzer saw: confidence is 0-100; parents run nearest first."""

    name: str
    confidence: float
    parents: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    category: str = "Object"
    boxes: tuple[Box, ...] = ()


@dataclass(slots=True)
class Findings:
    """Everything one analyzer found in one media item."""

    analyzer: str
    version: str
    labels: list[LabelFinding] = field(default_factory=list)
    embedding: list[float] | None = None
    extra: dict[str, object] = field(default_factory=dict)
