"""The durable queue: at-least-once runs, idempotent writes, bounded retries, deletes mid-flight."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from sqlalchemy import func, select

from conftest import jpeg_bytes
from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.index import jobs
from mediaquery.index.tables import jobs as jobs_table
from mediaquery.index.tables import label_terms, labels
from mediaquery.ingest.uploads import delete_object, store_upload
from mediaquery.queue import orphans
from mediaquery.queue.kinds import ANALYZE
from mediaquery.queue.tasks import run_job
from mediaquery.queue.worker import Worker

RED = jpeg_bytes(np.full((32, 32, 3), (250, 5, 5), np.uint8))


@pytest.fixture
def ctx(make_settings: Callable[..., Settings]) -> Context:
    c = open_context(make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"]))
    yield c
    c.close()


def upload(ctx: Context, name: str, data: bytes = RED) -> None:
    import io

    store_upload(ctx, name, io.BytesIO(data))


def count(ctx: Context, table) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def status(ctx: Context, name: str) -> tuple[str, str | None]:
    from mediaquery.index import repo

    with ctx.engine.connect() as conn:
        return repo.statuses(conn, [name])[name]


def test_rerunning_a_job_does_not_duplicate_labels(ctx: Context) -> None:
    upload(ctx, "a.jpg")
    job = jobs.claim(ctx.engine, "w", 60, (ANALYZE,))
    assert job is not None
    run_job(ctx, job)
    first = (count(ctx, labels), count(ctx, label_terms))
    run_job(ctx, job)  # at-least-once: the same job delivered twice
    assert (count(ctx, labels), count(ctx, label_terms)) == first
    assert first[0] == 2  # Red and its parent Colour
    assert status(ctx, "a.jpg") == ("done", None)


def test_enqueue_deduplicates_the_same_work(ctx: Context) -> None:
    upload(ctx, "a.jpg")
    with ctx.engine.begin() as conn:
        row = conn.execute(select(jobs_table.c.etag)).one()
        assert not jobs.enqueue(conn, ANALYZE, "a.jpg", row.etag, 3)
    assert count(ctx, jobs_table) == 1


def test_failing_analyzer_is_retried_then_fails_with_reason(
    make_settings: Callable[..., Settings],
) -> None:
    from mq_test_plugins import BrokenAnalyzer

    c = open_context(make_settings(analyzers=["mq_test_plugins:BrokenAnalyzer"]))
    BrokenAnalyzer.calls = 0
    upload(c, "a.jpg")
    Worker(c).run(burst=True)
    state, error = status(c, "a.jpg")
    assert state == "failed"
    assert "after 3 attempts" in error and "model runtime exploded" in error
    assert BrokenAnalyzer.calls == 3
    with c.engine.connect() as conn:
        assert jobs.counts(conn) == {"failed": 1}
    c.close()


def test_delete_while_queued_leaves_no_trace(ctx: Context) -> None:
    upload(ctx, "a.jpg")
    delete_object(ctx, "a.jpg")
    assert Worker(ctx).run(burst=True) == 0
    assert count(ctx, labels) == 0 and count(ctx, jobs_table) == 0


def test_delete_while_running_leaves_no_trace(ctx: Context) -> None:
    upload(ctx, "a.jpg")
    job = jobs.claim(ctx.engine, "w", 60, (ANALYZE,))
    delete_object(ctx, "a.jpg")
    run_job(ctx, job)  # the worker was mid-way when the delete arrived
    assert count(ctx, labels) == 0 and count(ctx, label_terms) == 0
    with ctx.engine.connect() as conn:
        from mediaquery.index import repo

        assert repo.get_media(conn, "a.jpg") is None


def test_replace_while_running_keeps_only_new_content(ctx: Context) -> None:
    upload(ctx, "a.jpg")
    stale = jobs.claim(ctx.engine, "w", 60, (ANALYZE,))
    upload(ctx, "a.jpg", jpeg_bytes(np.full((32, 32, 3), (5, 5, 250), np.uint8)))
    run_job(ctx, stale)  # finishes for content that is no longer there: writes nothing
    assert count(ctx, labels) == 0
    Worker(ctx).run(burst=True)
    with ctx.engine.connect() as conn:
        names = set(conn.execute(select(labels.c.name)).scalars())
    assert names == {"Blue", "Colour"}


def test_expired_lease_is_taken_over(ctx: Context) -> None:
    upload(ctx, "a.jpg")
    first = jobs.claim(ctx.engine, "crashed-host:1:0", 0.0, (ANALYZE,))
    second = jobs.claim(ctx.engine, "w2", 60, (ANALYZE,))
    assert first is not None and second is not None
    assert second.id == first.id and second.attempts == 2


def test_orphaned_job_of_a_dead_local_process_is_requeued(ctx: Context) -> None:
    import subprocess
    import sys

    upload(ctx, "a.jpg")
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_owner = orphans.worker_id().rsplit(":", 2)[0] + f":{proc.stdout.strip()}:0"
    assert jobs.claim(ctx.engine, dead_owner, 3600, (ANALYZE,)) is not None
    assert jobs.claim(ctx.engine, "w", 60, (ANALYZE,)) is None  # lease still valid
    assert orphans.recover_orphans(ctx.engine) == 1
    assert Worker(ctx).run(burst=True) == 1
    assert status(ctx, "a.jpg") == ("done", None)


def test_one_bad_image_in_a_batch_fails_alone(make_settings: Callable[..., Settings]) -> None:
    c = open_context(make_settings(analyzers=["mq_test_plugins:PickyAnalyzer"]))
    c.settings.queue.batch_size = 8
    blue = jpeg_bytes(np.full((32, 32, 3), (5, 5, 250), np.uint8))
    for name, data in [("1.jpg", RED), ("2.jpg", blue), ("3.jpg", RED)]:
        upload(c, name, data)
    batch = jobs.claim_many(c.engine, "w", 60, (ANALYZE,), 8)
    assert len(batch) == 3  # one model call for all three
    from mediaquery.queue.tasks import run_jobs

    run_jobs(c, batch)
    assert status(c, "1.jpg") == ("done", None) and status(c, "3.jpg") == ("done", None)
    state, error = status(c, "2.jpg")
    assert state == "pending" and "cannot handle blue" in error  # retried later
    Worker(c).run(burst=True)
    state, error = status(c, "2.jpg")
    assert state == "failed" and "after 3 attempts" in error
    c.close()


def test_small_bursts_are_shared_between_workers(ctx: Context) -> None:
    for i in range(4):
        upload(ctx, f"{i}.jpg")
    first = jobs.claim_many(ctx.engine, "w1", 60, (ANALYZE,), 8, share=2)
    second = jobs.claim_many(ctx.engine, "w2", 60, (ANALYZE,), 8, share=2)
    assert (len(first), len(second)) == (2, 1)  # half of what waits, never all of it
