"""The sample's `GET /api/` over the whole index: streamed page by page against built at once.

Each way runs in a fresh process (spawned), so its peak resident memory (`ru_maxrss`) is its
own; both print the SHA-256 of the JSON they produce, which must be the same bytes.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mediaquery.api.seed_stream import seed_item_json, seed_json_chunks
from mediaquery.index.db import make_engine
from mediaquery.index.query import MediaFilter, list_media

LISTED = 25.0  # labels.default_min_confidence, as the endpoint lists


@dataclass
class SeedRun:
    how: str
    seconds: float
    items: int
    bytes: int
    sha256: str
    idle_mib: float  # resident memory before the listing
    peak_mib: float  # resident memory at its peak

    def line(self) -> str:
        above = self.peak_mib - self.idle_mib
        return (f"GET /api/ {self.how:<14} {self.items:>9,} items {self.bytes / 2**20:7.1f} MiB "
                f"in {self.seconds:6.1f} s; peak RSS {self.peak_mib:7.0f} MiB "
                f"(+{above:,.0f} over idle); sha256 {self.sha256[:16]}")  # fmt: skip


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _streamed(url: str) -> Iterator[bytes]:
    yield from seed_json_chunks(make_engine(url), MediaFilter(min_confidence=LISTED))


def _at_once(url: str) -> Iterator[bytes]:
    """What the endpoint did before: every row with its labels, then one JSON document."""
    with make_engine(url).connect() as conn:
        rows = list_media(conn, MediaFilter(min_confidence=LISTED)).items
    yield ("[" + ",".join(seed_item_json(r) for r in rows) + "]").encode()


def _child(how: str, url: str, out: Any) -> None:
    make_engine(url).dispose()  # imports and the driver loaded: that much is idle memory
    idle = _rss_mib()
    digest, size = hashlib.sha256(), 0
    t = time.perf_counter()
    try:
        for chunk in (_streamed if how == "streamed" else _at_once)(url):
            digest.update(chunk)
            size += len(chunk)
    except Exception as exc:  # noqa: BLE001 - reported: the old way fails at scale on SQLite
        out.put(f"failed after {time.perf_counter() - t:.1f} s: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:120]}; peak RSS {_rss_mib():.0f} MiB")  # fmt: skip
        return
    out.put((time.perf_counter() - t, size, digest.hexdigest(), idle, _rss_mib()))


def measure_seed_list(url: str, at_once: bool = True) -> list[SeedRun | str]:
    """Time the whole list both ways, each in a process of its own (a failure is a line)."""
    spawn = multiprocessing.get_context("spawn")
    runs: list[SeedRun | str] = []
    items = _count_items(url)
    for how in ["streamed", "built at once"][: 2 if at_once else 1]:
        out = spawn.SimpleQueue()
        p = spawn.Process(target=_child, args=(how.split()[0], url, out))
        p.start()
        got = out.get()
        p.join()
        if isinstance(got, str):
            runs.append(f"GET /api/ {how:<14} {items:>9,} items {got}")
            continue
        seconds, size, sha, idle, peak = got
        runs.append(SeedRun(how, seconds, items, size, sha, idle, peak))
    return runs


def _count_items(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = int(conn.exec_driver_sql("SELECT COUNT(*) FROM media").scalar_one())
    engine.dispose()
    return n


def report(url: str, at_once: bool = True) -> None:
    """Print both runs and whether their bytes are the same."""
    runs = measure_seed_list(url, at_once)
    for run in runs:
        print(run if isinstance(run, str) else run.line())
    done = [r for r in runs if isinstance(r, SeedRun)]
    if len(done) == 2:
        print(f"GET /api/ same bytes both ways: {done[0].sha256 == done[1].sha256}")


if __name__ == "__main__":  # an existing index: python benchmarks/index_scale_stream.py URL
    import sys

    report(sys.argv[1])
