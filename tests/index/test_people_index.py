"""People stay consistent in the index: re-analysis, deletes, and several processes' caches."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from sqlalchemy import func, select

from mediaquery.config import Settings
from mediaquery.context import open_context
from mediaquery.domain import Findings, MediaType, Status
from mediaquery.index import people as people_index
from mediaquery.index import repo
from mediaquery.index.db import write_tx
from mediaquery.index.findings import save_findings
from mediaquery.index.tables import faces, people
from mediaquery.people.cluster import assign

RNG = np.random.default_rng(3)
CENTRES = (RNG.normal(size=(2, 128)) * (0.65 / np.sqrt(128))).astype(np.float32)


def _face(who: int) -> dict:
    vec = CENTRES[who] + RNG.normal(size=128).astype(np.float32) * (0.2 / np.sqrt(128))
    box = {"left": 0.1, "top": 0.1, "width": 0.2, "height": 0.3}
    return {"box": box, "score": 0.9, "embedding": [float(x) for x in vec]}


def _analyse(engine, name: str, found: list[dict], etag: str = "1") -> None:
    """Index `name` with these faces, as a worker does (store, then group into people)."""
    with write_tx(engine) as conn:
        repo.upsert_media(conn, name=name, type=MediaType.IMAGE, content_type="image/jpeg",
                          size=1, etag=etag, version="v", status=Status.PENDING)  # fmt: skip
        new: list[int] = []
        result = Findings("faces", "1", extra={"faces": found})
        assert save_findings(conn, name, etag, [(result, 1.0)], floor=5, new_faces=new)
        assign(conn, new)


def _counts(engine) -> dict[int, int]:
    with engine.connect() as conn:
        q = select(people.c.id, people.c.faces)
        rows = {int(i): int(n) for i, n in conn.execute(q)}
        per = select(faces.c.person_id, func.count()).group_by(faces.c.person_id)
        actual = {int(p): int(n) for p, n in conn.execute(per) if p is not None}
    assert rows == actual  # the kept count is the real one
    return rows


def test_reanalysis_and_deletes_keep_people_consistent(settings: Settings) -> None:
    ctx = open_context(settings)
    for i in range(4):
        _analyse(ctx.engine, f"a{i}.jpg", [_face(0)])
    assert sorted(_counts(ctx.engine).values()) == [4]
    _analyse(ctx.engine, "a0.jpg", [_face(0)])  # analysed again: replaced, not added
    assert sorted(_counts(ctx.engine).values()) == [4]
    _analyse(ctx.engine, "a1.jpg", [_face(1)], etag="2")  # new content: another face
    assert sorted(_counts(ctx.engine).values()) == [3]
    for i in range(4):
        with write_tx(ctx.engine) as conn:
            repo.delete_media(conn, f"a{i}.jpg")
    assert _counts(ctx.engine) == {}  # a person whose last face is gone disappears
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(faces)).scalar_one() == 0
    ctx.close()


def test_a_process_never_uses_a_person_another_process_deleted(
    make_settings: Callable[..., Settings],
) -> None:
    one, two = open_context(make_settings()), open_context(make_settings())
    for i in range(3):
        _analyse(one.engine, f"a{i}.jpg", [_face(0)])
        _analyse(one.engine, f"b{i}.jpg", [_face(1)])
    ids = sorted(_counts(one.engine))
    assert len(ids) == 2
    with one.engine.connect() as conn:  # process one caches both centroids
        assert len(people_index.centroids(conn).ids) == 2
    with write_tx(two.engine) as conn:
        people_index.forget(conn, ids[1])  # process two forgets a person
    _analyse(one.engine, "c.jpg", [_face(0), _face(1)])
    counts = _counts(one.engine)
    assert list(counts) == [ids[0]] and counts[ids[0]] == 4
    one.close()
    two.close()


def test_recluster_leaves_the_index_writable_and_names_survive(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mediaquery.people import recluster as recluster_module

    ctx = open_context(settings)
    for i in range(5):
        _analyse(ctx.engine, f"a{i}.jpg", [_face(0)])
        _analyse(ctx.engine, f"b{i}.jpg", [_face(1)])
    alice_id = _person_of_engine(ctx.engine, "a0.jpg")
    assert sorted(_counts(ctx.engine).values()) == [5, 5]
    with write_tx(ctx.engine) as conn:
        people_index.set_attributes(conn, alice_id, name="Alice")
    grouping, transactions = recluster_module.cluster, []

    def grouping_while_others_write(vectors: np.ndarray) -> list[int]:
        # A worker stores a new face, a user renames, a photo is deleted: none of them waits
        # for the recluster (on SQLite a held write lock would make these fail).
        _analyse(ctx.engine, "a-new.jpg", [_face(0)])
        with write_tx(ctx.engine) as conn:
            people_index.set_attributes(conn, alice_id, name="Alice B")
            repo.delete_media(conn, "b0.jpg")
        return grouping(vectors)

    def counted(engine, **kw):  # noqa: ANN001, ANN003, ANN202
        transactions.append(1)
        return write_tx(engine, **kw)

    monkeypatch.setattr(recluster_module, "cluster", grouping_while_others_write)
    monkeypatch.setattr(recluster_module, "write_tx", counted)
    assert recluster_module.recluster(ctx.engine, batch=3) == 2
    assert len(transactions) >= 3  # one per group at batch=3, then the leftovers
    assert sorted(_counts(ctx.engine).values()) == [4, 6]  # b0 gone, a-new joined
    heir = _person_of_engine(ctx.engine, "a-new.jpg")
    assert heir == _person_of_engine(ctx.engine, "a0.jpg") != alice_id
    with ctx.engine.connect() as conn:
        assert people_index.get(conn, heir)["name"] == "Alice B"  # the rename made meanwhile
    ctx.close()


def _person_of(conn, media: str) -> int:  # noqa: ANN001
    from mediaquery.index.tables import media as media_table

    q = (
        select(faces.c.person_id)
        .join(media_table, media_table.c.id == faces.c.media_id)
        .where(media_table.c.name == media)
    )
    return int(conn.execute(q).scalar_one())


def _person_of_engine(engine, media: str) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return _person_of(conn, media)
