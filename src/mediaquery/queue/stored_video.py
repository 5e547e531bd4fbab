"""Videos that a service reads where the bucket stores them (Rekognition from S3): which
analyzers do so, and their labels folded into a chunk's result as segments and timestamps."""

from __future__ import annotations

import dataclasses
from typing import Any

from mediaquery.analyzers.base import Analyzer, StoredVideoLabeler
from mediaquery.context import Context
from mediaquery.video.segments import aggregate, timestamps


def location(ctx: Context, name: str) -> tuple[str, str] | None:
    """(bucket, key) when the bucket is S3, which such services read; None for a folder."""
    return ctx.storage.location(name)


def labelers(analyzers: list[Analyzer], where: tuple[str, str] | None) -> list[Analyzer]:
    """The analyzers that label this video where it is stored (none unless it is in S3)."""
    return [a for a in analyzers if where and isinstance(a, StoredVideoLabeler)]


def with_stored_labels(
    ctx: Context, result: Any, found_by: list[Analyzer], where: tuple[str, str], etag: str
) -> Any:
    """`result` (a VideoResult) plus what `found_by` saw in the whole stored video; the fan-in
    merges these segments with the frame analyzers' ones like any chunk's."""
    floor = ctx.settings.labels.default_min_confidence
    seen = [
        (ts, [x for x in labels if x.confidence >= floor])
        for a in found_by
        if isinstance(a, StoredVideoLabeler)
        for ts, labels in a.label_stored_video(where[0], where[1], etag)
    ]
    interval = ctx.settings.video.sample_interval_ms
    segments = aggregate(seen, interval, duration_ms=result.info.duration_ms)
    return dataclasses.replace(
        result,
        segments=[*result.segments, *segments],
        timestamps=[*result.timestamps, *timestamps(seen)],
    )
