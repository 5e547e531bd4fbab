"""Media counts per label term and month, kept in step with labels and metadata, so the time
facets of a label (`GET /v1/facets/time?label=animal`, what the web timeline asks when a label
is selected) are a sum over a few hundred rows instead of a count of every matching media.

label_month_counts holds, per (term, local month, UTC month), how many dated media carry that
label term at or above one threshold: the one label_month_kept records, the service's
default `min_confidence` (context.open_context rebuilds the counts when a service starts with
another one). `label=` matches a media when one of its label_terms rows has a term the word
may mean (index/words.py) at or above the threshold; a media counts once per term (any
analyzer), so one term's counts are exactly what `label=` finds when the word means only that
term among the counted ones; a word that means two counted terms ("dogs": dog, dogs) is
counted from the media as before.

Every change to a media's labels or metadata runs inside `tracked(conn, media_id)` in the
writer's transaction, next to label_counts' and meta_counts' own: it reads the media's keys
before and after (a few rows by index) and moves the difference by upsert, under the index's
write lock (db.write_tx)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, delete, func, select

from mediaquery.index.label_counts import apply_deltas
from mediaquery.index.meta_counts import utc_month, utc_month_sql
from mediaquery.index.tables import label_month_counts, label_month_kept, label_terms, media

Key = tuple[str, int, int]  # (term, month, utc_month)


def kept_at(conn: Connection) -> float | None:
    """The threshold the counts are kept at; None when none are kept."""
    value = conn.execute(select(label_month_kept.c.min_confidence)).scalar()
    return None if value is None else float(value)


def _keys(conn: Connection, media_id: int, threshold: float) -> set[Key]:
    """The rows one media counts in: each term it carries at or above `threshold`, in its
    months (none when undated: the time facets count dated media only)."""
    q = select(media.c.taken_month, media.c.taken_at).where(media.c.id == media_id)
    row = conn.execute(q).first()
    if row is None or row.taken_month is None:
        return set()
    terms = select(label_terms.c.term).where(
        label_terms.c.media_id == media_id, label_terms.c.confidence >= threshold
    )
    months = (row.taken_month, utc_month(row.taken_at))
    return {(term, *months) for term in conn.execute(terms.distinct()).scalars()}


@contextmanager
def tracked(conn: Connection, media_id: int) -> Iterator[None]:
    """Wrap code that changes one media's labels, metadata, or deletes it; the counts follow."""
    threshold = kept_at(conn)
    if threshold is None:
        yield
        return
    before = _keys(conn, media_id, threshold)
    yield
    after = _keys(conn, media_id, threshold)
    deltas: Counter[Key] = Counter()
    for k in before - after:
        deltas[k] -= 1
    for k in after - before:
        deltas[k] += 1
    apply_deltas(conn, label_month_counts, deltas)


def rebuild(conn: Connection, threshold: float) -> None:
    """Count every dated media's terms again, at `threshold` (the migration; a bulk load; a
    changed default threshold)."""
    conn.execute(delete(label_month_counts))
    conn.execute(delete(label_month_kept))
    conn.execute(label_month_kept.insert().values(min_confidence=threshold))
    carried = (
        select(label_terms.c.media_id, label_terms.c.term)
        .where(label_terms.c.confidence >= threshold)
        .distinct()
        .subquery()
    )
    key = [carried.c.term, media.c.taken_month, utc_month_sql(conn)]
    q = (
        select(*key, func.count())
        .select_from(carried.join(media, media.c.id == carried.c.media_id))
        .where(media.c.taken_month.is_not(None))
        .group_by(*key)
    )
    conn.execute(
        label_month_counts.insert().from_select(["term", "month", "utc_month", "media"], q)
    )


def keep_at(conn: Connection, threshold: float) -> bool:
    """Keep the counts at `threshold` (the service's default min_confidence): rebuilt when
    they were kept at another one. Whether they were rebuilt."""
    if kept_at(conn) == threshold:
        return False
    rebuild(conn, threshold)
    return True


def month_counts(conn: Connection, terms: list[str], when: list[Any]) -> list[Any] | None:
    """(month, media) newest first of the one term among `terms` any media in `when` counts
    in; None when two or more do (a media may carry both: their sum would count it twice)."""
    t = label_month_counts.c
    q = (
        select(t.term, t.month, func.sum(t.media))
        .where(t.term.in_(terms), *when)
        .group_by(t.term, t.month)
        .order_by(t.month.desc())
    )
    rows = conn.execute(q).all()
    if len({r[0] for r in rows}) > 1:
        return None
    return [(month, n) for _, month, n in rows if n > 0]
