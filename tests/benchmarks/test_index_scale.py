"""The index-at-scale benchmark on a small corpus: its rows are what the real writer writes, and
the indexed queries it times answer exactly what a full scan of every row answers."""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from mediaquery.domain import Box, Findings, LabelFinding, MediaType, Status
from mediaquery.index import facets, meta_facets, metadata, query
from mediaquery.index.db import make_engine, migrate, write_tx
from mediaquery.index.findings import save_findings
from mediaquery.index.query import MediaFilter, label_facets, list_media
from mediaquery.index.repo import upsert_media
from mediaquery.index.tables import label_terms, labels

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
MEDIA = 2000


@pytest.fixture(scope="module")
def bench() -> Iterator[dict[str, ModuleType]]:
    """The benchmark's modules (they live in benchmarks/, outside the package)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield {
            m: importlib.import_module(f"index_scale{m}") for m in ("", "_data", "_load", "_scan")
        }
    finally:
        sys.path.remove(str(BENCHMARKS))


def _pages(engine: Engine, case: Any, limit: int) -> list[str]:
    names: list[str] = []
    cursor = None
    while True:
        with engine.connect() as conn:
            page = list_media(conn, case.f, limit=limit, cursor=cursor, order=case.order)
        names += [r.name for r in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return names


def _check_sampled(got: Any, exact: list[dict[str, Any]], title: str) -> None:
    if not got.sampled:
        assert got.labels == exact, title
        return
    assert got.counted_media == facets.SAMPLE, title
    most = {x["name"]: x["count"] for x in exact}  # the top 100: others have no more
    bound = min(most.values())
    assert got.labels and all(0 < x["count"] <= min(most.get(x["name"], bound), facets.SAMPLE)
                              for x in got.labels), title  # fmt: skip


def _check_against_scan(bench: dict[str, ModuleType], engine: Engine) -> None:
    scan = bench["_scan"]
    cases = bench[""].pick_cases(engine, MEDIA)
    assert len(cases) == 43
    listed = [c for c in cases if not (c.facets or c.facet)]
    with engine.connect() as conn:
        every = scan.scan_many(conn, [(c.f, c.order) for c in listed])
    empty = []
    for case in cases:
        with engine.connect() as conn:
            if case.facet:
                _check_metadata_facets(bench[""].FACETS[case.facet], conn, case)
                continue
            if case.facets:
                exact = scan.scan_facets(conn, case.f)
                assert label_facets(conn, case.f) == exact, case.title
                _check_sampled(case.run(conn), exact, case.title)  # what GET /v1/labels answers
                continue
            expected = scan.scan_names(conn, case.f, case.order)
        assert expected == every[listed.index(case)], case.title  # one pass answers alike
        if not expected:
            empty.append(case.title)
        assert _pages(engine, case, limit=100) == expected, case.title  # next_cursor to the end
        bench[""].walk(engine, case)  # what the benchmark times: page `case.page` of 100
        with engine.connect() as conn:
            page = case.run(conn)
        start = (case.page - 1) * 100
        assert [r.name for r in page.items] == expected[start : start + 100], case.title
        assert all(lab["confidence"] >= 25 for r in page.items for lab in r.labels)
    assert len(empty) <= 1, empty  # at most the rare AND common label pair finds nothing


def _check_metadata_facets(facet: Any, conn: Any, case: Any) -> None:
    """Kept counts answer what counting every match answers; a label filter counts a sample
    when more match."""
    got, exact = case.run(conn), facet(conn, case.f, sample=10**9, counts=False)
    if not got["sampled"]:
        assert got == exact, case.title
        return
    assert case.f.labels and got["counted_media"] == meta_facets.SAMPLE, case.title
    if case.facet == "time":  # every month's count is at most its count in every match
        months = {m["month"]: m["count"] for y in exact["years"] for m in y["months"]}
        assert all(m["count"] <= months[m["month"]] for y in got["years"] for m in y["months"])


@pytest.fixture(scope="module")
def lite(bench: dict[str, ModuleType], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A SQLite index of MEDIA generated items, built the way the benchmark builds it."""
    path = tmp_path_factory.mktemp("index-scale") / "index.db"
    return bench["_load"].build_sqlite(path, bench["_data"].Corpus(MEDIA), chunk=700)


