"""Time, place and camera facets as the API serves them.

From the kept counts (index/meta_counts.py), exact and in a few milliseconds at any size, when
the filter is one they can answer: nothing, or only
- time facets: a country or a place, or a camera; with a capture-time range at UTC month
  boundaries (`taken_after=2024-06-01&taken_before=2024-06-30`, what the web page's timeline
  sends);
- place facets: a country or a place, with such a time range;
- camera facets: a camera, with such a time range;
- time facets of one label at the default min_confidence (index/label_months.py), with such a
  time range.
Any other filter counts the matching media themselves, at most SAMPLE of them: when more
match, the counts are those of the first SAMPLE the index reaches, and the answer says so
(`sampled`, `counted_media`), as the label facets do."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, false, func, select, tuple_

from mediaquery.index.label_months import kept_at, month_counts
from mediaquery.index.meta_counts import ANY_TIME, ANYWHERE, EPOCH
from mediaquery.index.metadata import camera_like
from mediaquery.index.query import MediaFilter, _conditions, _has_nul
from mediaquery.index.tables import camera_counts, label_month_counts, media, place_time_counts
from mediaquery.index.words import candidates

SAMPLE = 5_000  # as label facets: more matches than this are counted from a sample
_TIME = {"taken_after", "taken_before"}
# checked apart (lists); a threshold alone filters nothing
_LISTS = ("labels", "people", "colors", "min_confidence")
_OTHERS = [f.name for f in fields(MediaFilter) if f.name not in _LISTS]


def _only(f: MediaFilter, allowed: set[str]) -> bool:
    """Whether `f` filters on nothing outside `allowed` (min_confidence only counts with labels)."""
    if f.labels or f.people or f.colors or _has_nul(f):
        return False
    return all(getattr(f, k) in (None, "") for k in _OTHERS if k not in allowed)


def _month_start(ts: float) -> int | None:
    """YYYYMM when `ts` (UTC seconds) is the first instant of a UTC month, else None."""
    try:
        m = EPOCH + timedelta(seconds=ts)
    except OverflowError:
        return None
    first = (m.day, m.hour, m.minute, m.second, m.microsecond) == (1, 0, 0, 0, 0)
    return m.year * 100 + m.month if first else None


def _when(f: MediaFilter, t: Any, facet_months: bool) -> list[ColumnElement[bool]] | None:
    """Conditions on a count table's months for `f`'s capture-time range: dated months when
    `facet_months` (the time facets group by them) or a range is given, else the roll-up;
    None when a bound is not at a UTC month boundary."""
    if f.taken_after is None and f.taken_before is None:
        return [t.month > 0] if facet_months else [t.month == ANY_TIME]
    conds = [t.month > 0]
    for bound, after in ((f.taken_after, True), (f.taken_before, False)):
        if bound is None:
            continue
        month = _month_start(bound)
        if month is None:
            return None
        # The local month is within one of the UTC month (offsets are under a day): a range
        # of the key's first column, so only the rows of those months are read.
        if after:
            conds += [t.utc_month >= month, t.month >= _add_month(month, -1)]
        else:
            conds += [t.utc_month < month, t.month <= month]
    return conds


def _add_month(ym: int, step: int) -> int:
    months = (ym // 100) * 12 + ym % 100 - 1 + step
    return (months // 12) * 100 + months % 12 + 1


def _where(conn: Connection, f: MediaFilter) -> list[ColumnElement[bool]]:
    """place_time_counts rows of `f`'s country and place (no condition when neither)."""
    t = place_time_counts.c
    conds = []
    if f.country:
        conds.append(t.country_code == f.country.strip().upper())
    if f.place:
        term = f.place.strip().casefold()
        known = select(t.country_code, t.country, t.region, t.city).where(
            t.month == ANY_TIME, t.country_code != ANYWHERE
        )
        matching = [tuple(r) for r in conn.execute(known) if term in {x.casefold() for x in r[1:]}]
        key = tuple_(t.country_code, t.country, t.region, t.city)
        codes = sorted({r[0] for r in matching})  # the index's first column: its rows only
        conds += [t.country_code.in_(codes), key.in_(matching)] if matching else [false()]
    return conds


def time_facets(
    conn: Connection, f: MediaFilter, sample: int | None = None, counts: bool = True
) -> dict[str, Any]:
    """Matching media per year and month of their local capture time, newest first."""
    rows = _counted_months(conn, f) if counts else None
    if rows is not None:
        return {"years": _years(rows), "sampled": False, "counted_media": None}
    month = media.c.taken_month
    where, counted = _sample(conn, [month.is_not(None), *_conds(conn, f)], sample or SAMPLE)
    q = select(month, func.count()).where(*where).group_by(month).order_by(month.desc())
    return {
        "years": _years(conn.execute(q)),
        "sampled": counted is not None,
        "counted_media": counted,
    }


