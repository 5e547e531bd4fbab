"""Capture time, camera and place of media: stored, filtered on and counted (facets)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from mediaquery.errors import BadRequest
from mediaquery.index import label_months, meta_counts
from mediaquery.index.ids import one_of
from mediaquery.index.tables import analyses, media, place_terms
from mediaquery.metadata import NAME, VERSION, Metadata

if TYPE_CHECKING:
    from mediaquery.index.query import MediaFilter

# What a new content starts with (index/repo.upsert_media): nothing known yet.
CLEARED: dict[str, Any] = dict(
    meta=None, taken_at=None, taken_month=None, camera=None, country_code=None, lat=None, lon=None
)
EMPTY = {"taken_at": None, "camera": None, "location": None, "place": None}


def save_metadata(conn: Connection, name: str, etag: str, meta: Metadata) -> bool:
    """Replace the media's metadata and record that this extractor version read the file;
    False, writing nothing, when the media was deleted or its content replaced."""
    media_id = conn.execute(
        select(media.c.id).where(media.c.name == name, media.c.etag == etag)
    ).scalar()
    if media_id is None:
        return False
    camera = " ".join(x for x in (meta.make, meta.model, meta.lens) if x).casefold() or None
    place = meta.place or {}
    month = meta.taken.year * 100 + meta.taken.month if meta.taken else None
    with meta_counts.tracked(conn, media_id), label_months.tracked(conn, media_id):
        conn.execute(
            update(media)
            .where(media.c.id == media_id)
            .values(
                meta=meta.public(),
                taken_at=meta.taken_utc,
                taken_month=month,
                camera=camera,
                country_code=(place.get("country_code") or "").upper() or None,
                lat=meta.lat,
                lon=meta.lon,
            )
        )
    conn.execute(delete(place_terms).where(place_terms.c.media_id == media_id))
    terms = {v.casefold() for k, v in place.items() if v and k != "country_code"}
    if terms:
        conn.execute(insert(place_terms), [{"term": t, "media_id": media_id} for t in terms])
    conn.execute(
        delete(analyses).where(analyses.c.media_id == media_id, analyses.c.analyzer == NAME)
    )
    provenance = dict(analyzer=NAME, version=VERSION, etag=etag, ran_at=time.time())
    conn.execute(insert(analyses).values(media_id=media_id, duration_ms=0.0, **provenance))
    return True


def attach_metadata(conn: Connection, rows: Sequence[Any]) -> None:
    """Set `metadata` (the item fields) on each row, all null where nothing is known."""
    if not rows:
        return
    ids = [r.id for r in rows]
    q = select(media.c.id, media.c.meta).where(one_of(conn, media.c.id, ids))
    found = dict(conn.execute(q).all())
    for r in rows:
        r.metadata = {**EMPTY, **(found.get(r.id) or {})}


def has_metadata_filter(f: MediaFilter) -> bool:
    """Whether `f` narrows by capture time, camera or place."""
    return any(
        v is not None for v in (f.taken_after, f.taken_before, f.camera, f.place, f.country, f.near)
    )


@dataclass(frozen=True, slots=True)
class Drive:
    """Which metadata filters SQLite should read from their index (few matches) rather than
    test per item in page order (many matches: reading and sorting them all costs seconds)."""

    # index: read the range first; test: per item; plain: the planner's; sorted: a page's ids
    # from the range's covering index sorted, then their rows (a range alone, in name order)
    time: str = "index"
    place: bool = True
    near: bool = True  # the latitude band from ix_media_lat_lon (else tested per item)


INDEXED = Drive()


# A time range alone in name order, with fewer matches than this by the kept month counts,
# is read from its covering index and a page of its ids sorted; with more, each media is
# tested in name order (benchmarks/index_scale_crossover.py measures both at 1M media).
SORTED_RANGE = 40_000


def plan_drive(
    conn: Connection, f: MediaFilter, order: str, few: int, time_alone: bool = False
) -> Drive:
    """SQLite keeps no per-value statistics: count up to `few` matches of the time range and
    the place to choose (`time_alone`: the range is the only filter). PostgreSQL chooses from
    its statistics (a range alone in name order: of the page's ids, from ix_media_taken and
    its id alone when few match)."""
    if conn.dialect.name != "sqlite":
        return Drive("sorted") if time_alone and order == "name" else INDEXED
    if order == "taken":  # the range is a stretch of the order's own index
        return Drive("plain", _place_few(conn, f, few), _near_few(conn, f, few))
    t = media.c.taken_at
    by_time = "index"
    if time_alone and order == "name":
        at_most = meta_counts.dated_at_most(conn, f.taken_after, f.taken_before)
        by_time = "sorted" if at_most < SORTED_RANGE else "test"
    elif f.taken_after is not None or f.taken_before is not None:
        bounds: list[ColumnElement[bool]] = (
            [t >= f.taken_after] if f.taken_after is not None else [t.is_not(None)]
        )
        if f.taken_before is not None:
            bounds.append(t < f.taken_before)
        by_time = "index" if _fewer(conn, select(literal(1)).where(*bounds), few) else "test"
    return Drive(by_time, _place_few(conn, f, few), _near_few(conn, f, few))


def _near_few(conn: Connection, f: MediaFilter, few: int) -> bool:
    if f.near is None:
        return True
    return _fewer(conn, select(literal(1)).where(near_condition(*f.near)), few)


def _place_few(conn: Connection, f: MediaFilter, few: int) -> bool:
    if not f.place:
        return True
    term = f.place.strip().casefold()
    return _fewer(conn, select(literal(1)).where(place_terms.c.term == term), few)


def _fewer(conn: Connection, q: Select[Any], few: int) -> bool:
    counted = select(func.count()).select_from(q.limit(few).subquery())
    return conn.execute(counted).scalar_one() < few


def metadata_conditions(
    f: MediaFilter, dialect: str, drive: Drive | None = None
) -> list[ColumnElement[bool]]:
    """The conditions of `f` on capture time, camera and place, driven as `drive` says."""
    drive = drive or INDEXED
    conds: list[ColumnElement[bool]] = []
    how = drive.time if dialect == "sqlite" else "plain"
    t = media.c.taken_at + 0 if how == "test" else media.c.taken_at
    span: list[ColumnElement[bool]] = []
    if f.taken_after is not None:
        span.append(t >= f.taken_after)
    if f.taken_before is not None:
        span.append(t < f.taken_before)
    if span and how == "index":  # SQLite: the range from its index, then the page order
        conds.append(media.c.id.in_(select(media.c.id).where(*span)))
    else:
        conds.extend(span)
    if f.camera:
        conds.append(camera_like(media.c.camera, f.camera))
    if f.place:
        conds.append(place_condition(f.place, drive.place))
    if f.country:
        conds.append(media.c.country_code == f.country.strip().upper())
    if f.near is not None:
        conds.append(near_condition(*f.near, by_index=drive.near or dialect != "sqlite"))
    return conds


def camera_like(column: Any, text: str) -> ColumnElement[bool]:
    """`column` (a folded "make model lens") contains `text`, any case."""
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def metadata_fields(
    taken_after: str | None = None,
    taken_before: str | None = None,
    camera: str | None = None,
    place: str | None = None,
    country: str | None = None,
    near: str | None = None,
    radius_km: float | None = None,
) -> dict[str, Any]:
    """MediaFilter fields from the API's and CLI's text values; BadRequest when malformed."""
    if near is None and radius_km is not None:
        raise BadRequest("radius_km needs near=lat,lon")
    if radius_km is not None and not 0 < radius_km <= 20000:
        raise BadRequest("radius_km must be above 0 and at most 20000")
    if country is not None and not (len(country) == 2 and country.isalpha()):
        raise BadRequest("country takes an ISO 3166-1 alpha-2 code, e.g. PT")
    return {
        "taken_after": parse_when(taken_after) if taken_after else None,
        "taken_before": parse_when(taken_before, end=True) if taken_before else None,
        "camera": camera or None,
        "place": place or None,
        "country": country or None,
        "near": (*parse_near(near), radius_km or DEFAULT_RADIUS_KM) if near else None,
    }


DEFAULT_RADIUS_KM = 10.0


def parse_when(value: str, end: bool = False) -> float:
    """A date (`2024-06-01`, the whole day) or date-time (offset optional: UTC) as UTC seconds."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment.timestamp() + (86400 if end else 0)
        if len(value) > 19 and value[-6] == " ":  # an unencoded `+` of the offset
            value = value[:-6] + "+" + value[-5:]
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"Not a date or date-time (ISO 8601): {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_near(value: str) -> tuple[float, float]:
    """`lat,lon` in degrees."""
    try:
        lat, lon = (float(x) for x in value.split(","))
    except ValueError as exc:
        raise BadRequest("near takes lat,lon in degrees, e.g. near=38.72,-9.14") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest("near is out of range: lat -90..90, lon -180..180")
    return lat, lon


