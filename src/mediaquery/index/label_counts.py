"""Per-label media counts, kept in step with the labels so unfiltered facets need no count.

label_counts holds, per label name and integer bucket, how many media have their strongest
label of that name in [bucket, bucket + 1). A media carries a label at or above a whole-number
threshold t exactly when its strongest one is in a bucket >= t, so the facets of everything
at such a threshold are a sum over a few hundred rows instead of a count of every label row.

Every change to a media's labels runs inside `tracked(conn, media_id)` in the writer's
transaction: it reads the media's strongest label per name before and after (a few rows by
index) and moves the difference. Writers hold the index's write lock (db.write_tx), and the
counts are added with an upsert, so the counts agree with the labels after every commit."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Integer, Table, cast, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mediaquery.index.tables import label_counts, labels


def strongest(conn: Connection, media_id: int) -> dict[str, float]:
    """name -> the strongest confidence of that label on one media."""
    q = (
        select(labels.c.name, func.max(labels.c.confidence))
        .where(labels.c.media_id == media_id)
        .group_by(labels.c.name)
    )
    return {name: float(conf) for name, conf in conn.execute(q)}


@contextmanager
def tracked(conn: Connection, media_id: int) -> Iterator[None]:
    """Wrap code that changes one media's labels; label_counts follows the change."""
    before = strongest(conn, media_id)
    yield
    after = strongest(conn, media_id)
    deltas: Counter[tuple[str, int]] = Counter()
    for name in before.keys() | after.keys():
        old, new = _bucket(before.get(name)), _bucket(after.get(name))
        if old == new:
            continue
        if old is not None:
            deltas[(name, old)] -= 1
        if new is not None:
            deltas[(name, new)] += 1
    apply_deltas(conn, label_counts, deltas)


def _bucket(conf: float | None) -> int | None:
    return None if conf is None else math.floor(conf)


def apply_deltas(conn: Connection, table: Table, deltas: Counter[Any]) -> None:
    """Move `table`'s counts by `deltas` (primary key tuple -> change) in one upsert, then
    drop the rows that fell to zero (found by the key's first column)."""
    names = [c.name for c in table.primary_key.columns]
    rows = [{**dict(zip(names, k, strict=True)), "media": d} for k, d in deltas.items() if d]
    if not rows:
        return
    add_counts(conn, table, rows)
    fell = sorted({k[0] for k, d in deltas.items() if d < 0})
    if fell:
        first = table.c[names[0]]
        conn.execute(delete(table).where(first.in_(fell), table.c.media <= 0))


def add_counts(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Add each row's `media` to the row of `table` with its primary key, in one upsert."""
    insert: Any = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    stmt = insert(table)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={"media": table.c.media + stmt.excluded.media},
        ),
        rows,
    )


def rebuild(conn: Connection) -> None:
    """Count every label again (after a bulk load that bypassed `tracked`)."""
    per_media = (
        select(labels.c.name, func.max(labels.c.confidence).label("m"))
        .group_by(labels.c.media_id, labels.c.name)
        .subquery()
    )
    # CAST truncates on SQLite (floor, confidences are >= 0) but rounds on PostgreSQL
    strongest_of = func.floor(per_media.c.m) if conn.dialect.name != "sqlite" else per_media.c.m
    bucket = cast(strongest_of, Integer)
    conn.execute(delete(label_counts))
    conn.execute(
        label_counts.insert().from_select(
            ["name", "bucket", "media"],
            select(per_media.c.name, bucket, func.count()).group_by(per_media.c.name, bucket),
        )
    )


def is_countable(min_confidence: float) -> bool:
    """Whether facets at this threshold can be read from label_counts (a whole number)."""
    return 0 <= min_confidence <= 100 and float(min_confidence).is_integer()


def counted_facets(conn: Connection, min_confidence: float, limit: int) -> list[dict[str, Any]]:
    """The facets of every media at a whole-number threshold, from label_counts."""
    count = func.sum(label_counts.c.media)
    top = (
        select(label_counts.c.name, count.label("count"))
        .where(label_counts.c.bucket >= int(min_confidence))
        .group_by(label_counts.c.name)
        .having(count > 0)
        .order_by(count.desc(), label_counts.c.name)
        .limit(limit)
        .subquery()
    )
    strongest_of = (
        select(func.max(labels.c.confidence)).where(labels.c.name == top.c.name).scalar_subquery()
    )
    q = select(top.c.name, top.c.count, strongest_of.label("max")).order_by(
        top.c.count.desc(), top.c.name
    )
    return [
        {"name": name, "count": int(n), "max_confidence": round(strongest, 2)}
        for name, n, strongest in conn.execute(q)
    ]
