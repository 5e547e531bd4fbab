"""Media counts per month, place and camera, kept in step with the media's metadata, so the
time, place and camera facets of everything (or of a month, a country, a place, a camera) are
sums over a few hundred rows instead of a count of every media row.

place_time_counts holds, per (local month, UTC month, country_code, country, region, city),
how many media were taken then and there; camera_counts the same per (local month, UTC month,
camera, make, model). The local month is what the time facets group by (taken_month), the UTC
month what a `taken_after`/`taken_before` at month boundaries filters on (taken_at). 0 / ''
stand for no time / no place. Each media also counts in roll-up rows: ANY_TIME (-1) as both
months ("at any time") and, in place_time_counts, ANYWHERE ('*') as the country code, so the
facets of everything read the roll-ups only. A media with neither time nor place (nor camera)
counts nowhere.

Every change to a media's metadata runs inside `tracked(conn, media_id)` in the writer's
transaction (as index/label_counts.py does for labels): it reads the media's keys before and
after and moves the difference, by upsert, under the index's write lock (db.write_tx)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    Table,
    cast,
    delete,
    func,
    literal_column,
    or_,
    select,
)

from mediaquery.index.label_counts import apply_deltas
from mediaquery.index.tables import camera_counts, media, place_time_counts

ANY_TIME = -1
ANYWHERE = "*"
PLACE = ("country_code", "country", "region", "city")
CAMERA = ("camera", "make", "model")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Key = tuple[Any, ...]  # (month, utc_month, *PLACE) or (month, utc_month, *CAMERA)


def utc_month(taken_at: float | None) -> int:
    """YYYYMM of a capture time (UTC seconds) in UTC; 0 for none."""
    if taken_at is None:
        return 0
    try:
        moment = EPOCH + timedelta(seconds=taken_at)
    except OverflowError:
        return 0
    return moment.year * 100 + moment.month


def dated_at_most(conn: Connection, after: float | None, before: float | None) -> int:
    """At most how many media were taken in [after, before) (UTC seconds; None: open): the
    kept counts of every UTC month the range touches, so exact at month boundaries."""
    t = place_time_counts.c
    conds = [t.country_code == ANYWHERE, t.month != ANY_TIME, t.utc_month > 0]
    first = utc_month(after) if after is not None else 0
    last = utc_month(before - 1e-6) if before is not None else 0  # before is excluded
    if first:  # 0: no bound (or beyond what a date holds)
        conds.append(t.utc_month >= first)
    if last:
        conds.append(t.utc_month <= last)
    total = select(func.coalesce(func.sum(t.media), 0)).where(*conds)
    return int(conn.execute(total).scalar_one())


def _keys(conn: Connection, media_id: int) -> tuple[Key | None, Key | None]:
    """The media's place_time_counts and camera_counts keys (None: it counts in neither)."""
    q = select(
        media.c.taken_month, media.c.taken_at, media.c.country_code, media.c.camera, media.c.meta
    ).where(media.c.id == media_id)
    row = conn.execute(q).first()
    if row is None:
        return None, None
    month, taken_at, code, camera, meta = row
    meta = meta or {}
    when = (month or 0, utc_month(taken_at))
    place = meta.get("place") or {}
    where = (
        code or "",
        place.get("country") or "",
        place.get("region") or "",
        place.get("city") or "",
    )
    place_key = (*when, *where) if when[0] or any(where) else None
    cam = meta.get("camera") or {}
    camera_key = (*when, camera, cam.get("make") or "", cam.get("model") or "") if camera else None
    return place_key, camera_key


def _rolled(key: Key | None, place: bool) -> list[Key]:
    """The rows one media counts in: its own, at any time, and (places) anywhere."""
    if key is None:
        return []
    rows = [key, (ANY_TIME, ANY_TIME, *key[2:])]
    if place:
        rows += [(*key[:2], ANYWHERE, "", "", ""), (ANY_TIME, ANY_TIME, ANYWHERE, "", "", "")]
    return rows


@contextmanager
def tracked(conn: Connection, media_id: int) -> Iterator[None]:
    """Wrap code that changes (or deletes) one media's metadata; the counts follow."""
    before = _keys(conn, media_id)
    yield
    after = _keys(conn, media_id)
    for i, (table, place) in enumerate(((place_time_counts, True), (camera_counts, False))):
        if before[i] == after[i]:
            continue
        deltas: Counter[Key] = Counter()
        for k in _rolled(before[i], place):
            deltas[k] -= 1
        for k in _rolled(after[i], place):
            deltas[k] += 1
        apply_deltas(conn, table, deltas)


def utc_month_sql(conn: Connection) -> Any:
    """What utc_month computes, in SQL."""
    t = media.c.taken_at
    if conn.dialect.name == "sqlite":
        ym = func.strftime("%Y%m", t, "unixepoch")
    else:
        ym = func.to_char(func.timezone("UTC", func.to_timestamp(t)), "YYYYMM")
    return func.coalesce(cast(ym, Integer), 0)


def rebuild(conn: Connection) -> None:
    """Count every media again (the migration that adds the counts; a bulk load)."""
    month, utc = func.coalesce(media.c.taken_month, 0), utc_month_sql(conn)
    place = [func.coalesce(media.c.country_code, "")] + [
        func.coalesce(media.c.meta["place"][k].as_string(), "") for k in PLACE[1:]
    ]
    camera = [media.c.camera] + [
        func.coalesce(media.c.meta["camera"][k].as_string(), "") for k in CAMERA[1:]
    ]
    for table in (place_time_counts, camera_counts):
        conn.execute(delete(table))
    somewhere = or_(month != 0, *(p != "" for p in place))
    _insert(conn, place_time_counts, [month, utc, *place], somewhere)
    _insert(conn, camera_counts, [month, utc, *camera], media.c.camera.is_not(None))
    # the roll-ups, from the rows just written
    for table, keep in ((place_time_counts, PLACE), (camera_counts, CAMERA)):
        t = table.c
        _roll_up(conn, table, [_ANY_TIME, _ANY_TIME, *(t[k] for k in keep)], t.month != ANY_TIME)
    t = place_time_counts.c
    everywhere: list[Any] = [literal_column(f"'{ANYWHERE}'"), *[literal_column("''")] * 3]
    _roll_up(
        conn, place_time_counts, [t.month, t.utc_month, *everywhere], t.country_code != ANYWHERE
    )


_ANY_TIME: Any = literal_column(str(ANY_TIME))


def _insert(conn: Connection, table: Table, key: list[Any], where: Any) -> None:
    q = select(*key, func.count()).where(where).group_by(*key)
    conn.execute(table.insert().from_select([c.name for c in table.c], q))


def _roll_up(conn: Connection, table: Table, columns: list[Any], where: Any) -> None:
    """Insert `columns` (in the table's order) with the sum of the rows they group."""
    group = [c for c in columns if isinstance(c, Column)]
    q = select(*columns, func.sum(table.c.media)).where(where).group_by(*group)
    conn.execute(table.insert().from_select([c.name for c in table.c], q))
