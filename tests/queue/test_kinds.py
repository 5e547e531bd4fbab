"""Job kinds: one registry names each kind's runner, broker queue and media type, and ingest
reads it without loading the job runners or the video decoder."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from sqlalchemy import update

from conftest import jpeg_bytes
from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.domain import MediaType
from mediaquery.index import jobs, repo
from mediaquery.index.tables import jobs as jobs_table
from mediaquery.ingest.uploads import store_upload
from mediaquery.queue import kinds
from mediaquery.queue.worker import Worker, run_batch


@pytest.fixture
def ctx(make_settings: Callable[..., Settings]) -> Iterator[Context]:
    c = open_context(make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"]))
    yield c
    c.close()


def test_every_kind_names_a_runner_that_exists() -> None:
    for name in kinds.NAMES:
        assert callable(kinds.runner(name)), name
    assert kinds.runner("thumbnail") is None


def test_media_types_map_to_kinds_once() -> None:
    assert kinds.for_media(MediaType.IMAGE) == kinds.ANALYZE
    assert kinds.for_media(MediaType.VIDEO) == kinds.VIDEO
    with pytest.raises(ValueError, match="unknown"):
        kinds.for_media(MediaType.UNKNOWN)


def test_images_and_videos_travel_on_their_own_broker_queues() -> None:
    s = Settings(celery={"image_queue": "img", "video_queue": "vid"})
    assert kinds.broker_queue(s, kinds.ANALYZE) == "img"
    assert kinds.broker_queue(s, kinds.VIDEO) == "vid"
    assert kinds.broker_queue(s, kinds.VIDEO_CHUNK) == "vid"
    assert [k for k in kinds.NAMES if kinds.batched(k)] == [kinds.ANALYZE]


def test_ingest_loads_no_job_runner() -> None:
    code = (
        "import sys, mediaquery.ingest.events, mediaquery.ingest.reconcile, "
        "mediaquery.ingest.reindex\n"
        "print(sorted(m for m in sys.modules if m.startswith(('mediaquery.queue.tasks', "
        "'mediaquery.queue.video_tasks', 'mediaquery.video'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_job_of_an_unknown_kind_fails_its_media_with_the_reason(ctx: Context) -> None:
    red = jpeg_bytes(np.full((32, 32, 3), (250, 5, 5), np.uint8))
    store_upload(ctx, "a.jpg", io.BytesIO(red))
    with ctx.engine.begin() as conn:  # as if a newer version had queued it
        conn.execute(update(jobs_table).values(kind="thumbnail"))
        job_id = conn.execute(jobs_table.select()).one().id
    taken = jobs.claim_ids(ctx.engine, "w", 60, [job_id])
    run_batch(ctx, taken)
    with ctx.engine.connect() as conn:
        assert repo.statuses(conn, ["a.jpg"])["a.jpg"] == ("failed", "Unknown job kind 'thumbnail'")
        assert jobs.counts(conn) == {jobs.FAILED: 1}
    assert Worker(ctx).run(burst=True) == 0  # the embedded worker claims only known kinds
