"""Time, place and camera facets come from kept counts when the filter allows: they must always
answer what counting the media answers, through metadata saved, read again, content replaced,
media deleted, concurrent writers and the migration that first fills them. Runs on the suite's
backend (SQLite, or PostgreSQL with MEDIAQUERY_TEST_DATABASE_URL)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, func, select

from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.domain import MediaType, Status
from mediaquery.index import meta_facets, repo
from mediaquery.index.db import write_tx
from mediaquery.index.meta_counts import dated_at_most, rebuild
from mediaquery.index.metadata import parse_when, save_metadata
from mediaquery.index.query import MediaFilter
from mediaquery.index.tables import camera_counts, media, place_time_counts
from mediaquery.metadata import Metadata
from mq_counts import churn, migrate_again, replace_then_delete

LISBON = {"city": "Lisbon", "region": "Lisbon", "country": "Portugal", "country_code": "PT"}
PORTO = {"city": "Porto", "region": "Porto", "country": "Portugal", "country_code": "PT"}
PARIS = {"city": "Paris", "region": "Île-de-France", "country": "France", "country_code": "FR"}
NOWHERE_TOWN = {"city": "Atlantis", "region": None, "country": None, "country_code": None}
NEW_YORK = timezone(timedelta(hours=-5))


def meta(
    taken: datetime | None = None, camera: tuple[str | None, ...] = (), place: Any = None
) -> Metadata:
    make, model, lens = (*camera, None, None, None)[:3]
    lat, lon = (1.0, 2.0) if place else (None, None)
    return Metadata(taken, make, model, lens, lat, lon, None, place)


# Capture times either side of month and year ends, in local time and in UTC.
LIBRARY: dict[str, Metadata] = {
    "a.jpg": meta(datetime(2024, 6, 30, 22, tzinfo=NEW_YORK), ("FUJIFILM", "X100V"), LISBON),
    "b.jpg": meta(datetime(2024, 7, 1, 9, tzinfo=UTC), ("FUJIFILM", "X100V", "23mm"), PORTO),
    "c.jpg": meta(datetime(2023, 12, 31, 23, 30), ("Apple", "iPhone 12"), PARIS),
    "d.jpg": meta(datetime(2024, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))), (), PARIS),
    "e.jpg": meta(None, ("Apple", None), LISBON),
    "f.jpg": meta(datetime(2024, 6, 5, 12)),
    "g.jpg": meta(datetime(2022, 3, 3), (None, "Mystery"), NOWHERE_TOWN),
    "h.jpg": meta(),
}

FILTERS = [
    {},
    {"country": "pt"},
    {"country": "FR"},
    {"place": "PORTUGAL"},
    {"place": "île-de-france"},
    {"place": "atlantis"},
    {"place": "nowhere"},
    {"camera": "fujifilm"},
    {"camera": "iphone"},
    {"camera": "23MM"},
    {"taken_after": "2024-07-01"},
    {"taken_before": "2024-06-30"},  # that day included: before July
    {"taken_after": "2024-01-01", "taken_before": "2024-06-30"},  # [Jan, Jul)
    {"taken_after": "2024-01-01", "country": "PT"},
    {"taken_after": "2024-01-01", "camera": "apple"},
    {"taken_before": "2023-12-31", "place": "paris"},
    {"taken_after": "2024-06-15"},  # not at a month boundary: counted from the media
    {"taken_before": "2024-07-01"},  # nor this (before July 2nd)
    {"place": "lisbon", "camera": "fujifilm"},
    {"prefix": "a"},
]


@pytest.fixture
def ctx(make_settings: Callable[..., Settings]) -> Iterator[Context]:
    c = open_context(make_settings())
    yield c
    c.close()


def put(ctx: Context, name: str, found: Metadata, etag: str = "1") -> None:
    """Index `name` (new, or replaced when etag changes) and save its metadata."""
    with write_tx(ctx.engine) as conn:
        repo.upsert_media(conn, name=name, type=MediaType.IMAGE, content_type="image/jpeg",
                          size=1, etag=etag, version="v", status=Status.PENDING)  # fmt: skip
        assert save_metadata(conn, name, etag, found)


def _filter(**kw: Any) -> MediaFilter:
    for key in ("taken_after", "taken_before"):
        if key in kw:
            kw[key] = parse_when(kw[key], end=key == "taken_before")
    return MediaFilter(min_confidence=25, **kw)


def _kept(ctx: Context) -> list[Any]:
    with ctx.engine.connect() as conn:
        return [sorted(conn.execute(select(t)).all()) for t in (place_time_counts, camera_counts)]


def assert_counts_right(ctx: Context) -> None:
    """Every filter's facets from the counts equal those counted from the media, and the kept
    rows are what counting from scratch writes (no stale or zero rows)."""
    for kw in FILTERS:
        f = _filter(**kw)
        with ctx.engine.connect() as conn:
            for facet in (meta_facets.time_facets, meta_facets.place_facets,
                          meta_facets.camera_facets):  # fmt: skip
                counted = facet(conn, f)  # type: ignore[operator]
                scanned = facet(conn, f, sample=10_000, counts=False)  # type: ignore[operator]
                assert counted == scanned, (facet.__name__, kw)
    kept = _kept(ctx)
    with write_tx(ctx.engine) as conn:
        rebuild(conn)
        fresh = [sorted(conn.execute(select(t)).all()) for t in (place_time_counts, camera_counts)]
        conn.rollback()
    assert kept == fresh


def test_counts_follow_metadata_saved_read_again_replaced_and_deleted(ctx: Context) -> None:
    for name, found in LIBRARY.items():
        put(ctx, name, found)
    assert_counts_right(ctx)
    with ctx.engine.connect() as conn:
        years = meta_facets.time_facets(conn, _filter())["years"]
        cities = meta_facets.place_facets(conn, _filter(taken_after="2024-07-01"))["cities"]
    assert [(y["year"], y["count"]) for y in years] == [(2024, 4), (2023, 1), (2022, 1)]
    # a.jpg: June in New York, July in UTC (what taken_after filters on)
    assert years[0]["months"] == [{"month": "2024-07", "count": 1},
                                  {"month": "2024-06", "count": 2},
                                  {"month": "2024-01", "count": 1}]  # fmt: skip
    assert {c["city"] for c in cities} == {"Lisbon", "Porto"}

    with write_tx(ctx.engine) as conn:  # read again: the extractor now finds another place
        assert save_metadata(conn, "a.jpg", "1", meta(datetime(2021, 1, 1), ("Canon",), PARIS))
    assert_counts_right(ctx)
    put(ctx, "b.jpg", meta(), etag="2")  # new content, nothing known
    assert_counts_right(ctx)
    replace_then_delete(ctx.engine, "c.jpg", "d.jpg", LIBRARY, lambda: assert_counts_right(ctx))
    assert _kept(ctx) == [[], []]


def test_a_time_range_is_bounded_by_the_counts_of_its_months(ctx: Context) -> None:
    # SQLite chooses how to page a time range alone from this bound (index/metadata.py)
    for name, found in LIBRARY.items():
        put(ctx, name, found)
    for kw in [k for k in FILTERS if set(k) <= {"taken_after", "taken_before"}]:
        f = _filter(**kw)
        t = media.c.taken_at
        span = [t >= f.taken_after] if f.taken_after is not None else [t.is_not(None)]
        span += [t < f.taken_before] if f.taken_before is not None else []
        with ctx.engine.connect() as conn:
            n = conn.execute(select(func.count()).where(*span)).scalar_one()
            bound = dated_at_most(conn, f.taken_after, f.taken_before)
        at_months = all(meta_facets._month_start(b) for b in (f.taken_after, f.taken_before) if b)
        assert bound == n if at_months else bound >= n, kw
    with ctx.engine.connect() as conn:  # 2024 in UTC: a, b and f (d is 2023 in UTC)
        assert dated_at_most(conn, parse_when("2024-01-01"), parse_when("2024-12-31", True)) == 3
        assert dated_at_most(conn, parse_when("1999-01-01"), parse_when("1999-12-31", True)) == 0


def test_answerable_filters_read_no_media_row(ctx: Context) -> None:
    for name, found in LIBRARY.items():
        put(ctx, name, found)
    statements: list[str] = []

    def grab(_c: Any, _cur: Any, stmt: str, *_: Any) -> None:
        statements.append(stmt)

    answerable = FILTERS[: FILTERS.index({"taken_after": "2024-06-15"})]
    with ctx.engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", grab)
        for kw in answerable:
            f = _filter(**kw)
            meta_facets.time_facets(conn, f)
            if not kw.get("camera"):
                meta_facets.place_facets(conn, f)
            if not (kw.get("place") or kw.get("country")):
                meta_facets.camera_facets(conn, f)
        meta_facets.time_facets(conn, _filter(prefix="a"))
    reads_media = [bool(re.search(r"(?<![\w.])media\b", s)) for s in statements]
    assert reads_media[-1]  # a name prefix: counted from the media
    assert not any(reads_media[:-2]), [s for s, r in zip(statements, reads_media, strict=True) if r]


def test_counts_stay_right_with_concurrent_writers(ctx: Context) -> None:
    found = list(LIBRARY.values())

    def save(name: str, step: int, etag: str) -> None:
        put(ctx, name, found[step % len(found)], etag)

    assert churn(ctx.engine, save) == []
    assert_counts_right(ctx)


def test_migration_counts_the_metadata_already_there(ctx: Context) -> None:
    for name, found in LIBRARY.items():
        put(ctx, name, found)
    before = _kept(ctx)
    migrate_again(ctx.engine, "0011")
    assert _kept(ctx) == before and before[0]
    assert_counts_right(ctx)
