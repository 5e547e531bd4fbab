"""Index at scale: list, filter, page and facet 1,000,000 media on SQLite and PostgreSQL.

Run: python benchmarks/index_scale.py [--media N | --quick] [--db sqlite|postgresql|both]
         [--dir DIR] [--pg-url URL] [--pg-database mq_bench] [--runs 30] [--scan-runs 3 (0: none)]
         [--keep] [--reuse] [--explain] [--seed-list both|streamed|off]

Builds an index of N media (~10 labels each, see index_scale_data.py) with the real migrations,
then times the very functions the API calls (`list_media`, `label_facets`; one pooled connection
per call, as a request gets) and prints p50/p95 per query next to a full scan that reads every
media row with its labels and filters in Python (the sample's DynamoDB Scan + FilterExpression).
Goal: every listed page at p95 <= 20 ms and >= 100x faster than the scan. It also lists every
media as `GET /api/` does (the sample has no paging), streamed page by page and, for comparison,
built at once, with the time and peak memory of each (index_scale_stream.py). The PostgreSQL
database (`--pg-database`, next to `--pg-url`'s) and the SQLite file are dropped and rebuilt,
unless `--reuse` finds them left by an earlier `--keep` run (same --media).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index_scale_data import Corpus
from index_scale_load import (
    Build,
    build_postgresql,
    build_sqlite,
    drop_postgresql,
    reuse_postgresql,
    reuse_sqlite,
)
from index_scale_scan import scan_many, scan_names
from index_scale_stream import report as report_seed_list
from sqlalchemy import Connection, Engine, event

from mediaquery.index import meta_facets
from mediaquery.index.db import make_engine
from mediaquery.index.facets import facets
from mediaquery.index.metadata import parse_when
from mediaquery.index.query import MediaFilter, list_media

PG_URL = os.environ.get(
    "MEDIAQUERY_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LIMIT = 100  # the API's default page size
LISTED = 25.0  # labels.default_min_confidence: what a request gets unless it asks otherwise
GOAL_MS, GOAL_RATIO = 20.0, 100.0


@dataclass
class Case:
    """One API query: a filter, listed (a page of LIMIT) or counted as label facets."""

    title: str
    f: MediaFilter
    facets: bool = False
    page: int = 1  # pages after the first follow next_cursor
    order: str = "name"  # or newest (the web page's gallery)
    cursor: str | None = None  # set once the pages before `page` were walked
    facet: str | None = None  # "time", "places" or "cameras": GET /v1/facets/...

    def run(self, conn: Connection, bare: bool = False) -> Any:
        """The API's call; `bare` lists the page without its labels (no label is over 100)."""
        if self.facet is not None:
            return FACETS[self.facet](conn, self.f)  # kept counts, or a bounded sample
        if self.facets:
            return facets(conn, self.f)  # as GET /v1/labels: kept counts, or a bounded sample
        skip = 101.0 if bare else None
        return list_media(
            conn, self.f, limit=LIMIT, cursor=self.cursor, label_min_confidence=skip,
            order=self.order,
        )  # fmt: skip


FACETS = {"time": meta_facets.time_facets, "places": meta_facets.place_facets,
          "cameras": meta_facets.camera_facets}  # fmt: skip


@dataclass
class Timing:
    case: Case
    ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)  # the same page without its labels
    note: str = ""

    def pct(self, p: float, bare: bool = False) -> float:
        ordered = sorted(self.bare_ms if bare else self.ms)
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else math.nan


def _filter(**kw: Any) -> MediaFilter:
    return MediaFilter(min_confidence=LISTED, **kw)


def _nearest(counts: Counter[str], share: float, total: int) -> str:
    return min(counts, key=lambda t: (abs(counts[t] - share * total), t))