def _counted_months(conn: Connection, f: MediaFilter) -> Iterable[Any] | None:
    if f.labels:
        return _label_months(conn, f)
    if f.camera and not (f.place or f.country):
        t = camera_counts.c
        when = _when(f, t, True) if _only(f, {"camera", *_TIME}) else None
        where = [camera_like(t.camera, f.camera)]
    else:
        t = place_time_counts.c
        when = _when(f, t, True) if _only(f, {"country", "place", *_TIME}) else None
        where = _where(conn, f) if when is not None else []
        where = where or [t.country_code == ANYWHERE]
    if when is None:
        return None
    total = func.sum(t.media)
    q = select(t.month, total).where(*when, *where).group_by(t.month).order_by(t.month.desc())
    return conn.execute(q.having(total > 0))


def _label_months(conn: Connection, f: MediaFilter) -> Iterable[Any] | None:
    """One label at the threshold its counts are kept at, with at most a time range."""
    if len(f.labels) != 1 or "\x00" in f.labels[0] or f.min_confidence != kept_at(conn):
        return None
    if not _only(replace(f, labels=[]), _TIME):
        return None
    when = _when(f, label_month_counts.c, True)
    return None if when is None else month_counts(conn, candidates(f.labels[0]), when)


def _years(rows: Iterable[Any]) -> list[dict[str, Any]]:
    years: dict[int, dict[str, Any]] = {}
    for ym, n in rows:
        year = years.setdefault(ym // 100, {"year": ym // 100, "count": 0, "months": []})
        year["count"] += int(n)
        year["months"].append({"month": f"{ym // 100:04d}-{ym % 100:02d}", "count": int(n)})
    return list(years.values())


def _conds(conn: Connection, f: MediaFilter) -> list[ColumnElement[bool]]:
    # Facets count every match: SQLite starts from each label's matches, never all media.
    return _conditions(f, conn.dialect.name, f.labels)


def _sample(
    conn: Connection, conds: list[ColumnElement[bool]], sample: int
) -> tuple[list[ColumnElement[bool]], int | None]:
    """`conds` limited to the first `sample` matching media the index reaches when more match
    (reading a JSON field of every match took seconds at a million media), and that count."""
    matching = select(media.c.id).where(*conds)
    found = select(func.count()).select_from(matching.limit(sample + 1).subquery())
    if conn.execute(found).scalar_one() <= sample:
        return conds, None
    chosen = matching.limit(sample).subquery()
    return [media.c.id.in_(select(chosen.c.id))], sample


def place_facets(
    conn: Connection,
    f: MediaFilter,
    limit: int = 100,
    sample: int | None = None,
    counts: bool = True,
) -> dict[str, Any]:
    """Matching media per country and per city (with region and country), most first."""
    t = place_time_counts.c
    when = _when(f, t, False) if counts and _only(f, {"country", "place", *_TIME}) else None
    n: Any
    code: Any
    country: Any
    city: Any
    region: Any
    if when is not None:
        where = [*when, t.country_code.not_in(("", ANYWHERE)), *_where(conn, f)]
        code, country, city, region = t.country_code, t.country, t.city, t.region
        n, counted = func.sum(t.media), None
    else:
        code = media.c.country_code
        where, counted = _sample(conn, [code.is_not(None), *_conds(conn, f)], sample or SAMPLE)
        place = media.c.meta["place"]
        # '' for none, as in the counts: NULLs sort first on SQLite and last on PostgreSQL
        country, city, region = (
            func.coalesce(place[k].as_string(), "") for k in ("country", "city", "region")
        )
        n = func.count()
    countries = select(code, func.max(country), n).where(*where).group_by(code)
    by_city = (city, region, code)
    cities = select(*by_city, n).where(*where, city != "").group_by(*by_city)
    return {
        "countries": [
            {"country_code": c, "country": name or None, "count": int(k)}
            for c, name, k in conn.execute(countries.order_by(n.desc(), code).limit(limit))
        ],
        "cities": [
            {"city": c, "region": r or None, "country_code": cc, "count": int(k)}
            for c, r, cc, k in conn.execute(cities.order_by(n.desc(), *by_city).limit(limit))
        ],
        "sampled": counted is not None,
        "counted_media": counted,
    }


def camera_facets(
    conn: Connection,
    f: MediaFilter,
    limit: int = 100,
    sample: int | None = None,
    counts: bool = True,
) -> dict[str, Any]:
    """Matching media per camera make and model, most first."""
    t = camera_counts.c
    when = _when(f, t, False) if counts and _only(f, {"camera", *_TIME}) else None
    by: Sequence[Any]
    n: Any
    if when is not None:
        where = [*when, *([camera_like(t.camera, f.camera)] if f.camera else [])]
        by, n, counted = (t.make, t.model), func.sum(t.media), None
    else:
        matching = [media.c.camera.is_not(None), *_conds(conn, f)]
        where, counted = _sample(conn, matching, sample or SAMPLE)
        camera = media.c.meta["camera"]
        by = tuple(func.coalesce(camera[k].as_string(), "") for k in ("make", "model"))
        n = func.count()
    make, model = by
    q = select(make, model, n).where(*where).group_by(make, model)
    q = q.order_by(n.desc(), make, model).limit(limit)
    cameras = [
        {"make": a or None, "model": b or None, "count": int(k)} for a, b, k in conn.execute(q)
    ]
    return {"cameras": cameras, "sampled": counted is not None, "counted_media": counted}
