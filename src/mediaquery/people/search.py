"""Search faces by a face (like Rekognition's SearchFacesByImage) and score similarity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection

from mediaquery.index import faces as faces_index
from mediaquery.index import people as people_index
from mediaquery.people.cluster import JOIN, WAITING_WINDOW

# People whose centroid lies this much beyond JOIN may still hold faces within JOIN.
CENTROID_SLACK = 0.15


def similarity(distance: float) -> float:
    """0-100: 100 for the very same face, 50 at the "same person" threshold, 0 from twice it."""
    return round(max(0.0, 100.0 * (1.0 - distance / (2 * JOIN))), 1)


@dataclass(frozen=True, slots=True)
class Match:
    media: str
    similarity: float
    person_id: int | None
    person_name: str | None


def search(conn: Connection, vector: np.ndarray, limit: int) -> list[Match]:
    """The media holding a face within JOIN of `vector`, best first (one entry per media)."""
    cents = people_index.centroids(conn)
    near: list[int] = []
    if len(cents.ids):
        d = np.linalg.norm(cents.matrix - vector[None, :], axis=1)
        near = [int(p) for p in cents.ids[d <= JOIN + CENTROID_SLACK]]
    best: dict[str, Match] = {}
    for name, pid, pname, emb in faces_index.candidates(conn, near, WAITING_WINDOW):
        dist = float(np.linalg.norm(emb - vector))
        if dist > JOIN:
            continue
        m = Match(name, similarity(dist), pid, pname)
        if name not in best or best[name].similarity < m.similarity:
            best[name] = m
    return sorted(best.values(), key=lambda m: (-m.similarity, m.media))[:limit]
