"""`people recluster`: group every face afresh while ingest and naming go on.

Grouping 100,000 faces takes minutes, so it never holds the index's write lock: the faces
are read in one read transaction, grouped outside any transaction (`cluster.cluster`), and the
new people are written in short write transactions of at most BATCH faces each. Between
batches workers store and group new faces, and users name, merge and hide people, as usual.

Each new person is the heir of the old person that gave it most faces: it takes that person's
name and hidden flag as they are when its batch is written (a rename made during the
recluster survives), and at the end whatever the old person still holds (faces that arrived
during the recluster and joined it) moves into its heir. Faces deleted meanwhile are skipped;
grouped faces that no new person takes wait, as new unmatched faces do.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine

from mediaquery.index import faces as faces_index
from mediaquery.index import people as people_index
from mediaquery.index.db import write_tx
from mediaquery.people.cluster import cluster

BATCH = 2_000  # faces written per write transaction


@dataclass(slots=True)
class _Group:
    face_ids: list[int]
    vectors: np.ndarray
    heir_of: int | None  # the old person that gave this group most faces
    person: int | None = None  # the new person, once written


def recluster(engine: Engine, batch: int = BATCH) -> int:
    """Group every face afresh (see the module docstring); returns how many people now."""
    started = time.time()  # people created since are new, even where SQLite reuses an old id
    with engine.connect() as conn:
        ids, vectors = faces_index.all_faces(conn)
        old = people_index.assignments(conn)  # face id -> (person id, name, hidden)
    groups = _groups(ids, vectors, cluster(vectors), old)
    for part in _batches(groups, batch):
        with write_tx(engine) as conn:
            for g in part:
                _write(conn, g)
    grouped = {f for g in groups for f in g.face_ids}
    old_people = {p for p, _, _ in old.values()}
    loose = [f for f in ids if f not in grouped]
    for i in range(0, len(loose), batch):
        with write_tx(engine) as conn:
            _release_from(conn, loose[i : i + batch], old_people, started)
    with write_tx(engine) as conn:
        for g in groups:
            if g.heir_of is not None and g.person is not None:
                _merge_leftover(conn, g.person, g.heir_of, started)
        return people_index.count(conn)


def _groups(
    ids: list[int],
    vectors: np.ndarray,
    labels: list[int],
    old: dict[int, tuple[int, str | None, bool]],
) -> list[_Group]:
    members: dict[int, list[int]] = {}
    for i, c in enumerate(labels):
        if c >= 0:
            members.setdefault(c, []).append(i)
    # How many faces of each old person each new group holds: the largest shares pick heirs
    # first, one heir per old person and one old person per heir.
    shares: Counter[tuple[int, int]] = Counter()
    for c, idx in members.items():
        for i in idx:
            if ids[i] in old:
                shares[(c, old[ids[i]][0])] += 1
    heir_of: dict[int, int] = {}
    taken: set[int] = set()
    for (c, pid), _ in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0])):
        if c not in heir_of and pid not in taken:
            heir_of[c] = pid
            taken.add(pid)
    return [
        _Group([ids[i] for i in idx], vectors[idx], heir_of.get(c))
        for c, idx in sorted(members.items())
    ]


def _batches(groups: list[_Group], size: int) -> Iterator[list[_Group]]:
    part: list[_Group] = []
    for g in groups:
        part.append(g)
        if sum(len(x.face_ids) for x in part) >= size:
            yield part
            part = []
    if part:
        yield part


def _write(conn: Connection, g: _Group) -> None:
    """The group becomes a person, with its faces that still exist."""
    live = people_index.existing_faces(conn, g.face_ids)
    keep = [i for i, f in enumerate(g.face_ids) if f in live]
    if not keep:
        return
    face_ids = [g.face_ids[i] for i in keep]
    name, hidden = None, False
    if g.heir_of is not None:  # read before its faces leave: the old person may go with them
        name, hidden = people_index.name_and_hidden(conn, g.heir_of)
    people_index.release_faces(conn, face_ids)
    g.person = people_index.create(conn, face_ids, g.vectors[keep])
    if name or hidden:
        people_index.set_attributes(conn, g.person, name=name, hidden=hidden)


def _release_from(
    conn: Connection, face_ids: list[int], old_people: set[int], started: float
) -> None:
    """Faces no new person took leave their old person (and then wait)."""
    held = [
        face
        for face, person in people_index.held_by_people_before(conn, face_ids, started)
        if person in old_people
    ]
    people_index.release_faces(conn, held)


def _merge_leftover(conn: Connection, heir: int, old_pid: int, started: float) -> None:
    """Faces that joined the old person during the recluster move into its heir."""
    if people_index.person_exists(conn, old_pid, created_before=started) and (
        people_index.person_exists(conn, heir)
    ):
        people_index.merge(conn, heir, [old_pid])
