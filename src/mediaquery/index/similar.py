"""Nearest media by cosine similarity of stored embeddings (brute force; fine to ~10^5 items)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection, select

from mediaquery.index.metadata import attach_metadata
from mediaquery.index.query import MediaFilter, _conditions
from mediaquery.index.repo import MEDIA_COLUMNS, MediaRow, attach_labels, media_row
from mediaquery.index.tables import embeddings, media


def similar_media(
    conn: Connection, media_id: int, limit: int = 10, analyzer: str = "labels"
) -> list[tuple[str, float]] | None:
    """(name, similarity 0-1) of the nearest other media, best first; None without embedding."""
    own = conn.execute(
        select(embeddings.c.vector).where(
            embeddings.c.media_id == media_id, embeddings.c.analyzer == analyzer
        )
    ).scalar()
    if own is None:
        return None
    query = np.frombuffer(own, dtype="<f4")
    rows = conn.execute(
        select(media.c.name, embeddings.c.vector)
        .join(media, media.c.id == embeddings.c.media_id)
        .where(embeddings.c.analyzer == analyzer, embeddings.c.media_id != media_id)
    ).all()
    if not rows:
        return []
    matrix = np.frombuffer(b"".join(r.vector for r in rows), dtype="<f4").reshape(len(rows), -1)
    scores = matrix @ query  # vectors are stored L2-normalised
    top = np.argsort(-scores)[:limit]
    return [(rows[i].name, round(float(scores[i]), 4)) for i in top]


def rank_by_vector(
    conn: Connection,
    vector: np.ndarray,
    f: MediaFilter,
    limit: int = 20,
    analyzer: str = "scenes",
    batch: int = 4096,
) -> list[tuple[MediaRow, float]]:
    """The media passing `f` whose stored embeddings are most like `vector` (unit length),
    best first, labels attached; brute force over `batch` rows at a time."""
    query = np.asarray(vector, dtype="<f4").reshape(-1)
    conds = _conditions(f, conn.dialect.name)
    rows = conn.execute(
        select(embeddings.c.media_id, embeddings.c.vector)
        .join(media, media.c.id == embeddings.c.media_id)
        .where(embeddings.c.analyzer == analyzer, embeddings.c.dim == query.size, *conds)
    )
    best_ids = np.zeros(0, dtype=np.int64)
    best_scores = np.zeros(0, dtype=np.float32)
    for part in rows.partitions(batch):
        ids = np.fromiter((r.media_id for r in part), dtype=np.int64, count=len(part))
        matrix = np.frombuffer(b"".join(r.vector for r in part), dtype="<f4")
        scores = matrix.reshape(len(part), -1) @ query  # vectors are stored L2-normalised
        best_ids = np.concatenate([best_ids, ids])
        best_scores = np.concatenate([best_scores, scores])
        if best_ids.size > limit:  # keep only the running top `limit`
            keep = np.argpartition(-best_scores, limit - 1)[:limit]
            best_ids, best_scores = best_ids[keep], best_scores[keep]
    order = np.lexsort((best_ids, -best_scores))  # ties: the older media first
    by_id = {
        r.id: r
        for r in map(
            media_row,
            conn.execute(select(*MEDIA_COLUMNS).where(media.c.id.in_([int(i) for i in best_ids]))),
        )
    }
    found = [
        (by_id[int(best_ids[i])], round(float(best_scores[i]), 4))
        for i in order
        if int(best_ids[i]) in by_id  # deleted meanwhile
    ]
    attach_labels(conn, [row for row, _ in found], f.min_confidence)
    attach_metadata(conn, [row for row, _ in found])
    return found