def pick_cases(engine: Engine, media: int) -> list[Case]:
    """The queries to time, with label, word and prefix values taken from the data."""
    with engine.connect() as conn:
        terms: Counter[str] = Counter(dict(conn.exec_driver_sql(
            "SELECT term, COUNT(*) FROM label_terms WHERE confidence >= 25 GROUP BY term"
        ).all()))  # fmt: skip
        words: Counter[str] = Counter()
        for (body,) in conn.exec_driver_sql("SELECT body FROM media_text"):
            words.update({w.casefold() for w in re.findall(r"\w+", body)})
        folders = Counter(n.rsplit("/", 1)[0] for (n,) in conn.exec_driver_sql(
            "SELECT name FROM media WHERE id / 97 * 97 = id"
        ))  # fmt: skip
    common, mid, rare = terms.most_common(1)[0][0], "dog", _nearest(terms, 0.0002, media)
    if "dog" not in terms:
        mid = _nearest(terms, 0.02, media)
    rare_word, (w1, w2) = _nearest(words, 0.0001, media), [w for w, _ in words.most_common(2)]
    folder = folders.most_common(1)[0][0]
    page = max(1, min(100, terms[common] // LIMIT))  # page 100 where there are 100 pages
    source = folder.split("/", 1)[0] + "/"

    def share(n: int) -> str:
        return f"{100 * n / media:.2g}%"

    return [
        Case(f"label={common} ({share(terms[common])})", _filter(labels=[common])),
        Case(f"label={mid} ({share(terms[mid])})", _filter(labels=[mid])),
        Case(f"label={rare} ({share(terms[rare])})", _filter(labels=[rare])),
        Case(f"label={common}, page {page}", _filter(labels=[common]), page=page),
        Case(f"label={mid}, newest first", _filter(labels=[mid]), order="newest"),
        Case(f"label={rare}, newest first", _filter(labels=[rare]), order="newest"),
        Case(f"prefix={source}", _filter(prefix=source)),
        Case(f"prefix={folder}/", _filter(prefix=folder + "/")),
        Case("type=video", _filter(type="video")),
        Case(f"label={mid} AND label=person", _filter(labels=[mid, "person"])),
        Case(f"label={rare} AND label={common}", _filter(labels=[rare, common])),
        Case(f"text={w1} ({share(words[w1])})", _filter(text=w1)),
        Case(f"text={rare_word} ({share(words[rare_word])})", _filter(text=rare_word)),
        Case(f"text={w1} {w2}", _filter(text=f"{w1} {w2}")),
        Case("facets, no filter", _filter(), facets=True),
        Case(f"facets, prefix={folder}/", _filter(prefix=folder + "/"), facets=True),
        Case(f"facets, label={mid}", _filter(labels=[mid]), facets=True),
        *metadata_cases(engine, media, mid, common),
    ]


def metadata_cases(engine: Engine, media: int, label: str, common_label: str) -> list[Case]:
    """Capture time and place queries (GET /v1/media taken_after/place/..., /v1/facets/*)."""
    with engine.connect() as conn:
        towns: Counter[str] = Counter(dict(conn.exec_driver_sql(
            "SELECT term, COUNT(*) FROM place_terms GROUP BY term"
        ).all()))  # fmt: skip
        countries: Counter[str] = Counter(dict(conn.exec_driver_sql(
            "SELECT country_code, COUNT(*) FROM media WHERE country_code IS NOT NULL "
            "GROUP BY country_code"
        ).all()))  # fmt: skip
    common, rare = towns.most_common(1)[0][0], _nearest(towns, 0.0005, media)
    country = countries.most_common(1)[0][0]
    with engine.connect() as conn:  # a point in the most common town
        lat, lon = conn.exec_driver_sql(
            "SELECT lat, lon FROM media WHERE id = (SELECT MIN(media_id) FROM place_terms "
            f"WHERE term = '{common.replace(chr(39), chr(39) * 2)}')"
        ).one()
    near = (round(lat, 2), round(lon, 2), 50.0)
    year, month = parse_when("2024-01-01"), parse_when("2023-06-01")
    june = _filter(taken_after=month, taken_before=parse_when("2023-06-30", end=True))
    in_2024 = _filter(labels=[label], taken_after=year, taken_before=parse_when("2024-12-31", True))
    return [
        Case("taken_after=2024-01-01 (~8%)", _filter(taken_after=year)),
        Case("taken_after=2016-01-01 (~75%)", _filter(taken_after=parse_when("2016-01-01"))),
        Case("taken in June 2023 (~0.7%)", june),
        Case("order=taken", _filter(), order="taken"),
        Case("order=taken, page 10", _filter(), order="taken", page=10),
        Case("taken_after=2024-01-01, order=taken", _filter(taken_after=year), order="taken"),
        Case(f"place={common}", _filter(place=common)),
        Case(f"place={rare}", _filter(place=rare)),
        Case(f"place={rare}, order=taken", _filter(place=rare), order="taken"),
        Case(f"country={country}", _filter(country=country)),
        Case("camera=pixel", _filter(camera="pixel")),
        Case(f"near={near[0]},{near[1]} ({common}) radius 50 km", _filter(near=near)),
        Case("time facets, no filter", _filter(), facet="time"),
        Case(f"time facets, country={country}", _filter(country=country), facet="time"),
        Case(f"time facets, place={rare}", _filter(place=rare), facet="time"),
        Case(f"time facets, place={common}", _filter(place=common), facet="time"),
        Case("time facets, camera=pixel", _filter(camera="pixel"), facet="time"),
        Case(f"time facets, label={label}", _filter(labels=[label]), facet="time"),
        Case(f"time facets, label={common_label}", _filter(labels=[common_label]), facet="time"),
        Case(f"time facets, label={label}, 2024", in_2024, facet="time"),
        Case("place facets, no filter", _filter(), facet="places"),
        Case("place facets, June 2023", june, facet="places"),
        Case(f"place facets, country={country}", _filter(country=country), facet="places"),
        Case(f"place facets, label={label} (sampled)", _filter(labels=[label]), facet="places"),
        Case("camera facets, no filter", _filter(), facet="cameras"),
        Case("camera facets, June 2023", june, facet="cameras"),
    ]


def walk(engine: Engine, case: Case) -> float:
    """Follow next_cursor to the page before `case.page`; returns seconds taken."""
    t = time.perf_counter()
    cursor = None
    for _ in range(case.page - 1):
        with engine.connect() as conn:
            page = list_media(conn, case.f, limit=LIMIT, cursor=cursor, order=case.order)
            cursor = page.next_cursor
        if cursor is None:
            raise RuntimeError(f"{case.title}: fewer than {case.page} pages")
    case.cursor = cursor
    return time.perf_counter() - t


def sample(engine: Engine, case: Case, runs: int, budget_s: float = 20.0) -> Timing:
    """`runs` timed calls after a warm-up one (fewer, at least 3, when they are slow)."""
    timing = Timing(case)
    with engine.connect() as conn:
        case.run(conn)
    deadline = time.perf_counter() + budget_s
    while len(timing.ms) < runs and (len(timing.ms) < 3 or time.perf_counter() < deadline):
        for bare, out in ((False, timing.ms), (True, timing.bare_ms)):
            if bare and case.facets:
                continue
            t = time.perf_counter()
            with engine.connect() as conn:
                case.run(conn, bare)
            out.append(1000 * (time.perf_counter() - t))
    return timing


def time_scans(engine: Engine, cases: list[Case], runs: int) -> tuple[list[float], str]:
    """Full-scan seconds of `runs` listed cases (one run each), and every listed case's page
    checked against the scan (one pass over the tables for them all)."""
    listed = [c for c in cases if not (c.facets or c.facet)]
    seconds = []
    for case in [c for c in listed if c.page == 1][:runs]:
        t = time.perf_counter()
        with engine.connect() as conn:
            scan_names(conn, case.f, case.order)
        seconds.append(time.perf_counter() - t)
    with engine.connect() as conn:
        expected = scan_many(conn, [(c.f, c.order) for c in listed])
    differ = []
    for case, names in zip(listed, expected, strict=True):
        start = (case.page - 1) * LIMIT
        with engine.connect() as conn:
            got = [r.name for r in case.run(conn).items]
        if got != names[start : start + LIMIT]:
            differ.append(case.title)
    same = len(listed) - len(differ)
    return seconds, f"{same} of {len(listed)} the same" + (
        f"; DIFFERENT: {', '.join(differ)}" if differ else ""
    )


def explain(engine: Engine, case: Case) -> None:
    """Print the database's plan for each statement the case runs."""
    seen: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, _many: bool) -> None:
        if stmt.lstrip().upper().startswith("SELECT"):
            seen.append((stmt, params))

    with engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", grab)
        case.run(conn)
        event.remove(conn, "before_cursor_execute", grab)
        pg = conn.dialect.name == "postgresql"
        for stmt, params in seen:
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN "
            plan = conn.exec_driver_sql(prefix + stmt, params).all()
            print(f"  -- {case.title}\n    " + "\n    ".join(str(r[-1]) for r in plan))


def measure(build: Build, media: int, args: argparse.Namespace) -> list[Timing]:
    """Time every case on one built database and print its table."""
    engine = make_engine(build.url)
    load = os.getloadavg()[0]
    cases = pick_cases(engine, media)
    walks = {c.title: walk(engine, c) for c in cases if c.page > 1}
    timings = [sample(engine, c, args.runs) for c in cases]
    if args.explain:
        for c in cases:
            explain(engine, c)
    scans, checked = (
        time_scans(engine, cases, args.scan_runs) if args.scan_runs else ([], "not checked")
    )
    counted = [f"{c.title}: counts {_counted(engine, c)}" for c in cases if c.facets or c.facet]
    engine.dispose()
    scan_ms = 1000 * statistics.median(scans) if scans else math.nan
    print(f"\n== {build.db}: {media:,} media ==")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} before the timings, "
          f"{os.getloadavg()[0]:.1f} after")  # fmt: skip
    _print_build(build)
    if scans:
        print(f"full scan (every media row + labels, filtered in Python): "
              f"{', '.join(f'{s:.1f}' for s in scans)} s; p50 {scan_ms / 1000:.1f} s")  # fmt: skip
    print(f"pages checked against the scan: {checked}")
    for note in counted:
        print(note)
    for title, s in walks.items():
        print(f"{title}: walking pages 1-99 took {s:.2f} s")
    if args.seed_list != "off":
        report_seed_list(build.url, at_once=args.seed_list == "both")
    print(f"{'query':<44} {'p50 ms':>7} {'p95 ms':>7} {'scan/p95':>9}  goal  "
          f"{'no labels: p50':>14} {'p95':>6}")  # fmt: skip
    for t in timings:
        ratio = scan_ms / t.pct(0.95)
        ok = t.pct(0.95) <= GOAL_MS and (ratio >= GOAL_RATIO or not scans)
        t.note = f"{ratio:,.0f}x" if scans else "-"
        bare = f"{t.pct(0.5, True):14.1f} {t.pct(0.95, True):6.1f}"
        print(f"{t.case.title:<44} {t.pct(0.5):7.1f} {t.pct(0.95):7.1f} {t.note:>9}  "
              f"{'ok  ' if ok else 'MISS'}  {bare}")  # fmt: skip
    return timings


