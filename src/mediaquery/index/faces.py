"""Faces found in media: box, score, 128-d embedding and the person they belong to."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, insert, or_, select

from mediaquery.index import people as people_index
from mediaquery.index.people import from_blob, to_blob
from mediaquery.index.tables import faces, media, people


def replace_faces(
    conn: Connection, media_id: int, analyzer: str, found: Sequence[dict[str, Any]]
) -> list[int]:
    """Store the faces an analyzer found in a media item (replacing its earlier ones);
    returns the new faces' ids, which belong to nobody until clustered."""
    delete_faces(conn, media_id, analyzer)
    now = time.time()
    ids = []
    for face in found:
        vec = np.asarray(face["embedding"], dtype=np.float32)
        ids.append(
            conn.execute(
                insert(faces)
                .values(
                    media_id=media_id,
                    analyzer=analyzer,
                    box=face["box"],
                    score=float(face["score"]),
                    embedding=to_blob(vec),
                    created_at=now,
                    start_ms=face.get("start_ms"),
                    end_ms=face.get("end_ms"),
                )
                .returning(faces.c.id)
            ).scalar_one()
        )
    return [int(i) for i in ids]


def delete_faces(conn: Connection, media_id: int, analyzer: str | None = None) -> None:
    """Delete a media item's faces (of one analyzer, or all), keeping people consistent."""
    cond = faces.c.media_id == media_id
    if analyzer is not None:
        cond = cond & (faces.c.analyzer == analyzer)
    ids = [int(i) for i in conn.execute(select(faces.c.id).where(cond)).scalars()]
    if ids:
        people_index.release_faces(conn, ids)
        conn.execute(delete(faces).where(faces.c.id.in_(ids)))


def embeddings_of(conn: Connection, face_ids: Sequence[int]) -> np.ndarray:
    """The embeddings of these faces, in the order given."""
    q = select(faces.c.id, faces.c.embedding).where(faces.c.id.in_(list(face_ids)))
    rows = {int(r.id): r.embedding for r in conn.execute(q)}
    return np.stack([from_blob(rows[i]) for i in face_ids]) if face_ids else np.zeros((0, 128))


def unassigned(conn: Connection, limit: int) -> tuple[list[int], np.ndarray]:
    """The newest faces that belong to nobody yet (ids and embeddings), at most `limit`."""
    rows = conn.execute(
        select(faces.c.id, faces.c.embedding)
        .where(faces.c.person_id.is_(None))
        .order_by(faces.c.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return [], np.zeros((0, people_index.DIM), np.float32)
    return [int(r.id) for r in rows], np.stack([from_blob(r.embedding) for r in rows])


def all_faces(conn: Connection) -> tuple[list[int], np.ndarray]:
    """Every face (ids and embeddings), oldest first, for reclustering."""
    rows = conn.execute(select(faces.c.id, faces.c.embedding).order_by(faces.c.id)).all()
    if not rows:
        return [], np.zeros((0, people_index.DIM), np.float32)
    return [int(r.id) for r in rows], np.stack([from_blob(r.embedding) for r in rows])


def faces_in_media(conn: Connection, media_id: int) -> list[dict[str, Any]]:
    """The faces of one media item with their person (id and name, or null), left to right;
    in a video, each also says when (the shot it was seen in), in order of time."""
    rows = conn.execute(
        select(
            faces.c.box,
            faces.c.score,
            people.c.id.label("pid"),
            people.c.name,
            faces.c.start_ms,
            faces.c.end_ms,
        )
        .select_from(faces.outerjoin(people, people.c.id == faces.c.person_id))
        .where(faces.c.media_id == media_id)
    ).all()
    out = [
        {
            "box": r.box,
            "confidence": round(100 * r.score, 2),
            "person": {"id": r.pid, "name": r.name} if r.pid is not None else None,
            **({"start_ms": r.start_ms, "end_ms": r.end_ms} if r.start_ms is not None else {}),
        }
        for r in rows
    ]
    return sorted(out, key=lambda f: (f.get("start_ms", 0), f["box"]["left"], f["box"]["top"]))


def person_segments(
    conn: Connection, media_ids: Sequence[int], values: Sequence[str]
) -> dict[int, list[dict[str, Any]]]:
    """Per video (media id): when the people that `person=` values name are seen, as
    {"person": {"id", "name"}, "start_ms", "end_ms"} with touching shots joined."""
    if not media_ids or not values:
        return {}
    rows = conn.execute(
        select(faces.c.media_id, faces.c.start_ms, faces.c.end_ms, people.c.id, people.c.name)
        .join(people, people.c.id == faces.c.person_id)
        .where(
            faces.c.media_id.in_(list(media_ids)),
            faces.c.start_ms.is_not(None),
            or_(*(people_index.named_by(v) for v in values)),
        )
        .order_by(faces.c.media_id, people.c.id, faces.c.start_ms)
    ).all()
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        spans = out.setdefault(int(r.media_id), [])
        last = spans[-1] if spans else None
        if last and last["person"]["id"] == r.id and r.start_ms <= last["end_ms"]:
            last["end_ms"] = max(last["end_ms"], r.end_ms)
            continue
        spans.append(
            {
                "person": {"id": int(r.id), "name": r.name},
                "start_ms": r.start_ms,
                "end_ms": r.end_ms,
            }
        )
    return {m: sorted(s, key=lambda x: (x["start_ms"], x["person"]["id"])) for m, s in out.items()}


def face_media(conn: Connection, face_id: int) -> tuple[str, dict[str, float]] | None:
    """The media name and box of one face (for thumbnails)."""
    row = conn.execute(
        select(media.c.name, faces.c.box)
        .join(media, media.c.id == faces.c.media_id)
        .where(faces.c.id == face_id)
    ).first()
    return (row.name, row.box) if row else None


def media_of_face_ids(conn: Connection, face_ids: Sequence[int]) -> dict[int, str]:
    """face id -> media name."""
    rows = conn.execute(
        select(faces.c.id, media.c.name)
        .join(media, media.c.id == faces.c.media_id)
        .where(faces.c.id.in_(list(face_ids)))
    )
    return {int(r.id): r.name for r in rows}


def candidates(
    conn: Connection, person_ids: Sequence[int], waiting: int
) -> list[tuple[str, int | None, str | None, np.ndarray]]:
    """(media name, person id, person name, embedding) of the faces of these people and of
    the newest `waiting` faces that belong to nobody."""
    cols = (media.c.name.label("media"), faces.c.person_id, people.c.name, faces.c.embedding)
    base = select(*cols).select_from(
        faces.join(media, media.c.id == faces.c.media_id).outerjoin(
            people, people.c.id == faces.c.person_id
        )
    )
    rows = (
        list(conn.execute(base.where(faces.c.person_id.in_(list(person_ids)))))
        if person_ids
        else []
    )
    rows += list(
        conn.execute(
            base.where(faces.c.person_id.is_(None)).order_by(faces.c.id.desc()).limit(waiting)
        )
    )
    return [(r.media, r.person_id, r.name, from_blob(r.embedding)) for r in rows]
