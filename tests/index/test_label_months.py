"""The time facets of one label come from kept counts per label term and month: they must
always answer what counting the matching media answers (words, aliases, plurals, several
analyzers), through labels saved, re-analysis, metadata read again, content replaced, media
deleted, the migration that first fills them and a changed default threshold. Runs on the
suite's backend (SQLite, or PostgreSQL with MEDIAQUERY_TEST_DATABASE_URL)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.domain import Findings, LabelFinding, MediaType, Status
from mediaquery.index import meta_facets, repo
from mediaquery.index.db import write_tx
from mediaquery.index.findings import save_findings
from mediaquery.index.label_months import kept_at, rebuild
from mediaquery.index.metadata import parse_when, save_metadata
from mediaquery.index.query import MediaFilter
from mediaquery.index.tables import label_month_counts
from mediaquery.metadata import Metadata
from mq_counts import churn, migrate_again, replace_then_delete

NEW_YORK = timezone(timedelta(hours=-5))


def when(taken: datetime | None) -> Metadata:
    return Metadata(taken, None, None, None, None, None, None, None)


def lab(name: str, conf: float, *aliases: str) -> LabelFinding:
    return LabelFinding(name, conf, (), aliases, "Object")


DOG = ("Puppy", "Hound")
# Capture times either side of month ends (local June is UTC July for a.jpg); labels at,
# above and below the default threshold (25), from one or two analyzers.
LIBRARY: dict[str, tuple[datetime | None, dict[str, list[LabelFinding]]]] = {
    "a.jpg": (datetime(2024, 6, 30, 22, tzinfo=NEW_YORK), {"one": [lab("Dog", 90, *DOG)]}),
    "b.jpg": (datetime(2024, 7, 1, 9, tzinfo=UTC), {"one": [lab("Dog", 25, *DOG)]}),
    "c.jpg": (datetime(2024, 6, 5), {"one": [lab("Dog", 24.9, *DOG)], "two": [lab("Dog", 30)]}),
    "d.jpg": (datetime(2023, 12, 31, 23), {"one": [lab("Cat", 60), lab("Dog", 10, *DOG)]}),
    "e.jpg": (None, {"one": [lab("Dog", 80, *DOG), lab("Cat", 80)]}),  # undated
    "f.jpg": (datetime(2022, 3, 3), {"one": [lab("Dogs", 70), lab("Dog", 70)]}),  # 2 terms
    "g.jpg": (datetime(2022, 3, 9), {"two": [lab("Dogs", 40)]}),
    "h.jpg": (datetime(2024, 6, 1), {}),
}
WORDS = ["dog", "Dogs", "puppies", "HOUND", "cat", "cats", "bird", "", "dog\x00"]
RANGES: list[dict[str, str]] = [
    {},
    {"taken_after": "2024-07-01"},
    {"taken_before": "2024-06-30"},  # [.., Jul)
    {"taken_after": "2024-06-15"},  # not at a month boundary: counted from the media
]


@pytest.fixture
def ctx(make_settings: Callable[..., Settings]) -> Iterator[Context]:
    c = open_context(make_settings())
    yield c
    c.close()


def put(ctx: Context, name: str, taken: datetime | None, found: dict[str, list[LabelFinding]],
        etag: str = "1") -> None:  # fmt: skip
    """Index `name` (new, or replaced when etag changes), its capture time and labels."""
    with write_tx(ctx.engine) as conn:
        repo.upsert_media(conn, name=name, type=MediaType.IMAGE, content_type="image/jpeg",
                          size=1, etag=etag, version="v", status=Status.PENDING)  # fmt: skip
        assert save_metadata(conn, name, etag, when(taken))
        results = [(Findings(a, "1", labs), 1.0) for a, labs in found.items()]
        assert save_findings(conn, name, etag, results, floor=5)


def _filter(word: str, min_confidence: float = 25, **kw: Any) -> MediaFilter:
    for key in ("taken_after", "taken_before"):
        if key in kw:
            kw[key] = parse_when(kw[key], end=key == "taken_before")
    return MediaFilter(labels=[word], min_confidence=min_confidence, **kw)


def _kept(ctx: Context) -> list[Any]:
    with ctx.engine.connect() as conn:
        return sorted(conn.execute(select(label_month_counts)).all())


def assert_counts_right(ctx: Context) -> None:
    """Every word's time facets equal those counted from the media, unsampled, and the kept
    rows are what counting from scratch writes (no stale or zero rows)."""
    for word in WORDS:
        for kw in RANGES:
            for threshold in (25, 50):
                f = _filter(word, threshold, **kw)
                with ctx.engine.connect() as conn:
                    counted = meta_facets.time_facets(conn, f)
                    scanned = meta_facets.time_facets(conn, f, sample=10_000, counts=False)
                assert counted == scanned, (word, kw, threshold)
                assert counted["sampled"] is False
    kept = _kept(ctx)
    with write_tx(ctx.engine) as conn:
        rebuild(conn, 25)
        fresh = sorted(conn.execute(select(label_month_counts)).all())
        conn.rollback()
    assert kept == fresh


def months(ctx: Context, word: str) -> list[tuple[str, int]]:
    with ctx.engine.connect() as conn:
        years = meta_facets.time_facets(conn, _filter(word))["years"]
    return [(m["month"], m["count"]) for y in years for m in y["months"]]


def test_counts_follow_labels_reanalysis_metadata_replacement_and_deletion(ctx: Context) -> None:
    for name, (taken, found) in LIBRARY.items():
        put(ctx, name, taken, found)
    assert_counts_right(ctx)
    # a.jpg is June locally; c.jpg carries Dog at 30 from analyzer "two"; d.jpg's is too weak
    assert months(ctx, "puppies") == [("2024-07", 1), ("2024-06", 1)]
    assert months(ctx, "dog") == [("2024-07", 1), ("2024-06", 2), ("2022-03", 1)]

    with write_tx(ctx.engine) as conn:  # re-analysis: "two" no longer sees a dog in c.jpg
        results = [(Findings("two", "2", [lab("Cat", 99)]), 1.0)]
        assert save_findings(conn, "c.jpg", "1", results, floor=5)
    assert_counts_right(ctx)
    with write_tx(ctx.engine) as conn:  # metadata read again: a.jpg was taken in 2021
        assert save_metadata(conn, "a.jpg", "1", when(datetime(2021, 1, 1)))
        assert save_metadata(conn, "b.jpg", "1", when(None))
    assert_counts_right(ctx)
    assert months(ctx, "dog") == [("2022-03", 1), ("2021-01", 1)]
    put(ctx, "e.jpg", datetime(2020, 5, 5), {"one": [lab("Cat", 26)]}, etag="2")
    replace_then_delete(ctx.engine, "f.jpg", "d.jpg", LIBRARY, lambda: assert_counts_right(ctx))
    assert _kept(ctx) == []


def test_counts_stay_right_with_concurrent_writers(ctx: Context) -> None:
    found = list(LIBRARY.values())

    def save(name: str, step: int, etag: str) -> None:
        put(ctx, name, *found[step % len(found)], etag)

    assert churn(ctx.engine, save) == []
    assert_counts_right(ctx)


def test_one_label_at_the_default_reads_no_media_row(ctx: Context) -> None:
    for name, (taken, found) in LIBRARY.items():
        put(ctx, name, taken, found)
    statements: list[str] = []

    def grab(_c: Any, _cur: Any, stmt: str, *_: Any) -> None:
        statements.append(stmt)

    with ctx.engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", grab)
        for word in ("dog", "puppies", "cat"):
            for kw in RANGES[:3]:
                meta_facets.time_facets(conn, _filter(word, **kw))
        reads = [bool(re.search(r"(?<![\w.])(media|label_terms)\b", s)) for s in statements]
        assert not any(reads), statements
        for f in (_filter("dogs"), _filter("dog", 30)):  # "dog" and "dogs" both carried; not
            n = len(statements)  # the threshold the counts are kept at: counted from the media
            meta_facets.time_facets(conn, f)
            assert any(re.search(r"(?<![\w.])media\b", s) for s in statements[n:])


def test_migration_counts_what_is_there_and_a_new_default_rebuilds(
    ctx: Context, make_settings: Callable[..., Settings]
) -> None:
    for name, (taken, found) in LIBRARY.items():
        put(ctx, name, taken, found)
    before = _kept(ctx)
    migrate_again(ctx.engine, "0016")
    assert _kept(ctx) == before and before
    assert_counts_right(ctx)

    stricter = make_settings(labels={"default_min_confidence": 50})
    # the service keeps the counts at its default threshold
    with TestClient(create_app(stricter, background=False)) as client:
        body = client.get("/v1/facets/time", params={"label": "dog"}).json()
    assert body["sampled"] is False and body["years"][-1]["months"] == [
        {"month": "2022-03", "count": 1}
    ]
    with ctx.engine.connect() as conn:
        assert kept_at(conn) == 50
        f = _filter("dog", 50)
        assert meta_facets.time_facets(conn, f) == meta_facets.time_facets(conn, f, counts=False)
