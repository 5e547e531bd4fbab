"""People: clusters of faces with a name, a hidden flag, a centroid and a representative face.

A person keeps the sum of its face embeddings and their count, so faces join and leave in
O(1); a person whose last face leaves is deleted. Every centroid change bumps a random token
in `people_version`, which tells each process when its in-memory centroids are stale.
"""

from __future__ import annotations

import secrets
import time
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from mediaquery.errors import BadRequest, NotFound
from mediaquery.index.tables import faces, media, people, people_version

DIM = 128


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


@dataclass(slots=True)
class Centroids:
    """Every person's mean embedding, as read at `version`."""

    version: int
    ids: np.ndarray  # int64 person ids
    matrix: np.ndarray  # len(ids) x DIM float32

    def nearest(self, vector: np.ndarray) -> tuple[int, float] | None:
        """The person whose centroid is closest to `vector`, and the (Euclidean) distance."""
        if not len(self.ids):
            return None
        d = np.linalg.norm(self.matrix - vector[None, :], axis=1)
        i = int(np.argmin(d))
        return int(self.ids[i]), float(d[i])


_cache: weakref.WeakKeyDictionary[Engine, Centroids] = weakref.WeakKeyDictionary()


def _version(conn: Connection) -> int:
    return int(conn.execute(select(people_version.c.version)).scalar_one())


def _bump(conn: Connection, changed: dict[int, np.ndarray | None] | None = None) -> None:
    """Mark people's centroids changed. With `changed` (person id -> new centroid, or None
    for a deleted person) and a cache that was current, patch the cache instead of dropping
    it, so an ingest that adds one face at a time never rereads every centroid."""
    old = _version(conn)
    # A random token, not a counter: a rolled-back change can never look like a committed one.
    new = secrets.randbits(62)
    conn.execute(update(people_version).values(version=new))
    cached = _cache.get(conn.engine)
    if cached is None or cached.version != old or changed is None:
        _cache.pop(conn.engine, None)
        return
    ids, matrix = cached.ids, cached.matrix
    gone = [pid for pid, c in changed.items() if c is None]
    if gone:
        keep = ~np.isin(ids, gone)
        ids, matrix = ids[keep], matrix[keep]
    for pid, centroid in changed.items():
        if centroid is None:
            continue
        at = np.flatnonzero(ids == pid)
        if len(at):
            matrix[at[0]] = centroid
        else:
            ids = np.append(ids, np.int64(pid))
            matrix = np.vstack([matrix, centroid[None, :].astype(np.float32)])
    _cache[conn.engine] = Centroids(new, ids, matrix)


def centroids(conn: Connection) -> Centroids:
    """The centroids of every person, from this process's cache unless another changed them."""
    version = _version(conn)
    cached = _cache.get(conn.engine)
    if cached is not None and cached.version == version:
        return cached
    rows = conn.execute(select(people.c.id, people.c.total, people.c.faces)).all()
    ids = np.asarray([r.id for r in rows], dtype=np.int64)
    matrix = np.zeros((len(rows), DIM), dtype=np.float32)
    for i, r in enumerate(rows):
        matrix[i] = from_blob(r.total) / max(1, r.faces)
    fresh = Centroids(version, ids, matrix)
    _cache[conn.engine] = fresh
    return fresh


def create(conn: Connection, face_ids: list[int], vectors: np.ndarray) -> int:
    """A new person holding these faces; returns its id."""
    now = time.time()
    pid = conn.execute(
        insert(people)
        .values(faces=0, total=to_blob(np.zeros(DIM, np.float32)), created_at=now, updated_at=now)
        .returning(people.c.id)
    ).scalar_one()
    add_faces(conn, int(pid), face_ids, vectors)
    return int(pid)


def add_faces(conn: Connection, person_id: int, face_ids: list[int], vectors: np.ndarray) -> None:
    """Move faces (and their embeddings) into a person."""
    if not face_ids:
        return
    row = conn.execute(
        select(people.c.total, people.c.faces, people.c.cover_face_id).where(
            people.c.id == person_id
        )
    ).one()
    total = from_blob(row.total) + np.asarray(vectors, np.float32).sum(axis=0)
    conn.execute(update(faces).where(faces.c.id.in_(face_ids)).values(person_id=person_id))
    count = row.faces + len(face_ids)
    conn.execute(
        update(people)
        .where(people.c.id == person_id)
        .values(
            total=to_blob(total),
            faces=count,
            updated_at=time.time(),
            cover_face_id=row.cover_face_id or _best_face(conn, face_ids),
        )
    )
    _bump(conn, {person_id: total / count})


