"""Nearest media by cosine similarity of stored embeddings (brute force; fine to ~10^5 items)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection, select

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
