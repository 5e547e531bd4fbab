"""Unfiltered label facets come from kept per-label counts: they must always agree with the
labels themselves, through analysis, re-analysis, replacement, deletion, videos, concurrent
writers and the migration that first fills them. Runs on the suite's backend (SQLite, or
PostgreSQL with MEDIAQUERY_TEST_DATABASE_URL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.domain import Findings, LabelFinding, MediaType, Status
from mediaquery.index import repo
from mediaquery.index.db import write_tx
from mediaquery.index.facets import facets as facets_of
from mediaquery.index.findings import save_findings
from mediaquery.index.label_counts import rebuild
from mediaquery.index.query import MediaFilter, label_facets
from mediaquery.index.tables import label_counts, labels
from mediaquery.index.video import save_video
from mq_counts import migrate_again, run_writers


@pytest.fixture
def ctx(make_settings: Callable[..., Settings]) -> Iterator[Context]:
    c = open_context(make_settings())
    yield c
    c.close()


def lab(name: str, conf: float) -> LabelFinding:
    return LabelFinding(name, conf, (), (), "Object")


def analyse(
    ctx: Context, name: str, found: dict[str, Sequence[LabelFinding]], etag: str = "1"
) -> None:
    """Index `name` (new, or replaced when etag changes) and save each analyzer's labels."""
    with write_tx(ctx.engine) as conn:
        repo.upsert_media(conn, name=name, type=MediaType.IMAGE, content_type="image/jpeg",
                          size=1, etag=etag, version="v", status=Status.PENDING)  # fmt: skip
        results = [(Findings(a, "1", list(labs)), 1.0) for a, labs in found.items()]
        assert save_findings(conn, name, etag, results, floor=5)


def expected(ctx: Context, threshold: float) -> list[dict[str, Any]]:
    """The facets of everything, counted in Python from every label row."""
    carriers: dict[str, set[int]] = defaultdict(set)
    best: dict[str, float] = {}
    with ctx.engine.connect() as conn:
        q = select(labels.c.media_id, labels.c.name, labels.c.confidence)
        for media_id, name, conf in conn.execute(q):
            if conf >= threshold:
                carriers[name].add(media_id)
                best[name] = max(best.get(name, 0.0), conf)
    ranked = sorted(carriers, key=lambda n: (-len(carriers[n]), n.encode()))
    return [{"name": n, "count": len(carriers[n]), "max_confidence": round(best[n], 2)}
            for n in ranked]  # fmt: skip


def facets(ctx: Context, threshold: float) -> list[dict[str, Any]]:
    with ctx.engine.connect() as conn:
        return label_facets(conn, MediaFilter(min_confidence=threshold), limit=1000)


def assert_counts_right(ctx: Context) -> None:
    for threshold in (0, 25, 50, 80, 99, 100):
        assert facets(ctx, threshold) == expected(ctx, threshold), threshold
    # and the kept rows are what counting from scratch writes (no stale zero rows either)
    with ctx.engine.connect() as conn:
        kept = sorted(conn.execute(select(label_counts)).all())
    with write_tx(ctx.engine) as conn:
        rebuild(conn)
        fresh = sorted(conn.execute(select(label_counts)).all())
        conn.rollback()
    assert kept == fresh


def test_counts_follow_analysis_reanalysis_replacement_and_deletion(ctx: Context) -> None:
    analyse(ctx, "a.jpg", {"one": [lab("Dog", 90.5), lab("Cat", 30)], "two": [lab("Dog", 40)]})
    analyse(ctx, "b.jpg", {"one": [lab("Dog", 25.0), lab("dog", 24.999)]})
    analyse(ctx, "c.jpg", {"one": [lab("Cat", 100.0), lab("Tree", 60)]})
    assert [(x["name"], x["count"]) for x in facets(ctx, 25)] == [("Cat", 2), ("Dog", 2),
                                                                   ("Tree", 1)]  # fmt: skip
    assert_counts_right(ctx)

    # re-analysis by one analyzer replaces its labels; the other analyzer's stay
    with write_tx(ctx.engine) as conn:
        assert save_findings(conn, "a.jpg", "1", [(Findings("one", "2", [lab("Tree", 70)]), 1.0)],
                             floor=5)  # fmt: skip
    assert_counts_right(ctx)
    assert {x["name"]: x["count"] for x in facets(ctx, 25)}["Dog"] == 2  # a.jpg: "two" says Dog

    analyse(ctx, "c.jpg", {"one": [lab("Dog", 55)]}, etag="2")  # new content: labels redone
    assert_counts_right(ctx)
    assert "Cat" not in {x["name"] for x in facets(ctx, 25)}

    with write_tx(ctx.engine) as conn:
        assert repo.delete_media(conn, "a.jpg")
    assert_counts_right(ctx)
    with write_tx(ctx.engine) as conn:
        repo.upsert_media(conn, name="c.jpg", type=MediaType.IMAGE, content_type="image/jpeg",
                          size=1, etag="3", version="v", status=Status.PENDING)  # fmt: skip
    assert_counts_right(ctx)  # replaced content waiting for analysis carries no labels yet
    with write_tx(ctx.engine) as conn:
        for name in ("b.jpg", "c.jpg"):
            repo.delete_media(conn, name)
    assert facets(ctx, 25) == []
    with ctx.engine.connect() as conn:
        assert conn.execute(select(label_counts)).all() == []