def near_condition(
    lat: float, lon: float, radius_km: float, by_index: bool = True
) -> ColumnElement[bool]:
    """Within `radius_km` of (lat, lon): a box on the lat index, then an equirectangular
    distance test (within 0.5% of the great-circle distance for radii up to a few 100 km)."""
    dlat = radius_km / 111.195
    cos = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(dlat / cos, 360.0)
    # SQLite: a band with many media is tested per item in page order (`+ 0`), since reading
    # and sorting all of it took 2 s around a busy town at a million media
    at = media.c.lat if by_index else media.c.lat + 0
    box = [at.between(lat - dlat, lat + dlat), media.c.lon.is_not(None)]
    dx = (media.c.lon - lon) * cos
    # the longitude difference wrapped across the antimeridian
    wrapped = (func.abs(media.c.lon - lon) - 360) * cos
    dy = media.c.lat - lat
    within = (dx * dx + dy * dy <= dlat * dlat) | (wrapped * wrapped + dy * dy <= dlat * dlat)
    if dlon < 180:
        return and_(*box, within)
    return and_(*box)


def place_condition(name: str, drive: bool = True) -> ColumnElement[bool]:
    """Media whose city, region or country is `name` (any case): read from place_terms first
    (`drive`), or tested per item."""
    term = name.strip().casefold()
    if drive:
        return media.c.id.in_(select(place_terms.c.media_id).where(place_terms.c.term == term))
    return exists().where(place_terms.c.term == term, place_terms.c.media_id == media.c.id)
