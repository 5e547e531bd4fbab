"""Reconcile on an S3 bucket: listed in pages, heals missed events, resumes after a crash.

The bucket is moto's S3 server over real HTTP (no MinIO can be installed here; tests/mq_s3.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import mq_s3
from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.context import Context, open_context
from mediaquery.index import repo
from mediaquery.index.tables import service_state
from mediaquery.ingest.paged_reconcile import reconcile_pages
from mediaquery.ingest.reconcile import reconcile
from mediaquery.queue.worker import Worker
from mediaquery.storage.s3 import S3Storage

RED = jpeg_bytes(np.full((48, 64, 3), (250, 5, 5), np.uint8))
BLUE = jpeg_bytes(np.full((48, 64, 3), (5, 5, 250), np.uint8))
TEN = [f"k{i:02d}.jpg" for i in range(10)]


class Crash(Exception):
    """Stands in for the process dying in the middle of a scan."""


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> str:
    mq_s3.use_credentials(monkeypatch)
    return mq_s3.new_bucket()


@pytest.fixture
def ctx(make_settings: Callable[..., Settings], bucket: str) -> Iterator[Context]:
    s = make_settings(storage_url=mq_s3.storage_url(bucket, "in"),
                      analyzers=["mq_test_plugins:ColourAnalyzer"])  # fmt: skip
    c = open_context(s)
    assert isinstance(c.storage, S3Storage)
    c.storage.page_size = 3  # small pages: ten objects take four
    yield c
    c.close()


def put(bucket: str, name: str, data: bytes = RED) -> None:
    """Change the bucket behind the service's back (no event reaches it)."""
    mq_s3.client().put_object(Bucket=bucket, Key=f"in/{name}", Body=data)


def remove(bucket: str, name: str) -> None:
    mq_s3.client().delete_object(Bucket=bucket, Key=f"in/{name}")


def indexed(ctx: Context) -> dict[str, str]:
    with ctx.engine.connect() as conn:
        return repo.all_media_versions(conn)


def saved_progress(ctx: Context) -> dict | None:
    with ctx.engine.connect() as conn:
        q = select(service_state.c.value).where(service_state.c.key.startswith("reconcile:"))
        return conn.execute(q).scalar()


def test_reconcile_heals_new_changed_and_deleted_objects(ctx: Context, bucket: str) -> None:
    for name in TEN:
        put(bucket, name)
    put(bucket, "folder/")  # a console's "folder" marker is no media
    first = reconcile(ctx)
    assert (first["created"], first["pages"]) == (10, 4)
    assert set(indexed(ctx)) == set(TEN)
    Worker(ctx).run(burst=True)

    put(bucket, "k03.jpg", BLUE)  # changed
    remove(bucket, "k00.jpg")  # first page
    remove(bucket, "k09.jpg")  # last page
    put(bucket, "new one.jpg")  # new, with a space
    counts = reconcile(ctx)
    assert (counts["created"], counts["replaced"], counts["removed"]) == (1, 1, 2)
    assert counts["unchanged"] == 7 and not counts["resumed"]
    assert set(indexed(ctx)) == set(TEN[1:9]) | {"new one.jpg"}
    Worker(ctx).run(burst=True)
    with ctx.engine.connect() as conn:
        row = repo.get_media(conn, "k03.jpg")
    assert row is not None and row.status == "done"
    assert saved_progress(ctx) is None  # a complete pass leaves nothing to resume
    again = reconcile(ctx)
    assert again["unchanged"] == 9 and again["created"] == again["removed"] == 0


def test_an_interrupted_reconcile_resumes_after_the_last_complete_page(
    ctx: Context, bucket: str
) -> None:
    for name in TEN:
        put(bucket, name)
    done: list[str] = []

    def crash_on_the_fifth(name: str) -> None:
        done.append(name)
        if len(done) == 5:  # in the middle of the second page
            raise Crash

    with pytest.raises(Crash):
        reconcile(ctx, progress=crash_on_the_fifth)
    assert saved_progress(ctx) == {"after": "k02.jpg", "missing": []}
    listed: list[str] = []
    counts = reconcile(ctx, progress=listed.append)
    assert listed == TEN[3:]  # the first page is not listed again
    assert counts["resumed"] == 1 and counts["pages"] == 3
    assert (counts["unchanged"], counts["created"]) == (2, 5)  # k03, k04 were done before
    assert set(indexed(ctx)) == set(TEN) and saved_progress(ctx) is None


def test_deletions_wait_for_a_complete_pass(ctx: Context, bucket: str) -> None:
    for name in TEN:
        put(bucket, name)
    reconcile(ctx)
    remove(bucket, "k01.jpg")
    remove(bucket, "k08.jpg")
    stopped = reconcile_pages(ctx, max_pages=2)
    assert stopped["interrupted"] == 1 and stopped["removed"] == 0
    assert {"k01.jpg", "k08.jpg"} <= set(indexed(ctx))  # a partial pass proves nothing gone
    assert saved_progress(ctx) == {"after": "k06.jpg", "missing": ["k01.jpg"]}

    def bring_k01_back(name: str) -> None:
        if name == "k09.jpg":  # after k01's page was listed, before the pass ends
            put(bucket, "k01.jpg")

    counts = reconcile(ctx, progress=bring_k01_back)
    assert counts["resumed"] == 1 and counts["removed"] == 1
    assert "k08.jpg" not in indexed(ctx) and "k01.jpg" in indexed(ctx)  # the bucket has it


def test_post_reconcile_scans_the_bucket(
    make_settings: Callable[..., Settings], bucket: str
) -> None:
    put(bucket, "a.jpg")
    s = make_settings(storage_url=mq_s3.storage_url(bucket, "in"), reconcile_on_start=True,
                      analyzers=["mq_test_plugins:ColourAnalyzer"])  # fmt: skip
    with TestClient(create_app(s)) as c:  # the start-up scan runs in the background
        put(bucket, "b.jpg")
        r = c.post("/v1/reconcile")
        assert r.status_code == 200
        assert r.json()["counts"]["pages"] == 1
        items = c.get("/v1/media").json()["items"]
    assert {i["name"] for i in items} == {"a.jpg", "b.jpg"}
