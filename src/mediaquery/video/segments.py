"""Per-sample labels turned into time segments (Rekognition's SEGMENTS view) and timestamps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mediaquery.domain import LabelFinding

Observation = tuple[int, Sequence[LabelFinding]]  # (ts_ms, labels seen in that sample)


@dataclass(frozen=True, slots=True)
class LabelSegment:
    """One label over one stretch of video; `samples` is how many observations it averages."""

    name: str
    parents: tuple[str, ...]
    aliases: tuple[str, ...]
    category: str
    start_ms: int
    end_ms: int
    max_confidence: float
    mean_confidence: float
    samples: int = 1


def merge_slack(interval_ms: int, gap_ms: int | None) -> int:
    """The largest gap between two segments that still joins them.

    `gap_ms` (default one interval: one sample that missed the label) plus half an interval,
    because a sample's timestamp is the first frame at or after its sampling point and so
    jitters by up to a frame.
    """
    return (interval_ms if gap_ms is None else gap_ms) + interval_ms // 2


def aggregate(
    observations: Iterable[Observation],
    interval_ms: int,
    gap_ms: int | None = None,
    *,
    duration_ms: int | None = None,
) -> list[LabelSegment]:
    """Segments per label: each observation covers [ts, ts + interval_ms), clipped to duration.

    Observations of one label merge while the gap between them is at most
    `merge_slack(interval_ms, gap_ms)`; the confidence is the max and the mean over the
    observations (a label seen twice at one timestamp counts once, at its best).
    """
    per_label: dict[str, dict[int, LabelFinding]] = {}
    for ts, labels in observations:
        for label in labels:
            seen = per_label.setdefault(label.name, {})
            if ts not in seen or label.confidence > seen[ts].confidence:
                seen[ts] = label
    slack = merge_slack(interval_ms, gap_ms)
    segments: list[LabelSegment] = []
    for by_ts in per_label.values():
        current: LabelSegment | None = None
        for ts in sorted(by_ts):
            label = by_ts[ts]
            end = ts + interval_ms if duration_ms is None else min(ts + interval_ms, duration_ms)
            end = max(end, ts)
            single = LabelSegment(
                label.name,
                label.parents,
                label.aliases,
                label.category,
                ts,
                end,
                label.confidence,
                label.confidence,
            )
            if current is not None and ts - current.end_ms <= slack:
                current = join(current, single)
            else:
                if current is not None:
                    segments.append(current)
                current = single
        if current is not None:
            segments.append(current)
    segments.sort(key=lambda s: (s.start_ms, -s.max_confidence, s.name))
    return segments


def join(a: LabelSegment, b: LabelSegment) -> LabelSegment:
    """One segment spanning both, confidences combined (mean weighted by samples)."""
    samples = a.samples + b.samples
    mean = (a.mean_confidence * a.samples + b.mean_confidence * b.samples) / samples
    return replace(
        a,
        start_ms=min(a.start_ms, b.start_ms),
        end_ms=max(a.end_ms, b.end_ms),
        max_confidence=max(a.max_confidence, b.max_confidence),
        mean_confidence=mean,
        samples=samples,
    )


def merge_segments(segments: Iterable[LabelSegment], slack_ms: int) -> list[LabelSegment]:
    """Join segments of the same label that touch or overlap within `slack_ms`."""
    by_name: dict[str, list[LabelSegment]] = {}
    for seg in segments:
        by_name.setdefault(seg.name, []).append(seg)
    merged: list[LabelSegment] = []
    for group in by_name.values():
        group.sort(key=lambda s: s.start_ms)
        current = group[0]
        for seg in group[1:]:
            if seg.start_ms - current.end_ms <= slack_ms:
                current = join(current, seg)
            else:
                merged.append(current)
                current = seg
        merged.append(current)
    merged.sort(key=lambda s: (s.start_ms, -s.max_confidence, s.name))
    return merged


def timestamps(observations: Iterable[Observation]) -> list[dict[str, Any]]:
    """Rekognition's TIMESTAMPS view: one row per label per sample, by time then confidence."""
    best: dict[tuple[int, str], float] = {}
    for ts, labels in observations:
        for label in labels:
            key = (ts, label.name)
            best[key] = max(best.get(key, label.confidence), label.confidence)
    ordered = sorted(best.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
    return [{"ts_ms": ts, "name": name, "confidence": conf} for (ts, name), conf in ordered]
