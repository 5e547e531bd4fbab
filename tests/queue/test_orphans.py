"""A worker killed together with its server may linger as a zombie until init reaps it (some
container inits never do): its jobs are requeued at start-up all the same, instead of waiting
for the lease to run out."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from mediaquery.config import Settings
from mediaquery.context import open_context
from mediaquery.index import jobs
from mediaquery.index.db import write_tx
from mediaquery.index.tables import jobs as jobs_table
from mediaquery.queue import orphans


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="zombies are read from /proc")
def test_jobs_of_a_zombie_worker_are_requeued(make_settings: Callable[..., Settings]) -> None:
    ctx = open_context(make_settings())
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # exits; not reaped yet: a zombie
    try:
        deadline = time.monotonic() + 30
        while not orphans._is_zombie(child.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert orphans._is_zombie(child.pid)
        with write_tx(ctx.engine) as conn:
            jobs.enqueue(conn, "analyze", "a.jpg", "etag", 3)
        owner = orphans.worker_id().rsplit(":", 2)[0] + f":{child.pid}:0"
        assert jobs.claim(ctx.engine, owner, 3600, ("analyze",)) is not None
        assert orphans.recover_orphans(ctx.engine) == 1
        with ctx.engine.connect() as conn:
            assert conn.execute(select(jobs_table.c.state)).scalar_one() == "queued"
        assert not orphans._is_zombie(1 if child.pid != 1 else 2)  # a live process is no zombie
    finally:
        child.wait()
        ctx.close()
