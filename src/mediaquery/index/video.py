"""Storing and reading what was found in a video: labels over time, text on screen, stream facts."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, insert, select, update

from mediaquery.domain import Findings, LabelFinding, Status
from mediaquery.index import label_months
from mediaquery.index.findings import _clear_analyzer, _insert_embedding, _insert_labels
from mediaquery.index.label_counts import tracked
from mediaquery.index.repo import MediaRow
from mediaquery.index.tables import (
    analyses,
    embeddings,
    label_segments,
    label_terms,
    label_timestamps,
    media,
    text_lines,
)
from mediaquery.index.text_search import set_text
from mediaquery.index.words import term_matches

VIDEO_ANALYZER = "video"


def _save_labels(
    conn: Connection, row: MediaRow, result: Any, provenance: list[tuple[str, str]], floor: float
) -> list[str]:
    _clear_analyzer(conn, row.id, VIDEO_ANALYZER)
    version = ",".join(f"{n}:{v}" for n, v in provenance)
    best: dict[str, LabelFinding] = {}
    for seg in result.segments:
        old = best.get(seg.name)
        if old is None or old.confidence < seg.max_confidence:
            best[seg.name] = LabelFinding(
                seg.name, seg.max_confidence, tuple(seg.parents), tuple(seg.aliases), seg.category
            )
    found = [x for x in best.values() if x.confidence >= floor]
    _insert_labels(conn, row.id, Findings(VIDEO_ANALYZER, version), found)
    return sorted(x.name for x in found)


def save_video(
    conn: Connection,
    row: MediaRow,
    result: Any,
    provenance: list[tuple[str, str]],
    *,
    floor: float,
) -> list[str]:
    """Replace the video's findings with a merged VideoResult; returns its label names."""
    with tracked(conn, row.id), label_months.tracked(conn, row.id):
        names = _save_labels(conn, row, result, provenance, floor)
    for name, _ in provenance:
        conn.execute(
            delete(analyses).where(analyses.c.media_id == row.id, analyses.c.analyzer == name)
        )
    if result.segments:
        conn.execute(
            insert(label_segments),
            [
                {
                    "media_id": row.id,
                    "analyzer": VIDEO_ANALYZER,
                    "name": s.name,
                    "start_ms": s.start_ms,
                    "end_ms": s.end_ms,
                    "max_confidence": s.max_confidence,
                    "mean_confidence": s.mean_confidence,
                }
                for s in result.segments
            ],
        )
    if result.timestamps:
        conn.execute(
            insert(label_timestamps),
            [
                {
                    "media_id": row.id,
                    "analyzer": VIDEO_ANALYZER,
                    "ts_ms": t["ts_ms"],
                    "name": t["name"],
                    "confidence": t["confidence"],
                }
                for t in result.timestamps
            ],
        )
    if result.text:
        conn.execute(
            insert(text_lines),
            [
                {
                    "media_id": row.id,
                    "line_no": i,
                    "text": t["text"],
                    "confidence": t["confidence"],
                    "box": t.get("box"),
                    "analyzer": VIDEO_ANALYZER,
                    "start_ms": t.get("start_ms"),
                    "end_ms": t.get("end_ms"),
                }
                for i, t in enumerate(result.text)
            ],
        )
    set_text(conn, row.id, "\n".join(t["text"] for t in result.text))
    for name, vector in getattr(result, "embeddings", {}).items():
        # the mean direction of the analyzer's frame embeddings: /similar and /v1/search
        conn.execute(
            delete(embeddings).where(embeddings.c.media_id == row.id, embeddings.c.analyzer == name)
        )
        _insert_embedding(conn, row.id, Findings(name, "", embedding=vector))
    now = time.time()
    conn.execute(
        insert(analyses),
        [
            {
                "media_id": row.id,
                "analyzer": n,
                "version": v,
                "etag": row.etag,
                "ran_at": now,
                "duration_ms": result.stats.wall_s * 1000,
            }
            for n, v in provenance
        ],
    )
    video = {
        **(row.video or {}),
        "shots": result.shots,
        "frames_analyzed": result.frames_analyzed,
        "covered_ms": result.stats.covered_ms,
        "errors_skipped": result.stats.errors_skipped,
        "stopped_by_budget": result.stats.stopped_by_budget,
    }
    conn.execute(
        update(media)
        .where(media.c.id == row.id)
        .values(
            status=str(Status.DONE),
            error=None,
            progress=100.0,
            video=video,
            analyzed_at=now,
            updated_at=now,
        )
    )
    return names


def segments_of(conn: Connection, media_id: int) -> dict[str, list[dict[str, Any]]]:
    """label name → its time segments, in time order."""
    q = (
        select(
            label_segments.c.name,
            label_segments.c.start_ms,
            label_segments.c.end_ms,
            label_segments.c.max_confidence,
            label_segments.c.mean_confidence,
        )
        .where(label_segments.c.media_id == media_id)
        .order_by(label_segments.c.name, label_segments.c.start_ms)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(q):
        d = dict(r._mapping)
        out.setdefault(d.pop("name"), []).append(d)
    return out


def labels_at(conn: Connection, media_id: int, at_ms: int) -> list[dict[str, Any]]:
    """The labels on screen at one moment, strongest first."""
    q = (
        select(
            label_segments.c.name,
            label_segments.c.start_ms,
            label_segments.c.end_ms,
            label_segments.c.max_confidence,
            label_segments.c.mean_confidence,
        )
        .where(
            label_segments.c.media_id == media_id,
            label_segments.c.start_ms <= at_ms,
            label_segments.c.end_ms > at_ms,
        )
        .order_by(label_segments.c.max_confidence.desc(), label_segments.c.name)
    )
    return [dict(r._mapping) for r in conn.execute(q)]


def timestamps_of(conn: Connection, media_id: int) -> list[dict[str, Any]]:
    """Every sampled moment's labels (Rekognition's TIMESTAMPS view)."""
    q = (
        select(label_timestamps.c.ts_ms, label_timestamps.c.name, label_timestamps.c.confidence)
        .where(label_timestamps.c.media_id == media_id)
        .order_by(label_timestamps.c.ts_ms, label_timestamps.c.confidence.desc())
    )
    return [dict(r._mapping) for r in conn.execute(q)]


def seen_between(term: str, from_ms: int | None, to_ms: int | None, min_confidence: float) -> Any:
    """A WHERE clause: media where a label (by name or alias) is on screen in [from, to)."""
    conds = [
        term_matches(term),
        label_terms.c.media_id == media.c.id,
        label_terms.c.confidence >= min_confidence,
        label_segments.c.media_id == label_terms.c.media_id,
        label_segments.c.name == label_terms.c.label,
    ]
    if from_ms is not None:
        conds.append(label_segments.c.end_ms > from_ms)
    if to_ms is not None:
        conds.append(label_segments.c.start_ms < to_ms)
    return exists().where(and_(*conds))
