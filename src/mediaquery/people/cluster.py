"""Faces join people as they arrive; unmatched faces wait until enough alike form a person.

Distances are Euclidean between dlib embeddings: the same face mirrored or resized lands at
0.12-0.18, two photos of one person at 0.25-0.45, two people at 0.8 and more; dlib's own
threshold for "same person" is 0.6. A new face joins the person whose centroid is nearest
within JOIN; a face that matches nobody waits, and once MIN_FACES waiting faces lie within
JOIN of it they become a new person (like Immich's minimum faces per person), so one stray
face never becomes a person of its own.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection

from mediaquery.index import faces as faces_index
from mediaquery.index import people as people_index

JOIN = 0.6
MIN_FACES = 3
# Waiting faces compared with each new face: the newest ones (a recluster looks at all).
WAITING_WINDOW = 5_000


def assign(conn: Connection, face_ids: list[int]) -> None:
    """Put new faces into people (see the module docstring)."""
    if not face_ids:
        return
    vectors = faces_index.embeddings_of(conn, face_ids)
    for face_id, vec in zip(face_ids, vectors, strict=True):
        found = people_index.centroids(conn).nearest(vec)
        if found is not None and found[1] <= JOIN:
            people_index.add_faces(conn, found[0], [face_id], vec[None, :])
            continue
        _maybe_form(conn, face_id, vec)


def _maybe_form(conn: Connection, face_id: int, vec: np.ndarray) -> None:
    ids, waiting = faces_index.unassigned(conn, WAITING_WINDOW)
    if not ids:
        return
    near = np.linalg.norm(waiting - vec[None, :], axis=1) <= JOIN
    group = [i for i, ok in zip(ids, near, strict=True) if ok]
    if face_id not in group:
        group.append(face_id)
    if len(group) >= MIN_FACES:
        people_index.create(conn, group, faces_index.embeddings_of(conn, group))


def cluster(vectors: np.ndarray) -> list[int]:
    """Offline grouping of every face at once: a cluster label per face (-1: nobody).

    A greedy pass (each face joins the nearest running centroid within JOIN, or starts one),
    then every face moves to its nearest final centroid within JOIN, so early faces are not
    stuck with a centroid that drifted; clusters under MIN_FACES are dissolved."""
    n = len(vectors)
    if not n:
        return []
    size = min(n, 1024)  # grown as people appear
    sums, cents = np.zeros((size, vectors.shape[1])), np.zeros((size, vectors.shape[1]))
    counts, norms = np.zeros(size, np.int64), np.zeros(size)
    k = 0
    for v in vectors.astype(np.float64):
        if k == len(counts):
            sums, cents = np.vstack([sums, np.zeros_like(sums)]), np.vstack([cents, cents * 0])
            counts = np.concatenate([counts, np.zeros_like(counts)])
            norms = np.concatenate([norms, np.zeros_like(norms)])
        if k:
            # |c - v|^2 = |c|^2 - 2 c.v + |v|^2: one matrix-vector product, no k x 128 copy
            d2 = norms[:k] - 2.0 * (cents[:k] @ v) + float(v @ v)
            j = int(np.argmin(d2))
            if d2[j] <= JOIN * JOIN:
                sums[j] += v
                counts[j] += 1
                cents[j] = sums[j] / counts[j]
                norms[j] = cents[j] @ cents[j]
                continue
        sums[k] = cents[k] = v
        norms[k] = float(v @ v)
        counts[k] = 1
        k += 1
    cents = cents[:k]
    labels = np.concatenate(
        [_nearest(vectors[i : i + 1024], cents) for i in range(0, len(vectors), 1024)]
    )
    sizes = np.bincount(labels[labels >= 0], minlength=len(cents))
    return [int(c) if c >= 0 and sizes[c] >= MIN_FACES else -1 for c in labels]


def _nearest(chunk: np.ndarray, cents: np.ndarray) -> np.ndarray:
    # |a - c|^2 = |a|^2 + |c|^2 - 2 a.c: a chunk x centroids matrix, never chunk x c x 128
    sq = (chunk**2).sum(1)[:, None] + (cents**2).sum(1)[None, :] - 2 * chunk @ cents.T
    d = np.sqrt(np.maximum(sq, 0.0))
    return np.where(d.min(axis=1) <= JOIN, d.argmin(axis=1), -1)
