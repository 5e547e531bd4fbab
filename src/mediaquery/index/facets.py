"""Label facets as the API serves them: exact for everything, bounded for a filter.

The facets of every media at a whole-number threshold are read from the kept label counts
(index/label_counts.py), whatever the index's size. A filter's facets must count the labels
of every matching media, which grows with the index (seconds for a label a quarter of a
million media carry), so at most SAMPLE matching media are counted: when more match, the
counts are those of the first SAMPLE the index reaches and the answer says so (`sampled`,
`counted_media`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Connection, and_, any_, cast, func, select, true

from mediaquery.index.label_counts import is_countable
from mediaquery.index.query import MediaFilter, _conditions, label_facets, unfiltered
from mediaquery.index.tables import labels, media

SAMPLE = 5_000  # ~100 ms of counting (benchmarks/index_scale.py)


@dataclass(slots=True)
class Facets:
    labels: list[dict[str, Any]]
    sampled: bool = False  # more media match than were counted
    counted_media: int | None = None  # how many were counted, when sampled


def facets(conn: Connection, f: MediaFilter, limit: int = 100, sample: int | None = None) -> Facets:
    """Label names with how many matching media carry each, most common first."""
    if unfiltered(f) and is_countable(f.min_confidence):
        return Facets(label_facets(conn, f, limit))  # from the kept counts
    sample = SAMPLE if sample is None else sample
    # SQLite starts from each label's matches, never from all media.
    drive = f.labels if conn.dialect.name == "sqlite" else ()
    conds = _conditions(f, conn.dialect.name, drive)
    matching = select(media.c.id).where(and_(true(), *conds))
    found = select(func.count()).select_from(matching.limit(sample + 1).subquery())
    sampled = conn.execute(found).scalar_one() > sample
    chosen = matching.limit(sample) if sampled else matching
    if conn.dialect.name == "postgresql":
        # one array of ids, looked up by index: with `IN (subquery)` PostgreSQL hashed the
        # ids and read every label row of the index (seconds at a million media)
        ids = select(func.array_agg(chosen.subquery().c.id)).scalar_subquery()
        of_chosen = labels.c.media_id == any_(cast(ids, ARRAY(BigInteger)))
    else:
        of_chosen = labels.c.media_id.in_(chosen)
    count = func.count(func.distinct(labels.c.media_id))
    q = (
        select(labels.c.name, count, func.max(labels.c.confidence))
        .where(of_chosen, labels.c.confidence >= f.min_confidence)
        .group_by(labels.c.name)
        .order_by(count.desc(), labels.c.name)
        .limit(limit)
    )
    counted = [
        {"name": name, "count": n, "max_confidence": round(best, 2)}
        for name, n, best in conn.execute(q)
    ]
    return Facets(counted, sampled, sample if sampled else None)
