"""A chunk's VideoResult as JSON and back, for the checkpoint row that keeps it until the
last chunk of the video is done."""

from __future__ import annotations

import dataclasses
from typing import Any

from mediaquery.video.analyze import VideoResult, VideoStats
from mediaquery.video.decode import VideoInfo
from mediaquery.video.segments import LabelSegment


def result_to_json(result: VideoResult) -> dict[str, Any]:
    """A chunk's VideoResult as JSON for its checkpoint row."""
    return dataclasses.asdict(result)


def result_from_json(data: dict[str, Any]) -> VideoResult:
    """Rebuild a VideoResult from its checkpoint row."""
    segments = [
        LabelSegment(**{**s, "parents": tuple(s["parents"]), "aliases": tuple(s["aliases"])})
        for s in data["segments"]
    ]
    edges = data.get("edges")
    return VideoResult(
        info=VideoInfo(**data["info"]),
        segments=segments,
        timestamps=data["timestamps"],
        text=data["text"],
        shots=data["shots"],
        frames_analyzed=data["frames_analyzed"],
        stats=VideoStats(**data["stats"]),
        edges=(edges[0], edges[1]) if edges else None,
        embeddings=data.get("embeddings") or {},  # checkpoints older than video embeddings
        faces=data.get("faces") or [],  # and than faces in videos
    )