@pytest.mark.slow
def test_sqlite_queries_answer_what_a_full_scan_answers(
    bench: dict[str, ModuleType], lite: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scaled down with the corpus: common labels are tested item by item in page order, rare
    # ones read from label_terms first; both ways must answer the same.
    monkeypatch.setattr(query, "SELECTIVE", 300)
    monkeypatch.setattr(facets, "SAMPLE", 300)  # a filtered facet counts 300 of its matches
    monkeypatch.setattr(meta_facets, "SAMPLE", 300)
    build = lite
    assert build.rows["media"] == MEDIA
    done = build.rows["analyses"] / 4
    # about ten to fifteen labels per analysed item: a class with its parents and everyday words
    assert 8 <= build.rows["labels"] / done <= 16
    assert build.rows["media_text"] > 0.05 * MEDIA
    engine = make_engine(build.url)
    with engine.connect() as conn:  # the migrations' indexes are back after the bulk load
        names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='index'")
                    .scalars())  # fmt: skip
    assert {"ix_label_terms_term_media", "ix_labels_media", "ix_media_type_name"} <= names
    _check_against_scan(bench, engine)
    engine.dispose()


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("MEDIAQUERY_TEST_DATABASE_URL"), reason="MEDIAQUERY_TEST_DATABASE_URL unset"
)
def test_postgresql_queries_answer_what_a_full_scan_answers(
    bench: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facets, "SAMPLE", 300)
    monkeypatch.setattr(meta_facets, "SAMPLE", 300)
    url = os.environ["MEDIAQUERY_TEST_DATABASE_URL"]
    database = f"mq_bench_smoke_{os.getpid()}"
    load = bench["_load"]
    try:
        build = load.build_postgresql(url, database, bench["_data"].Corpus(MEDIA), chunk=700)
        engine = make_engine(build.url)
        _check_against_scan(bench, engine)
        engine.dispose()
    finally:
        load.drop_postgresql(url, database)


def _findings(rows: dict[str, list[tuple[Any, ...]]], media_id: int) -> list[Findings]:
    """The analyzers' findings that the generated rows of one item stand for."""
    by: dict[str, Findings] = {}
    for row in rows["labels"]:
        _, mid, name, conf, parents, aliases, category, analyzer, version, boxes = row
        if mid != media_id:
            continue
        found = by.setdefault(analyzer, Findings(analyzer=analyzer, version=version))
        found.labels.append(LabelFinding(
            name=name, confidence=conf, parents=tuple(json.loads(parents)),
            aliases=tuple(json.loads(aliases)), category=category,
            boxes=tuple(Box(**b) for b in json.loads(boxes) or []),
        ))  # fmt: skip
    lines = [
        {"text": text, "confidence": conf, "box": json.loads(box)}
        for _, mid, _, text, conf, box, _ in rows["text_lines"]
        if mid == media_id
    ]
    if lines:
        by["text"].extra["lines"] = lines
    return list(by.values())