def _best_face(conn: Connection, face_ids: list[int]) -> int:
    """The most confident, then largest, of these faces: a person's thumbnail."""
    rows = conn.execute(
        select(faces.c.id, faces.c.score, faces.c.box).where(faces.c.id.in_(face_ids))
    )
    return max(rows, key=lambda r: (round(r.score, 2), r.box["width"] * r.box["height"])).id


def release_faces(conn: Connection, face_ids: list[int]) -> None:
    """Take faces out of their people (before they are deleted or reclustered); a person
    left without faces is deleted, one that lost its representative face gets another."""
    if not face_ids:
        return
    rows = conn.execute(
        select(faces.c.id, faces.c.person_id, faces.c.embedding).where(
            faces.c.id.in_(face_ids), faces.c.person_id.is_not(None)
        )
    ).all()
    by_person: dict[int, list[Any]] = {}
    for r in rows:
        by_person.setdefault(int(r.person_id), []).append(r)
    conn.execute(update(faces).where(faces.c.id.in_(face_ids)).values(person_id=None))
    if by_person:
        _bump(conn, {pid: _shrink(conn, pid, gone) for pid, gone in by_person.items()})


def _shrink(conn: Connection, pid: int, gone: list[Any]) -> np.ndarray | None:
    """Take faces out of a person; returns its new centroid (None: the person is gone)."""
    row = conn.execute(
        select(people.c.total, people.c.faces, people.c.cover_face_id).where(people.c.id == pid)
    ).one()
    left = row.faces - len(gone)
    if left <= 0:
        conn.execute(delete(people).where(people.c.id == pid))
        return None
    total = from_blob(row.total) - sum(from_blob(r.embedding) for r in gone)
    cover = row.cover_face_id
    if cover in {r.id for r in gone}:
        rest = conn.execute(select(faces.c.id).where(faces.c.person_id == pid)).scalars().all()
        cover = _best_face(conn, list(rest))
    conn.execute(
        update(people)
        .where(people.c.id == pid)
        .values(total=to_blob(total), faces=left, cover_face_id=cover, updated_at=time.time())
    )
    return np.asarray(total / left, dtype=np.float32)


def remove_face(conn: Connection, person_id: int, face_id: int) -> None:
    """Take a wrongly grouped face out of a person (it then belongs to nobody)."""
    held = conn.execute(
        select(faces.c.id).where(faces.c.id == face_id, faces.c.person_id == person_id)
    ).first()
    if held is None:
        raise NotFound(f"Person {person_id} has no face {face_id}")
    release_faces(conn, [face_id])


def set_attributes(
    conn: Connection, person_id: int, name: str | None = None, hidden: bool | None = None
) -> None:
    """Name (an empty name clears it) or hide a person; NotFound for an unknown id."""
    values: dict[str, Any] = {"updated_at": time.time()}
    if name is not None:
        if any(ord(c) < 32 for c in name):
            raise BadRequest("A person's name cannot hold control characters")
        clean = name.strip() or None
        values.update(name=clean, name_key=clean.casefold() if clean else None)
    if hidden is not None:
        values["hidden"] = int(hidden)
    if not conn.execute(update(people).where(people.c.id == person_id).values(**values)).rowcount:
        raise NotFound(f"Person {person_id} not found")


def merge(conn: Connection, into: int, sources: list[int]) -> None:
    """Move every face of `sources` into `into`; the sources disappear."""
    get(conn, into)
    for pid in sources:
        if pid == into:
            continue
        get(conn, pid)
        rows = conn.execute(
            select(faces.c.id, faces.c.embedding).where(faces.c.person_id == pid)
        ).all()
        conn.execute(delete(people).where(people.c.id == pid))  # faces.person_id -> NULL
        _bump(conn, {pid: None})
        add_faces(
            conn, into, [r.id for r in rows], np.stack([from_blob(r.embedding) for r in rows])
        )


def forget(conn: Connection, person_id: int) -> int:
    """Delete a person and every face embedding of theirs; returns how many faces went."""
    get(conn, person_id)
    n = conn.execute(delete(faces).where(faces.c.person_id == person_id)).rowcount
    conn.execute(delete(people).where(people.c.id == person_id))
    _bump(conn)
    return int(n)


def forget_all(conn: Connection) -> int:
    """Delete every face and every person; returns how many faces went."""
    n = conn.execute(delete(faces)).rowcount
    conn.execute(delete(people))
    _bump(conn)
    return int(n)


def _media_count() -> Any:
    return func.count(func.distinct(faces.c.media_id))


# What get and list_people answer for each person, beside its media count.
_PERSON_COLUMNS = (
    people.c.id,
    people.c.name,
    people.c.hidden,
    people.c.faces,
    people.c.cover_face_id,
)


