"""Writing analyzer findings (labels, moderation, text, embeddings) and reading them back."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, insert, select, update

from mediaquery.domain import Findings, LabelFinding, Status
from mediaquery.index import label_months
from mediaquery.index.colors import colors_of, insert_colors
from mediaquery.index.faces import delete_faces, faces_in_media, replace_faces
from mediaquery.index.label_counts import tracked
from mediaquery.index.repo import MediaRow, get_media
from mediaquery.index.tables import (
    analyses,
    embeddings,
    label_segments,
    label_terms,
    label_timestamps,
    labels,
    media,
    media_colors,
    moderation_labels,
    text_lines,
)
from mediaquery.index.text_search import set_text
from mediaquery.index.words import normalise

MODERATION = "Moderation"
# Findings.extra key: the analyzer was skipped (a model it needs is missing); value: why.
UNAVAILABLE = "unavailable"


def save_findings(
    conn: Connection,
    name: str,
    etag: str,
    results: Sequence[tuple[Findings, float]],
    *,
    floor: float,
    width: int | None = None,
    height: int | None = None,
    new_faces: list[int] | None = None,
) -> bool:
    """Replace each analyzer's findings for this content and mark the media done.

    Idempotent: a rerun replaces rows keyed by (media, analyzer), so an analyzer's old version
    is replaced, never merged. The ids of faces stored (not yet in any person) are appended to
    `new_faces`. Returns False, writing nothing, when the media was deleted or replaced while
    it was being analysed."""
    row = get_media(conn, name)
    if row is None or row.etag != etag:
        return False
    now = time.time()
    previous = set(
        conn.execute(select(analyses.c.analyzer).where(analyses.c.media_id == row.id)).scalars()
    )
    with tracked(conn, row.id), label_months.tracked(conn, row.id):
        for findings, _ in results:
            _save_one(conn, row.id, findings, previous, floor)
            found = findings.extra.get("faces")
            if isinstance(found, list) and UNAVAILABLE not in findings.extra:
                ids = replace_faces(conn, row.id, findings.analyzer, found)
                if new_faces is not None:
                    new_faces.extend(ids)
    if results:
        conn.execute(
            insert(analyses),
            [
                {
                    "media_id": row.id,
                    "analyzer": f.analyzer,
                    "version": f.version,
                    "etag": etag,
                    "ran_at": now,
                    "duration_ms": ms,
                    **_skipped(f),
                }
                for f, ms in results
            ],
        )
    conn.execute(
        update(media)
        .where(media.c.id == row.id)
        .values(
            status=str(Status.DONE),
            error=None,
            width=width,
            height=height,
            analyzed_at=now,
            updated_at=now,
        )
    )
    return True


def _save_one(
    conn: Connection, media_id: int, findings: Findings, previous: set[str], floor: float
) -> None:
    if findings.analyzer in previous:  # first analyses have nothing to clear
        _clear_analyzer(conn, media_id, findings.analyzer)
    flagged = [x for x in findings.labels if x.category == MODERATION]
    ordinary = [x for x in findings.labels if x not in flagged and x.confidence >= floor]
    _insert_labels(conn, media_id, findings, ordinary)
    _insert_moderation(conn, media_id, findings, flagged)
    _insert_text(conn, media_id, findings)
    _insert_embedding(conn, media_id, findings)
    insert_colors(conn, media_id, findings)


def _skipped(findings: Findings) -> dict[str, Any]:
    # every row has both keys: a multi-row insert takes its columns from the first row
    reason = findings.extra.get(UNAVAILABLE)
    return {"status": UNAVAILABLE if reason else None, "reason": str(reason) if reason else None}


def _clear_analyzer(conn: Connection, media_id: int, analyzer: str) -> None:
    delete_faces(conn, media_id, analyzer)
    for table in (
        label_terms,
        labels,
        moderation_labels,
        text_lines,
        embeddings,
        analyses,
        label_segments,
        label_timestamps,
        media_colors,
    ):
        conn.execute(
            delete(table).where(table.c.media_id == media_id, table.c.analyzer == analyzer)
        )


def _boxes(lab: LabelFinding) -> list[dict[str, float]] | None:
    return [asdict(b) for b in lab.boxes] or None


def _insert_labels(
    conn: Connection, media_id: int, findings: Findings, found: list[LabelFinding]
) -> None:
    if not found:
        return
    conn.execute(
        insert(labels),
        [
            {
                "media_id": media_id,
                "name": lab.name,
                "confidence": round(lab.confidence, 3),
                "parents": list(lab.parents),
                "aliases": list(lab.aliases),
                "category": lab.category,
                "analyzer": findings.analyzer,
                "analyzer_version": findings.version,
                "boxes": _boxes(lab),
            }
            for lab in found
        ],
    )
    # One row per searchable word of a label: its name and aliases, the strongest label wins.
    terms: dict[str, tuple[float, str]] = {}
    for lab in found:
        for term in {normalise(t) for t in (lab.name, *lab.aliases)}:
            if term not in terms or terms[term][0] < lab.confidence:
                terms[term] = (lab.confidence, lab.name)
    conn.execute(
        insert(label_terms),
        [
            {
                "term": t,
                "media_id": media_id,
                "confidence": c,
                "analyzer": findings.analyzer,
                "label": name,
            }
            for t, (c, name) in sorted(terms.items())
        ],
    )


def _insert_moderation(
    conn: Connection, media_id: int, findings: Findings, found: list[LabelFinding]
) -> None:
    for lab in found:
        conn.execute(
            insert(moderation_labels).values(
                media_id=media_id,
                name=lab.name,
                name_key=lab.name.casefold(),
                parent_key=lab.parents[0].casefold() if lab.parents else None,
                confidence=round(lab.confidence, 3),
                parents=list(lab.parents),
                boxes=_boxes(lab),
                analyzer=findings.analyzer,
                analyzer_version=findings.version,
            )
        )


def _insert_text(conn: Connection, media_id: int, findings: Findings) -> None:
    lines = findings.extra.get("lines")
    if not isinstance(lines, list):
        return
    rows = [
        {
            "media_id": media_id,
            "line_no": i,
            "text": str(line["text"]),
            "confidence": float(line["confidence"]),
            "box": line.get("box"),
            "analyzer": findings.analyzer,
        }
        for i, line in enumerate(lines)
    ]
    if rows:
        conn.execute(insert(text_lines), rows)
    # The searchable document holds the lines of every text analyzer of this media.
    body = conn.execute(
        select(text_lines.c.text)
        .where(text_lines.c.media_id == media_id)
        .order_by(text_lines.c.analyzer, text_lines.c.line_no)
    ).scalars()
    set_text(conn, media_id, "\n".join(body))


def _insert_embedding(conn: Connection, media_id: int, findings: Findings) -> None:
    if not findings.embedding:
        return
    vec = np.asarray(findings.embedding, dtype="<f4")
    norm = float(np.linalg.norm(vec))
    if norm > 0:
        vec = vec / norm
    conn.execute(
        insert(embeddings).values(
            media_id=media_id,
            analyzer=findings.analyzer,
            dim=int(vec.size),
            vector=vec.astype("<f4").tobytes(),
        )
    )


def attach_details(conn: Connection, row: MediaRow) -> dict[str, Any]:
    """Text lines, moderation labels, faces (with their person) and dominant colours of one
    media item."""
    lines = conn.execute(
        select(
            text_lines.c.text,
            text_lines.c.confidence,
            text_lines.c.box,
            text_lines.c.analyzer,
            text_lines.c.start_ms,
            text_lines.c.end_ms,
        )
        .where(text_lines.c.media_id == row.id)
        .order_by(text_lines.c.analyzer, text_lines.c.line_no)
    )
    mod = conn.execute(
        select(
            moderation_labels.c.name,
            moderation_labels.c.confidence,
            moderation_labels.c.parents,
            moderation_labels.c.boxes,
            moderation_labels.c.analyzer,
            moderation_labels.c.analyzer_version,
        )
        .where(moderation_labels.c.media_id == row.id)
        .order_by(moderation_labels.c.confidence.desc(), moderation_labels.c.name)
    )
    return {
        "text": [dict(r._mapping) for r in lines],
        "moderation": [{**r._mapping, "boxes": r.boxes or []} for r in mod],
        "faces": faces_in_media(conn, row.id),
        "colors": colors_of(conn, row.id),
    }