def _counted(engine: Engine, case: Case) -> str:
    with engine.connect() as conn:
        got = case.run(conn)
        if case.facet == "time" and case.f.labels:  # kept counts: what counting every match says
            every = meta_facets.time_facets(conn, case.f, sample=10**12, counts=False)
    sampled, counted = (got["sampled"], got["counted_media"]) if case.facet else (
        got.sampled, got.counted_media)  # fmt: skip
    if sampled:
        return f"the first {counted:,} matches"
    if case.facet == "time" and case.f.labels:
        return f"every match ({'equal to' if got == every else 'DIFFERENT from'} counting them)"
    return "every match"


def _print_build(b: Build) -> None:
    s = b.seconds
    rows = ", ".join(f"{t} {n:,}" for t, n in b.rows.items())
    print(f"rows: {rows}")
    print(f"build: {sum(v for k, v in s.items() if k != 'load'):.0f} s = "
          + ", ".join(f"{k} {v:.0f} s" for k, v in s.items() if k != "load")
          + f"; {b.rows_per_s:,.0f} rows/s generated+written")  # fmt: skip
    largest = ", ".join(f"{n} {size / 2**20:,.0f}" for n, size in b.largest)
    print(f"size: {b.size_bytes / 2**30:.2f} GiB (largest MiB: {largest})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--media", type=int, default=1_000_000)
    p.add_argument("--quick", action="store_true", help="20,000 media, to try things")
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "mq-index-scale")
    p.add_argument("--pg-url", default=PG_URL)
    p.add_argument("--pg-database", default="mq_bench")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument(
        "--scan-runs",
        type=int,
        default=3,
        help="full scans timed; 0: no scan, and the pages are not checked against it",
    )
    p.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="time the databases a --keep run left (migrated to head), no rebuild",
    )
    p.add_argument("--explain", action="store_true", help="print each query's plan")
    p.add_argument(
        "--seed-list",
        choices=["both", "streamed", "off"],
        default="both",
        help="time GET /api/ (every media): streamed, and built at once as it was (both)",
    )
    args = p.parse_args()
    media = 20_000 if args.quick else args.media
    corpus = Corpus(media)
    results: dict[str, list[Timing]] = {}
    if args.db in ("sqlite", "both"):
        args.dir.mkdir(parents=True, exist_ok=True)
        path = args.dir / "index.db"
        reused = reuse_sqlite(path) if args.reuse else None
        results["sqlite"] = measure(reused or build_sqlite(path, corpus), media, args)
        if not args.keep:
            shutil.rmtree(args.dir, ignore_errors=True)
    if args.db in ("postgresql", "both"):
        reused = reuse_postgresql(args.pg_url, args.pg_database) if args.reuse else None
        build = reused or build_postgresql(args.pg_url, args.pg_database, corpus)
        results["postgresql"] = measure(build, media, args)
        if not args.keep:
            drop_postgresql(args.pg_url, args.pg_database)
    if len(results) == 2:
        _side_by_side(results)


def _side_by_side(results: dict[str, list[Timing]]) -> None:
    print(f"\n{'query':<44} {'SQLite p50/p95 ms':>18} {'x scan':>8} {'PG p50/p95 ms':>16} "
          f"{'x scan':>8}")  # fmt: skip
    for lite, pg in zip(results["sqlite"], results["postgresql"], strict=True):
        print(f"{lite.case.title:<44} {lite.pct(0.5):8.1f}/{lite.pct(0.95):<9.1f} "
              f"{lite.note:>8} {pg.pct(0.5):7.1f}/{pg.pct(0.95):<8.1f} {pg.note:>8}")  # fmt: skip


if __name__ == "__main__":
    main()