def test_counts_follow_video_results(ctx: Context) -> None:
    analyse(ctx, "v.mp4", {})

    def seg(name: str, conf: float) -> SimpleNamespace:
        return SimpleNamespace(name=name, max_confidence=conf, mean_confidence=conf, parents=[],
                               aliases=[], category="Object", start_ms=0, end_ms=1000)  # fmt: skip

    for segments in ([seg("Car", 80), seg("Car", 95), seg("Road", 40)], [seg("Road", 70)]):
        stats = SimpleNamespace(wall_s=1.0, covered_ms=1000, errors_skipped=0,
                                stopped_by_budget=False)  # fmt: skip
        result = SimpleNamespace(segments=segments, timestamps=[], text=[], shots=[],
                                 frames_analyzed=1, stats=stats)  # fmt: skip
        with write_tx(ctx.engine) as conn:
            row = repo.get_media(conn, "v.mp4")
            assert row is not None
            save_video(conn, row, result, [("t", "1")], floor=5)
        assert_counts_right(ctx)
    assert [x["name"] for x in facets(ctx, 25)] == ["Road"]


def test_counts_stay_right_with_concurrent_writers(ctx: Context) -> None:
    def writer(w: int) -> None:
        for i in range(12):
            name = f"w{w}/{i % 4}.jpg"
            if i % 5 == 4:
                with write_tx(ctx.engine) as conn:
                    repo.delete_media(conn, name)
                continue
            labs = [lab("Shared", 20 + 7 * i + w), lab(f"Own{w}", 50 + i)]
            analyse(ctx, name, {"one": labs, "two": [lab("Shared", 30 + w)]}, etag=str(i))

    assert run_writers(writer) == []
    assert_counts_right(ctx)


def test_migration_counts_the_labels_already_there(ctx: Context) -> None:
    analyse(ctx, "a.jpg", {"one": [lab("Dog", 90), lab("Cat", 30)], "two": [lab("Dog", 40)]})
    analyse(ctx, "b.jpg", {"one": [lab("Dog", 25.5)]})
    migrate_again(ctx.engine, "0008")
    assert_counts_right(ctx)
    assert [(x["name"], x["count"]) for x in facets(ctx, 25)] == [("Dog", 2), ("Cat", 1)]


def test_filtered_facets_count_at_most_a_sample_and_say_so(ctx: Context) -> None:
    for i in range(5):
        analyse(ctx, f"cats/{i}.jpg", {"one": [lab("Cat", 60 + i), lab(f"Only{i}", 50)]})
    analyse(ctx, "dogs/1.jpg", {"one": [lab("Dog", 70)]})
    f = MediaFilter(labels=["cat"], min_confidence=25)
    with ctx.engine.connect() as conn:
        exact = label_facets(conn, f, limit=100)
        whole = facets_of(conn, f, 100, sample=5)  # every match fits in the sample
        part = facets_of(conn, f, 100, sample=3)
    assert (whole.labels, whole.sampled, whole.counted_media) == (exact, False, None)
    assert (part.sampled, part.counted_media) == (True, 3)
    assert part.labels[0]["name"] == "Cat" and part.labels[0]["count"] == 3
    assert sum(x["count"] for x in part.labels if x["name"].startswith("Only")) == 3


def test_the_api_says_whether_facets_were_sampled(ctx: Context, client: TestClient) -> None:
    analyse(ctx, "a.jpg", {"one": [lab("Cat", 60)]})
    for url in ("/v1/labels", "/v1/labels?label=cat", "/v1/labels?min_confidence=30.5"):
        body = client.get(url).json()
        assert body == {"labels": [{"name": "Cat", "count": 1, "max_confidence": 60.0}],
                        "sampled": False, "counted_media": None}  # fmt: skip
