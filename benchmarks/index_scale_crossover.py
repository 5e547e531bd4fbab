"""Where a capture-time range alone, in name order, should stop being read from its index.

Run: python benchmarks/index_scale_crossover.py [--dir DIR] [--runs 15]
     (on the SQLite index a `python index_scale.py --db sqlite --keep` run left in DIR)

SQLite keeps no per-value statistics, so `list_media` chooses how to page a time range from
the kept month counts (`metadata.SORTED_RANGE`): with few matches it reads the range from the
covering index `ix_media_taken` and sorts a page of ids ("sorted"); with many it walks the
media in name order and tests each ("test"). For ranges of 1 to 12 UTC months ending with June
2023 this times the first page (without labels, which both ways attach alike) each way and
prints the number of matches where "test" becomes the faster: the threshold to set.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from mediaquery.index import metadata
from mediaquery.index.db import make_engine
from mediaquery.index.query import MediaFilter, list_media
from mediaquery.index.tables import media

END = datetime(2023, 7, 1, tzinfo=UTC)


def months_before(end: datetime, months: int) -> datetime:
    """The first instant of the UTC month `months` before `end`'s month."""
    index = end.year * 12 + end.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def page_ms(engine: Engine, f: MediaFilter, threshold: int, runs: int) -> tuple[float, float]:
    """p50 and p95 ms of the first page of 100 (no labels) with SORTED_RANGE at `threshold`."""
    saved = metadata.SORTED_RANGE
    metadata.SORTED_RANGE = threshold
    try:
        ms = []
        for _ in range(runs + 1):  # the first one warms the cache
            t = time.perf_counter()
            with engine.connect() as conn:
                list_media(conn, f, limit=100, label_min_confidence=101.0)
            ms.append(1000 * (time.perf_counter() - t))
    finally:
        metadata.SORTED_RANGE = saved
    ms = sorted(ms[1:])
    return statistics.median(ms), ms[max(0, round(0.95 * len(ms)) - 1)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "mq-index-scale")
    p.add_argument("--runs", type=int, default=15)
    args = p.parse_args()
    engine = make_engine(f"sqlite:///{args.dir / 'index.db'}")
    print(f"{'months':>6} {'matches':>8} {'sorted p50/p95 ms':>18} {'test p50/p95 ms':>16}")
    crossover = None
    for months in (1, 2, 3, 4, 5, 6, 8, 10, 12):
        after, before = months_before(END, months).timestamp(), END.timestamp()
        f = MediaFilter(taken_after=after, taken_before=before)
        with engine.connect() as conn:
            t = media.c.taken_at
            where = (t >= after, t < before)
            n = conn.execute(select(func.count()).where(*where)).scalar_one()
        by_ids = page_ms(engine, f, 10**12, args.runs)
        tested = page_ms(engine, f, 0, args.runs)
        print(f"{months:>6} {n:>8,} {by_ids[0]:8.1f}/{by_ids[1]:<9.1f} "
              f"{tested[0]:7.1f}/{tested[1]:<8.1f}")  # fmt: skip
        if crossover is None and tested[1] < by_ids[1]:
            crossover = n
    engine.dispose()
    print(f"test is faster (p95) from {crossover:,} matches" if crossover else "sorted: always")
    print(f"metadata.SORTED_RANGE is {metadata.SORTED_RANGE:,}")


if __name__ == "__main__":
    main()