def get(conn: Connection, person_id: int) -> dict[str, Any]:
    """One person: id, name, hidden, faces, media, cover_face_id; NotFound if unknown."""
    row = conn.execute(
        select(*_PERSON_COLUMNS, _media_count().label("media"))
        .select_from(people.outerjoin(faces, faces.c.person_id == people.c.id))
        .where(people.c.id == person_id)
        .group_by(people.c.id)
    ).first()
    if row is None:
        raise NotFound(f"Person {person_id} not found")
    return {**row._mapping, "hidden": bool(row.hidden)}


def list_people(
    conn: Connection, limit: int, after: tuple[int, int] | None, hidden: bool = False
) -> list[dict[str, Any]]:
    """People with most photos first (then id), after a (media, id) position; hidden too
    when asked."""
    count = _media_count()
    q = (
        select(*_PERSON_COLUMNS, count.label("media"))
        .select_from(people.join(faces, faces.c.person_id == people.c.id))
        .group_by(people.c.id)
        .order_by(count.desc(), people.c.id)
        .limit(limit)
    )
    if not hidden:
        q = q.where(people.c.hidden == 0)
    if after is not None:
        q = q.having(or_(count < after[0], and_(count == after[0], people.c.id > after[1])))
    return [{**r._mapping, "hidden": bool(r.hidden)} for r in conn.execute(q)]


def faces_of(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    """The faces of a person: id, media name, box, score."""
    rows = conn.execute(
        select(faces.c.id, media.c.name.label("media"), faces.c.box, faces.c.score)
        .join(media, media.c.id == faces.c.media_id)
        .where(faces.c.person_id == person_id)
        .order_by(media.c.name, faces.c.id)
    )
    return [dict(r._mapping) for r in rows]


def assignments(conn: Connection) -> dict[int, tuple[int, str | None, bool]]:
    """face id -> (person id, person name, hidden) for every face that has a person."""
    rows = conn.execute(
        select(faces.c.id, people.c.id.label("pid"), people.c.name, people.c.hidden).join(
            people, people.c.id == faces.c.person_id
        )
    )
    return {int(r.id): (int(r.pid), r.name, bool(r.hidden)) for r in rows}


def named_by(value: str) -> ColumnElement[bool]:
    """The people a `person=` value names (an id, or a name in any case)."""
    value = value.strip()
    named = [people.c.name_key == value.casefold()]
    if value.isdigit() and len(value) < 19:
        named.append(people.c.id == int(value))
    return or_(*named)


def person_condition(value: str) -> ColumnElement[bool]:
    """Media showing the person a `person=` value names (an id, or a name in any case)."""
    return exists().where(
        faces.c.media_id == media.c.id,
        faces.c.person_id.in_(select(people.c.id).where(named_by(value))),
    )


# What `people recluster` reads between its short write transactions.
ID_CHUNK = 900  # ids per IN (...) list


def count(conn: Connection) -> int:
    """How many people there are."""
    return int(conn.execute(select(func.count()).select_from(people)).scalar_one())


def name_and_hidden(conn: Connection, person_id: int) -> tuple[str | None, bool]:
    """A person's name and hidden flag; (None, False) when the person is gone."""
    row = conn.execute(
        select(people.c.name, people.c.hidden).where(people.c.id == person_id)
    ).first()
    return (row.name, bool(row.hidden)) if row else (None, False)


def existing_faces(conn: Connection, face_ids: list[int]) -> set[int]:
    """Which of these faces still exist."""
    found: set[int] = set()
    for i in range(0, len(face_ids), ID_CHUNK):
        q = select(faces.c.id).where(faces.c.id.in_(face_ids[i : i + ID_CHUNK]))
        found.update(int(f) for f in conn.execute(q).scalars())
    return found


def held_by_people_before(
    conn: Connection, face_ids: list[int], created_before: float
) -> list[tuple[int, int]]:
    """(face id, person id) of these faces whose person was created before `created_before`."""
    held: list[tuple[int, int]] = []
    for i in range(0, len(face_ids), ID_CHUNK):
        q = (
            select(faces.c.id, faces.c.person_id)
            .join(people, people.c.id == faces.c.person_id)
            .where(
                faces.c.id.in_(face_ids[i : i + ID_CHUNK]),
                people.c.created_at < created_before,
            )
        )
        held += [(int(r.id), int(r.person_id)) for r in conn.execute(q)]
    return held


def person_exists(conn: Connection, person_id: int, created_before: float | None = None) -> bool:
    """Whether the person exists (and was created before `created_before`, when given)."""
    q = select(people.c.id).where(people.c.id == person_id)
    if created_before is not None:
        q = q.where(people.c.created_at < created_before)
    return conn.execute(q).first() is not None