def test_generated_rows_are_what_save_findings_writes(
    bench: dict[str, ModuleType], tmp_path: Path
) -> None:
    rows = next(bench["_data"].Corpus(300).chunks(300))
    engine = make_engine(f"sqlite:///{tmp_path / 'real.db'}")
    migrate(engine)
    done = [r for r in rows["media"] if r[7] == "done"][:60]
    assert any(r[0] in {t[0] for t in rows["media_text"]} for r in done)  # some with text
    ids = {}  # the real index's id of each generated item
    with write_tx(engine) as conn:
        for r in done:
            media_id, name, type_, content_type, size, etag, version = r[:7]
            row, _ = upsert_media(
                conn, name=name, type=MediaType(type_), content_type=content_type, size=size,
                etag=etag, version=version, status=Status.PENDING,
            )  # fmt: skip
            results = [(f, 1.0) for f in _findings(rows, media_id)]
            assert save_findings(conn, name, etag, results, floor=5.0)
            ids[media_id] = row.id
    with engine.connect() as conn:
        real_terms = set(conn.execute(select(
            label_terms.c.term, label_terms.c.media_id, label_terms.c.confidence,
            label_terms.c.analyzer, label_terms.c.label,
        )))  # fmt: skip
        real_labels = set(conn.execute(select(labels.c.media_id, labels.c.name,
                                              labels.c.confidence, labels.c.analyzer)))  # fmt: skip
        real_text: dict[int, str] = dict(
            conn.exec_driver_sql("SELECT rowid, body FROM media_text").all()
        )
    assert real_terms == {(t, ids[i], *rest) for t, i, *rest in rows["label_terms"] if i in ids}
    assert real_labels == {(ids[r[1]], r[2], r[3], r[7]) for r in rows["labels"] if r[1] in ids}
    assert real_text == {ids[i]: body for i, body in rows["media_text"] if i in ids}


def _plans(engine: Engine, f: MediaFilter) -> str:
    """SQLite's plans for the statements one listing runs."""
    statements: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, _many: bool) -> None:
        statements.append((stmt, params))

    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", grab)
        list_media(conn, f, limit=20)
        event.remove(conn, "before_cursor_execute", grab)
        pages = [s for s in statements if "ORDER BY media.name" in s[0]]
        assert len(pages) == 1
        stmt, params = pages[0]
        return " | ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + stmt, params))


@pytest.mark.slow
def test_sqlite_pages_rare_labels_from_their_matches_and_common_ones_in_name_order(
    lite: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query, "SELECTIVE", 300)
    engine = make_engine(lite.url)
    with engine.connect() as conn:
        counts: dict[str, int] = dict(conn.exec_driver_sql(
            "SELECT term, COUNT(*) FROM label_terms WHERE confidence >= 25 GROUP BY term"
        ).all())  # fmt: skip
    common = max(counts, key=counts.__getitem__)
    rare = min(counts, key=lambda t: (abs(counts[t] - 20), t))
    assert counts[common] > 300 > counts[rare]
    # a rare label: its few matches from the label index, then sorted (not every media row)
    plan = _plans(engine, MediaFilter(labels=[rare], min_confidence=25))
    assert "SEARCH media USING INTEGER PRIMARY KEY" in plan and "TEMP B-TREE" in plan, plan
    # a common one: media in name order, each tested through the label index, no sort
    plan = _plans(engine, MediaFilter(labels=[common], min_confidence=25))
    assert "SCAN media USING INDEX sqlite_autoindex_media_1" in plan, plan
    assert "ix_label_terms_term_media" in plan and "TEMP B-TREE" not in plan, plan
    engine.dispose()


@pytest.mark.slow
def test_sqlite_pages_a_time_range_alone_from_its_index_or_in_name_order(
    lite: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    june = MediaFilter(taken_after=1685577600.0, taken_before=1688169600.0)  # June 2023, UTC
    engine = make_engine(lite.url)
    # few matches by the kept month counts: a page of ids from the covering index, sorted
    plan = _plans(engine, june)
    assert "COVERING INDEX ix_media_taken" in plan and "TEMP B-TREE" in plan, plan
    assert "SCAN media" not in plan, plan
    with engine.connect() as conn:
        by_index = [r.name for r in list_media(conn, june, limit=20).items]
    # many: media in name order, each tested
    monkeypatch.setattr(metadata, "SORTED_RANGE", 0)
    plan = _plans(engine, june)
    assert "SCAN media USING INDEX sqlite_autoindex_media_1" in plan, plan
    with engine.connect() as conn:
        assert [r.name for r in list_media(conn, june, limit=20).items] == by_index
    engine.dispose()
    assert len(by_index) > 5  # every media of the month (14 of 2,000)
